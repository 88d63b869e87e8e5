-- Corrections cannot live under the old one-row-a-day key: they go with the column.
DELETE FROM deliveries WHERE correction;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_client_id_local_date_channel_target_correction_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_client_id_local_date_channel_target_key
    UNIQUE (client_id, local_date, channel, target);
ALTER TABLE deliveries DROP COLUMN correction;
