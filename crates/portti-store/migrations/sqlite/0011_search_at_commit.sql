-- The name index is brought up to date once per commit, not once per change. FTS5 writes
-- what it holds in memory to disk whenever a savepoint opens, and the writer opens one per
-- logical transaction of a group commit: maintained by triggers, the index gained a tiny
-- segment (and the merges that follow) for every user created. Now the triggers only note
-- the users whose entry is stale, and the writer rewrites those entries just before each
-- COMMIT, in the same transaction (see `SEARCH_AT_COMMIT` in src/sqlite/mod.rs): readers
-- never see a user without its entry. Name searches inside a write transaction do not
-- see that transaction's own changes.

-- `indexed`: the user has an entry to remove first (0 for users created since the last commit).
CREATE TABLE user_search_stale (
    user_id TEXT PRIMARY KEY,
    indexed INTEGER NOT NULL
) WITHOUT ROWID;

DROP TRIGGER user_search_insert;
DROP TRIGGER user_search_update;
DROP TRIGGER user_search_delete;

CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_search_keys (user_id) VALUES (new.id);
    INSERT OR IGNORE INTO user_search_stale (user_id, indexed) VALUES (new.id, 0);
END;

CREATE TRIGGER user_search_update AFTER UPDATE OF username, doc ON users
    WHEN old.username IS NOT new.username
      OR json_extract(old.doc, '$.name') IS NOT json_extract(new.doc, '$.name') BEGIN
    INSERT OR IGNORE INTO user_search_stale (user_id, indexed) VALUES (new.id, 1);
END;

CREATE TRIGGER user_search_delete BEFORE DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT key FROM user_search_keys WHERE user_id = old.id);
    DELETE FROM user_search_stale WHERE user_id = old.id;
END;
