-- no-transaction
-- Served by tasks_directive_board, whose first column it is.
DROP INDEX CONCURRENTLY IF EXISTS tasks_directive;
