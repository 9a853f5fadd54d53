-- no-transaction
-- The weekly summary goes through the outbox like any message: a row's kind says whether it
-- is a task's reminder or the summary, and a summary belongs to no task. SQLite changes a
-- column's constraint only by rebuilding the table, with foreign keys off meanwhile (its
-- documented procedure); the summaries recorded in `reports` become outbox rows.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE outbox_new (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL DEFAULT 'reminder' CHECK (kind IN ('reminder', 'summary')),
    task_id      INTEGER REFERENCES tasks(id),
    department   TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    rule         TEXT    NOT NULL,
    day          TEXT    NOT NULL,
    deadline     TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'cancelled')),
    due_at       INTEGER NOT NULL,
    send_after   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    digest       INTEGER NOT NULL DEFAULT 0,
    CHECK ((kind = 'reminder') = (task_id IS NOT NULL))
);

INSERT INTO outbox_new (id, key, kind, task_id, department, role, rule, day, deadline, channel, state,
                        due_at, send_after, attempts, lease_until, last_error, created_at, finished_at, digest)
SELECT id, key, 'reminder', task_id, department, role, rule, day, deadline, channel, state,
       due_at, send_after, attempts, lease_until, last_error, created_at, finished_at, digest
FROM outbox;

INSERT INTO outbox_new (key, kind, task_id, department, role, rule, day, deadline, channel, state,
                        due_at, send_after, attempts, last_error, created_at, finished_at)
SELECT key, 'summary', NULL, department, 'escalation', 'summary',
       date(updated_at, 'unixepoch'), date(updated_at, 'unixepoch'), channel,
       CASE state WHEN 'sent' THEN 'sent' ELSE 'dead' END,
       updated_at, updated_at, attempts, last_error, updated_at, updated_at
FROM reports;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
DROP TABLE reports;

CREATE INDEX outbox_pending ON outbox (send_after) WHERE state = 'pending';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_task ON outbox (task_id);
CREATE INDEX outbox_digest_pending ON outbox (send_after, department, channel)
    WHERE state = 'pending' AND digest = 1;

COMMIT;
PRAGMA foreign_keys = ON;
