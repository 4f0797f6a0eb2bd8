-- Portti's directory on SQLite. Each resource keeps its document as JSON in `doc`,
-- and the values people look it up by in indexed columns or side tables.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE namespaces (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    doc         TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE INDEX namespaces_created ON namespaces (created_ms, id);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    ns_code     TEXT NOT NULL REFERENCES namespaces (code),
    name        TEXT NOT NULL,
    doc         TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    UNIQUE (ns_code, name)
);
CREATE INDEX groups_created ON groups (created_ms, id);

CREATE TABLE group_parents (
    group_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    parent_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (group_id, parent_id)
);
CREATE INDEX group_parents_parent ON group_parents (parent_id);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    ns_code        TEXT NOT NULL REFERENCES namespaces (code),
    username       TEXT NOT NULL,
    username_lower TEXT NOT NULL,
    doc            TEXT NOT NULL,
    password_hash  TEXT,
    created_ms     INTEGER NOT NULL,
    modified_ms    INTEGER NOT NULL,
    UNIQUE (ns_code, username_lower)
);
CREATE INDEX users_created ON users (created_ms, id);
CREATE INDEX users_ns_created ON users (ns_code, created_ms, id);
CREATE INDEX users_username ON users (username_lower);

CREATE TABLE user_emails (
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address_lower TEXT NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX user_emails_address ON user_emails (address_lower);

CREATE TABLE user_mobiles (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    number   TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (user_id, position)
);
CREATE INDEX user_mobiles_number ON user_mobiles (number);

CREATE TABLE memberships (
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX memberships_group ON memberships (group_id);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    doc         TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);
