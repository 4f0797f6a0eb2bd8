-- The number of visible users (hidden = 0) per namespace, kept by triggers in the same
-- transaction as every change, so that an unfiltered list reports its exact total
-- without counting a million rows. `slot` spreads the count over several rows on
-- PostgreSQL, where concurrent writers would otherwise queue for one row; SQLite has one
-- writer at a time and uses slot 0 only.

CREATE TABLE user_counts (
    ns_code TEXT    NOT NULL,
    slot    INTEGER NOT NULL,
    visible INTEGER NOT NULL,
    PRIMARY KEY (ns_code, slot)
);

INSERT INTO user_counts (ns_code, slot, visible)
    SELECT ns_code, 0, count(*) FROM users WHERE hidden = 0 GROUP BY ns_code;

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
