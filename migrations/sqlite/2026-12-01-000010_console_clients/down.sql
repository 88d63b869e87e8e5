DROP TABLE protocol_changes;
