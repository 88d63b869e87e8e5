-- Each dispatch pass expires unsent rows whose local day is over (`stale_at <= now`
-- among pending, retry and sending rows). Without an index on stale_at that was a
-- scan of every unsent row for every batch: on PostgreSQL 40-60 ms a batch with
-- 50,000 clients due, so a morning slowed down as it grew. Read from this index, a
-- morning's live rows (stale at the end of their day) are an empty range.
CREATE INDEX deliveries_stale ON deliveries (status, stale_at);
