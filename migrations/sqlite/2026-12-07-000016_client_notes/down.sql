DROP TABLE client_notes;
