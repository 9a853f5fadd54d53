-- Reports sent on a schedule (the weekly summary), one row per department, channel and
-- period: a restart never sends the same report twice.
CREATE TABLE reports (
    key         TEXT    PRIMARY KEY,
    department  TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    updated_at  INTEGER NOT NULL
);
