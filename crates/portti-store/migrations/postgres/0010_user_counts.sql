-- The number of visible users (hidden = 0) per namespace, kept by triggers in the same
-- transaction as every change, so that an unfiltered list reports its exact total
-- without counting a million rows. Each change adds to one of 16 slots picked at random,
-- so concurrent writers to one namespace (on one node or several) rarely wait for the
-- same row; a total is the sum of the slots.

CREATE TABLE user_counts (
    ns_code TEXT    NOT NULL,
    slot    INTEGER NOT NULL,
    visible BIGINT  NOT NULL,
    PRIMARY KEY (ns_code, slot)
);

INSERT INTO user_counts (ns_code, slot, visible)
    SELECT ns_code, 0, count(*) FROM users WHERE hidden = 0 GROUP BY ns_code;

-- Add `delta` to the count of namespace `ns`, in a slot picked at random.
CREATE FUNCTION user_counts_add(ns TEXT, delta BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO user_counts (ns_code, slot, visible) VALUES (ns, floor(random() * 16)::int, delta)
        ON CONFLICT (ns_code, slot) DO UPDATE SET visible = user_counts.visible + EXCLUDED.visible;
$$;

-- Inserts and deletes are counted once per statement (an import inserts a thousand rows
-- in one), updates once per row that changes namespace or visibility.
CREATE FUNCTION user_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM user_counts_add(ns_code, count(*)) FROM added WHERE hidden = 0 GROUP BY ns_code;
    RETURN NULL;
END $$;

CREATE FUNCTION user_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM user_counts_add(ns_code, -count(*)) FROM removed WHERE hidden = 0 GROUP BY ns_code;
    RETURN NULL;
END $$;

CREATE FUNCTION user_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.hidden = 0 THEN
        PERFORM user_counts_add(OLD.ns_code, -1);
    END IF;
    IF NEW.hidden = 0 THEN
        PERFORM user_counts_add(NEW.ns_code, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER user_counts_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION user_counts_inserted();

CREATE TRIGGER user_counts_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION user_counts_deleted();

CREATE TRIGGER user_counts_update AFTER UPDATE OF ns_code, hidden ON users FOR EACH ROW
    WHEN (OLD.hidden IS DISTINCT FROM NEW.hidden OR OLD.ns_code IS DISTINCT FROM NEW.ns_code)
    EXECUTE FUNCTION user_counts_updated();
