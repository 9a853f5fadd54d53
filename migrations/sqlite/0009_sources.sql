-- The places directives arrive (`[[sources]]`): what each poll left, by source name.
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    -- Where the next poll goes on from: an updated_at or an id, a feed's ETag.
    cursor TEXT,
    last_poll_at INTEGER,
    last_success_at INTEGER,
    last_error TEXT,
    -- Polls failed in a row, for the backoff.
    failures INTEGER NOT NULL DEFAULT 0
);

-- What a person is to review before it is applied: an importer's proposal, or the part of
-- it that was not sure enough to apply by itself (then `directive_id` is where its tasks
-- go). `content` is the directive's and tasks' fields with the importer's findings, JSON.
CREATE TABLE drafts (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    label TEXT NOT NULL,
    directive_id INTEGER REFERENCES directives(id),
    content TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'accepted', 'rejected')),
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    decided_by TEXT,
    reason TEXT
);
CREATE INDEX drafts_by_state ON drafts (state, id);

-- Each item a source delivered, under its id there (a folder's file: its SHA-256; a
-- feed's or a database's task: its id): the hash of what was applied from it, and what it
-- became here. `content` is what the source said, as applied (JSON), to tell a change made
-- here from one made at the source. Nothing is deleted: an item gone from its source is
-- marked.
CREATE TABLE source_items (
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'draft', 'failed')),
    directive_id INTEGER REFERENCES directives(id),
    draft_id INTEGER REFERENCES drafts(id),
    task_id INTEGER REFERENCES tasks(id),
    -- The source's id of the directive a task item belongs to.
    directive_key TEXT,
    content TEXT,
    error TEXT,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    removed_at INTEGER,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX source_items_directive ON source_items (source, directive_key) WHERE directive_key IS NOT NULL;
