-- The user service: facets kept beside each user's profile (custom fields, enterprise,
-- legal and student data, access rights, password history), soft deletion, custom roles
-- and the strong-identification history.

ALTER TABLE users ADD COLUMN facets JSONB NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN hidden BIGINT NOT NULL DEFAULT 0;

CREATE TABLE custom_roles (
    id          TEXT PRIMARY KEY,
    ns_code     TEXT NOT NULL REFERENCES namespaces (code),
    name        TEXT NOT NULL,
    doc         JSONB NOT NULL,
    created_ms  BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL,
    UNIQUE (ns_code, name)
);
CREATE INDEX custom_roles_created ON custom_roles (created_ms, id);

CREATE TABLE role_groups (
    role_id  TEXT NOT NULL REFERENCES custom_roles (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (role_id, group_id)
);
CREATE INDEX role_groups_group ON role_groups (group_id);

CREATE TABLE strong_id_history (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    doc        JSONB NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX strong_id_history_user ON strong_id_history (user_id, created_ms, id);
CREATE INDEX users_custom_fields ON users USING gin ((facets -> 'customFields'));
