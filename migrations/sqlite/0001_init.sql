-- Directives, their tasks, the tasks' history, the outbox of reminders and every
-- delivery attempt. Instants are Unix seconds (UTC); dates are ISO text in the
-- configured time zone.

CREATE TABLE directives (
    id          INTEGER PRIMARY KEY,
    number      TEXT,
    title       TEXT    NOT NULL,
    issuer      TEXT    NOT NULL,
    issued_on   TEXT    NOT NULL,
    source      TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE tasks (
    id                  INTEGER PRIMARY KEY,
    directive_id        INTEGER NOT NULL REFERENCES directives(id),
    section             TEXT,
    summary             TEXT    NOT NULL,
    details             TEXT,
    lead                TEXT    NOT NULL,
    deadline            TEXT,
    deadline_precision  TEXT,
    deadline_phrase     TEXT,
    status              TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_on             TEXT,
    created_at          INTEGER NOT NULL,
    -- Occurrences due at or before this instant have been planned.
    planned_until       INTEGER,
    -- When the task next needs planning; NULL when it never will.
    next_reminder_at    INTEGER
);

-- A tick reads only the tasks that are due: an index range, never a scan.
CREATE INDEX tasks_due ON tasks (next_reminder_at)
    WHERE status = 'open' AND next_reminder_at IS NOT NULL;
CREATE INDEX tasks_directive ON tasks (directive_id);
CREATE INDEX tasks_lead ON tasks (lead);

CREATE TABLE task_coordinators (
    task_id     INTEGER NOT NULL REFERENCES tasks(id),
    position    INTEGER NOT NULL,
    department  TEXT    NOT NULL,
    PRIMARY KEY (task_id, position)
);
CREATE INDEX task_coordinators_department ON task_coordinators (department);

CREATE TABLE task_events (
    id          INTEGER PRIMARY KEY,
    task_id     INTEGER NOT NULL REFERENCES tasks(id),
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX task_events_task ON task_events (task_id);

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    -- Deterministic: task, department, rule, day, deadline and channel. Inserting the
    -- same reminder twice is a no-op.
    key          TEXT    NOT NULL UNIQUE,
    task_id      INTEGER NOT NULL REFERENCES tasks(id),
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
    finished_at  INTEGER
);
CREATE INDEX outbox_pending ON outbox (send_after) WHERE state = 'pending';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_task ON outbox (task_id);

CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY,
    outbox_id    INTEGER NOT NULL REFERENCES outbox(id),
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('sent', 'retry', 'dead')),
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_outbox ON delivery_attempts (outbox_id);
