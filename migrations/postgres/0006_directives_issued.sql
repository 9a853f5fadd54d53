-- no-transaction
-- The board's period: the directives issued between two days.
CREATE INDEX CONCURRENTLY IF NOT EXISTS directives_issued ON directives (issued_on);
