-- `deliveries_client_history (client_id, local_date)` repeated the leading columns of
-- the unique key (client_id, local_date, channel, target, correction), which serves
-- every query by client and date as well (the planner's read, a client's history).
-- Every insert, and on PostgreSQL every update of a row's status (a non-HOT update
-- writes an entry in every index), paid for the second copy: three writes a message.
DROP INDEX deliveries_client_history;
