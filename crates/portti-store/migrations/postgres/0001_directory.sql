-- Portti's directory on PostgreSQL. Each resource keeps its document in `doc` (jsonb),
-- and the values people look it up by in indexed columns or side tables. Trigram
-- indexes serve `co`/`sw`/`ew` filters (compiled to LIKE) on names, usernames and emails.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE namespaces (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    doc         JSONB NOT NULL,
    created_ms  BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL
);
CREATE INDEX namespaces_created ON namespaces (created_ms, id);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    ns_code     TEXT NOT NULL REFERENCES namespaces (code),
    name        TEXT NOT NULL,
    doc         JSONB NOT NULL,
    created_ms  BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    UNIQUE (ns_code, name)
);
CREATE INDEX groups_created ON groups (created_ms, id);

CREATE TABLE group_parents (
    group_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    parent_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    PRIMARY KEY (group_id, parent_id)
);
CREATE INDEX group_parents_parent ON group_parents (parent_id);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    ns_code        TEXT NOT NULL REFERENCES namespaces (code),
    username       TEXT NOT NULL,
    username_lower TEXT NOT NULL,
    doc            JSONB NOT NULL,
    password_hash  TEXT,
    created_ms     BIGINT NOT NULL,
    modified_ms    BIGINT NOT NULL,
    UNIQUE (ns_code, username_lower)
);
CREATE INDEX users_created ON users (created_ms, id);
CREATE INDEX users_ns_created ON users (ns_code, created_ms, id);
CREATE INDEX users_username ON users (username_lower);
CREATE INDEX users_username_trgm ON users USING gin (username_lower gin_trgm_ops);
CREATE INDEX users_given_name_trgm ON users USING gin ((doc #>> '{name,givenName}') gin_trgm_ops);
CREATE INDEX users_family_name_trgm ON users USING gin ((doc #>> '{name,familyName}') gin_trgm_ops);
CREATE INDEX users_family_name ON users ((doc #>> '{name,familyName}'));

CREATE TABLE user_emails (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address_lower TEXT NOT NULL,
    position      BIGINT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX user_emails_address ON user_emails (address_lower);
CREATE INDEX user_emails_address_trgm ON user_emails USING gin (address_lower gin_trgm_ops);

CREATE TABLE user_mobiles (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    number   TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX user_mobiles_number ON user_mobiles (number);

CREATE TABLE memberships (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX memberships_group ON memberships (group_id);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    doc         JSONB NOT NULL,
    secret_hash TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);
