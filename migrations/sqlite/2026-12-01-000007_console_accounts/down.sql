-- Back to one key per clinic: the newest key still active returns to the clinic.
UPDATE clinics SET
    api_key_id = (SELECT k.id FROM api_keys k WHERE k.clinic_id = clinics.id
                  AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id DESC LIMIT 1),
    api_key_hash = (SELECT k.key_hash FROM api_keys k WHERE k.clinic_id = clinics.id
                    AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id DESC LIMIT 1),
    key_issued_at = (SELECT k.created_at FROM api_keys k WHERE k.clinic_id = clinics.id
                     AND k.revoked_at IS NULL ORDER BY k.created_at DESC, k.id DESC LIMIT 1);
DROP TABLE audit_log;
DROP TABLE api_keys;
DROP TABLE staff_sessions;
DROP TABLE staff_sign_in_links;
DROP TABLE staff;
ALTER TABLE clinics DROP COLUMN reminder_time;
ALTER TABLE clinics DROP COLUMN timezone;
ALTER TABLE clinics DROP COLUMN reply_to;
