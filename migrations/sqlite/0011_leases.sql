-- What is done once however many daemons run: a cron job's run of an instant
-- ('job:summary'), a source's polls ('source:<name>'). A lease that runs out is taken over.
CREATE TABLE leases (
    name          TEXT    PRIMARY KEY,
    owner         TEXT    NOT NULL,
    lease_until   INTEGER NOT NULL,
    -- A job's latest instant whose run finished.
    done_through  INTEGER
);

-- Finished reminders, pruned by age (store.keep_sent).
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE state IN ('sent', 'dead', 'cancelled');
