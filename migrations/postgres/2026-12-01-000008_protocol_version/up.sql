-- The version of a clinic's protocol overrides: a fresh random value with every change
-- (NULL while the clinic uses the default), so a process that parsed the protocol
-- knows, from one column, whether what it keeps is still current.
ALTER TABLE clinics ADD COLUMN protocol_version TEXT;
UPDATE clinics SET protocol_version = replace(gen_random_uuid()::text, '-', '')
WHERE protocol_overrides IS NOT NULL;
