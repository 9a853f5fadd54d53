-- no-transaction
-- The board's counts for one directive, or for the directives of a period, read from the
-- index alone; it serves what the index on the directive alone served (dropped next).
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_directive_board ON tasks (directive_id, lead, status, deadline, done_on);
