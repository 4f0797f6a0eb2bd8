-- Proofs of address ownership and invitations. Each secret (link token or SMS code) is
-- stored only as its keyed hash; the secret itself travels only in the outgoing message.

CREATE TABLE verifications (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('email_link', 'sms_link', 'sms_code')),
    hash       TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target     TEXT NOT NULL,             -- the address or number as the user's record spells it
    return_url TEXT,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms    BIGINT NOT NULL DEFAULT 0 -- 0: not used
);
CREATE INDEX verifications_user ON verifications (user_id, kind);

-- SMS code sends and checks, counted against the namespace's mobileVerificationAttemptsPerDay.
CREATE TABLE verification_attempts (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    at_ms   BIGINT NOT NULL
);
CREATE INDEX verification_attempts_user ON verification_attempts (user_id, at_ms);

CREATE TABLE invites (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    ns_code    TEXT NOT NULL REFERENCES namespaces (code) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    group_ids  TEXT NOT NULL DEFAULT '[]',  -- JSON array of group ids
    locale     TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms    BIGINT NOT NULL DEFAULT 0,  -- 0: not used
    user_id    TEXT                         -- the user it created
);
CREATE INDEX invites_ns ON invites (ns_code);
