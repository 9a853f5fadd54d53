-- What is done once however many daemons run: a cron job's run of an instant
-- ('job:summary'), a source's polls ('source:<name>'). A lease that runs out is taken over.
CREATE TABLE leases (
    name          TEXT    PRIMARY KEY,
    owner         TEXT    NOT NULL,
    lease_until   BIGINT  NOT NULL,
    -- A job's latest instant whose run finished.
    done_through  BIGINT
);

-- Each send updates its reminder twice (claimed, sent), and old ones are deleted in bulk: vacuum the outbox
-- and its attempts sooner than the default fifth of the table.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE delivery_attempts SET (autovacuum_vacuum_scale_factor = 0.02);
