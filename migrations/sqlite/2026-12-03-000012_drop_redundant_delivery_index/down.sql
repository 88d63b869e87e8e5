CREATE INDEX deliveries_client_history ON deliveries (client_id, local_date);
