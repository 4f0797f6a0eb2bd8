-- The outbox: every outgoing mail and SMS, written in the transaction of the change that
-- caused it, then claimed, delivered and marked by the delivery worker of some node.

CREATE TABLE outbox (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- insertion order: the list's order
    id              TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    sender          TEXT,
    subject         TEXT,
    text_body       TEXT,
    html_body       TEXT,
    attachments     TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    last_error      TEXT,
    created_ms      BIGINT NOT NULL,
    sent_ms         BIGINT NOT NULL DEFAULT 0,   -- 0: not sent
    claimed_by      TEXT,
    claim_until     BIGINT NOT NULL DEFAULT 0    -- epoch ms; 0: not claimed
);
-- Due work: pending messages by due time, and claims that may have expired.
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);
CREATE INDEX outbox_recipient ON outbox (lower(recipient));
