DROP TABLE clinics;
