-- Sign-in: OIDC clients, long-lived API tokens (revocable) and refresh tokens (stored hashed).

CREATE TABLE oidc_clients (
    id          TEXT PRIMARY KEY,
    doc         JSONB NOT NULL,
    secret_hash TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    revoked    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_client ON api_tokens (client_id);

CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
