-- no-transaction
-- Finished reminders, pruned by age (store.keep_sent). Built without blocking the writes
-- of daemons still running while another migrates.
CREATE INDEX CONCURRENTLY IF NOT EXISTS outbox_finished ON outbox (finished_at)
    WHERE state IN ('sent', 'dead', 'cancelled');
