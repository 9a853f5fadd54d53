-- Reminders to a department that takes a daily digest wait, pending, for the digest's
-- time, and go out together in one message.
ALTER TABLE outbox ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;

CREATE INDEX outbox_digest_pending ON outbox (send_after, department, channel)
    WHERE state = 'pending' AND digest = 1;
