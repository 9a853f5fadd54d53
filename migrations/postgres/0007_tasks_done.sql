-- no-transaction
-- The tasks done after a deadline that fell on a day off: on time if done by the day it
-- moved to (the follow-up board's counts).
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_done ON tasks (deadline, done_on, lead) WHERE status = 'done';
