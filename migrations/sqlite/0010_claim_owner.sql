-- Who holds each claim: an outcome is written only while its claim is still the same
-- owner's and attempt's.
ALTER TABLE outbox ADD COLUMN owner TEXT;
