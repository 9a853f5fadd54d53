-- Who made each change to a task (the CLI, an API token, a department through a link).
ALTER TABLE task_events ADD COLUMN actor TEXT;

-- Counts the changes made to a task (edit, extension): the planner writes its marks only
-- on the revision it read, so a plan made before a change never overwrites it.
ALTER TABLE tasks ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- "Đã nhận": a department stops one kind of reminder (due soon, due, overdue, escalation)
-- for one task and deadline. A new deadline starts the reminders again.
CREATE TABLE acknowledgements (
    task_id     INTEGER NOT NULL REFERENCES tasks(id),
    department  TEXT    NOT NULL,
    rule_kind   TEXT    NOT NULL,
    deadline    TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (task_id, department, rule_kind, deadline)
);

-- Acknowledge links that have acted: a link acts once.
CREATE TABLE used_links (
    signature   TEXT    PRIMARY KEY,
    task_id     INTEGER NOT NULL REFERENCES tasks(id),
    department  TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    used_at     INTEGER NOT NULL
);

-- API requests made with an Idempotency-Key: a retried create answers with what the
-- first one made instead of making it twice.
CREATE TABLE api_requests (
    client      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    -- The method and path, and the SHA-256 of the body: the key names this request only.
    request     TEXT    NOT NULL,
    body_sha256 TEXT    NOT NULL,
    location    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (client, key)
);
