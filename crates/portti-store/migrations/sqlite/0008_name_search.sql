-- A trigram index of the names people search users by with co/sw/ew (username, given
-- and family name), so those filters narrow to candidates instead of reading every user.
-- FTS5 rows are keyed by a stable integer per user (`user_search_keys`), since the
-- rowids of `users` may change on VACUUM.

CREATE TABLE user_search_keys (
    key     INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE
);

CREATE VIRTUAL TABLE user_search USING fts5 (username, given_name, family_name, tokenize = 'trigram');

INSERT INTO user_search_keys (user_id) SELECT id FROM users ORDER BY created_ms, id;
INSERT INTO user_search (rowid, username, given_name, family_name)
    SELECT k.key, u.username, json_extract(u.doc, '$.name.givenName'), json_extract(u.doc, '$.name.familyName')
    FROM users u JOIN user_search_keys k ON k.user_id = u.id;

CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_search_keys (user_id) VALUES (new.id);
    INSERT INTO user_search (rowid, username, given_name, family_name)
        VALUES ((SELECT key FROM user_search_keys WHERE user_id = new.id), new.username,
                json_extract(new.doc, '$.name.givenName'), json_extract(new.doc, '$.name.familyName'));
END;

CREATE TRIGGER user_search_update AFTER UPDATE OF username, doc ON users BEGIN
    UPDATE user_search SET username = new.username,
        given_name = json_extract(new.doc, '$.name.givenName'),
        family_name = json_extract(new.doc, '$.name.familyName')
    WHERE rowid = (SELECT key FROM user_search_keys WHERE user_id = new.id);
END;

CREATE TRIGGER user_search_delete BEFORE DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = (SELECT key FROM user_search_keys WHERE user_id = old.id);
END;
