-- A same-day correction (kind plan_changed) is a second message on a day that already
-- had one. The unique key gains `correction`: at most one regular message and one
-- correction per client, local date, channel and target, whoever plans them.
ALTER TABLE deliveries ADD COLUMN correction BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_client_id_local_date_channel_target_key;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_client_id_local_date_channel_target_correction_key
    UNIQUE (client_id, local_date, channel, target, correction);
