DROP INDEX deliveries_stale;
