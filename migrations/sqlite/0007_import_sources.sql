-- The SHA-256 of the document a directive was imported from: importing the same document
-- again finds it and changes nothing.
ALTER TABLE directives ADD COLUMN source_hash TEXT;
CREATE UNIQUE INDEX directives_source_hash ON directives (source_hash) WHERE source_hash IS NOT NULL;
