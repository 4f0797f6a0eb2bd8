-- Users get a stable integer key of their own (`users.key`, the table's rowid), and the
-- name index (`user_search`) is keyed by it directly: a name search then reaches each
-- candidate user with one B-tree search instead of three (the search key, the user's id
-- in the id index, the row). `user_search_keys`, which held those keys beside the users
-- because a table without an INTEGER PRIMARY KEY may change its rowids on VACUUM, goes.
-- The keys are the ones the name index already uses, so its entries stay as they are.
--
-- The table is rebuilt the way SQLite documents (https://sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"); migrations run with foreign keys off
-- (see `SqliteStore::open`), so dropping the old table does not cascade into the tables
-- that refer to users.

CREATE TABLE users_new (
    key            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    ns_code        TEXT NOT NULL REFERENCES namespaces (code),
    username       TEXT NOT NULL,
    username_lower TEXT NOT NULL,
    doc            TEXT NOT NULL,
    password_hash  TEXT,
    created_ms     INTEGER NOT NULL,
    modified_ms    INTEGER NOT NULL,
    facets         TEXT NOT NULL DEFAULT '{}',
    hidden         INTEGER NOT NULL DEFAULT 0,
    revision       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (ns_code, username_lower)
);

-- Every user has a search key (the insert trigger gives one), taken over in key order.
INSERT INTO users_new (key, id, ns_code, username, username_lower, doc, password_hash,
                       created_ms, modified_ms, facets, hidden, revision)
    SELECT k.key, u.id, u.ns_code, u.username, u.username_lower, u.doc, u.password_hash,
           u.created_ms, u.modified_ms, u.facets, u.hidden, u.revision
    FROM user_search_keys k CROSS JOIN users u ON u.id = k.user_id
    ORDER BY k.key;
-- A user without one would get a new key, and its entry at the next commit.
INSERT INTO users_new (id, ns_code, username, username_lower, doc, password_hash,
                       created_ms, modified_ms, facets, hidden, revision)
    SELECT id, ns_code, username, username_lower, doc, password_hash,
           created_ms, modified_ms, facets, hidden, revision
    FROM users WHERE id NOT IN (SELECT user_id FROM user_search_keys);
INSERT OR REPLACE INTO user_search_stale (user_id, indexed)
    SELECT id, 1 FROM users_new WHERE key NOT IN (SELECT key FROM user_search_keys);

DROP TABLE user_search_keys;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE INDEX users_created ON users (created_ms, id) WHERE hidden = 0;
CREATE INDEX users_ns_created ON users (ns_code, created_ms, id) WHERE hidden = 0;
CREATE INDEX users_username ON users (username_lower);

CREATE TRIGGER user_counts_insert AFTER INSERT ON users WHEN new.hidden = 0 BEGIN
    INSERT INTO user_counts (ns_code, slot, visible) VALUES (new.ns_code, 0, 1)
        ON CONFLICT (ns_code, slot) DO UPDATE SET visible = visible + 1;
END;

CREATE TRIGGER user_counts_delete AFTER DELETE ON users WHEN old.hidden = 0 BEGIN
    UPDATE user_counts SET visible = visible - 1 WHERE ns_code = old.ns_code AND slot = 0;
END;

CREATE TRIGGER user_counts_update AFTER UPDATE OF ns_code, hidden ON users
    WHEN old.hidden IS NOT new.hidden OR old.ns_code IS NOT new.ns_code BEGIN
    UPDATE user_counts SET visible = visible - 1
        WHERE old.hidden = 0 AND ns_code = old.ns_code AND slot = 0;
    INSERT INTO user_counts (ns_code, slot, visible) SELECT new.ns_code, 0, 1 WHERE new.hidden = 0
        ON CONFLICT (ns_code, slot) DO UPDATE SET visible = visible + 1;
END;

-- As in 0011: the triggers note stale users; the writer rewrites their entries at commit.
CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN
    INSERT OR IGNORE INTO user_search_stale (user_id, indexed) VALUES (new.id, 0);
END;

CREATE TRIGGER user_search_update AFTER UPDATE OF username, doc ON users
    WHEN old.username IS NOT new.username
      OR json_extract(old.doc, '$.name') IS NOT json_extract(new.doc, '$.name') BEGIN
    INSERT OR IGNORE INTO user_search_stale (user_id, indexed) VALUES (new.id, 1);
END;

CREATE TRIGGER user_search_delete BEFORE DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = old.key;
    DELETE FROM user_search_stale WHERE user_id = old.id;
END;
