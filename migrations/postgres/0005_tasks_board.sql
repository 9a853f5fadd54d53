-- no-transaction
-- What the follow-up board counts: every task by its lead, status and dates, read from the
-- index alone; built without blocking the daemons' writes to a large table.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_board ON tasks (lead, status, deadline, done_on);
