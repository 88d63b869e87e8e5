ALTER TABLE clinics DROP COLUMN protocol_version;
