-- no-transaction
-- The web pages: notices (sign-in links, extension requests and their decisions) go through
-- the outbox like any message, so a row's kind may be 'notice', with the notice it carries;
-- a notice may be about a task or not. SQLite changes a column's constraint only by
-- rebuilding the table, with foreign keys off meanwhile (its documented procedure).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- What a notice says, rendered when it is sent: a sign-in link is signed then, so that the
-- store never holds a working link.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('sign_in', 'extension_requested', 'extension_decided')),
    payload     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE outbox_new (
    id           INTEGER PRIMARY KEY,
    key          TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL DEFAULT 'reminder' CHECK (kind IN ('reminder', 'summary', 'notice')),
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
    owner        TEXT,
    notice_id    INTEGER REFERENCES notices(id),
    CHECK (kind <> 'reminder' OR task_id IS NOT NULL),
    CHECK (kind <> 'summary' OR task_id IS NULL),
    CHECK ((kind = 'notice') = (notice_id IS NOT NULL))
);

INSERT INTO outbox_new (id, key, kind, task_id, department, role, rule, day, deadline, channel, state,
                        due_at, send_after, attempts, lease_until, last_error, created_at, finished_at,
                        digest, owner)
SELECT id, key, kind, task_id, department, role, rule, day, deadline, channel, state,
       due_at, send_after, attempts, lease_until, last_error, created_at, finished_at, digest, owner
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

CREATE INDEX outbox_pending ON outbox (send_after) WHERE state = 'pending';
CREATE INDEX outbox_sending ON outbox (lease_until) WHERE state = 'sending';
CREATE INDEX outbox_task ON outbox (task_id);
CREATE INDEX outbox_digest_pending ON outbox (send_after, department, channel)
    WHERE state = 'pending' AND digest = 1;
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE state IN ('sent', 'dead', 'cancelled');

-- A department's request to move a task's deadline, and the supervising office's decision.
CREATE TABLE extension_requests (
    id            INTEGER PRIMARY KEY,
    task_id       INTEGER NOT NULL REFERENCES tasks(id),
    department    TEXT    NOT NULL,
    -- The deadline the request was made against: a request outlived by another change of
    -- the deadline is not decided.
    deadline      TEXT,
    requested_to  TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    requested_by  TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'refused', 'withdrawn')),
    decided_by    TEXT,
    decision_note TEXT,
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER
);
CREATE INDEX extension_requests_pending ON extension_requests (created_at) WHERE state = 'pending';
CREATE INDEX extension_requests_task ON extension_requests (task_id);

-- Sign-in links that were used: each signs in once.
CREATE TABLE used_sign_ins (
    signature   TEXT    PRIMARY KEY,
    email       TEXT    NOT NULL,
    used_at     INTEGER NOT NULL
);

-- What the follow-up board counts: every task by its lead, status and dates, read from the
-- index alone.
CREATE INDEX tasks_board ON tasks (lead, status, deadline, done_on);
-- The tasks done after a deadline that fell on a day off: on time if done by the day it
-- moved to.
CREATE INDEX tasks_done ON tasks (deadline, done_on, lead) WHERE status = 'done';
-- The board's counts for one directive, or for the directives of a period, read from the
-- index alone: it serves what the index on the directive alone served.
CREATE INDEX tasks_directive_board ON tasks (directive_id, lead, status, deadline, done_on);
DROP INDEX tasks_directive;
-- The board's period: the directives issued between two days.
CREATE INDEX directives_issued ON directives (issued_on);

COMMIT;
PRAGMA foreign_keys = ON;
