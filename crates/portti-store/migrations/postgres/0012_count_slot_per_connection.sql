-- `user_counts_add` adds to the slot of the connection's backend instead of a slot picked
-- at random at every call. A transaction that inserts users in several statements (an
-- import batch) then holds one slot of a namespace, not several: two such transactions
-- written at once no longer wait for each other in both directions (a deadlock), and
-- wait at all only when their backends share a slot.
CREATE OR REPLACE FUNCTION user_counts_add(ns TEXT, delta BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_counts (ns_code, slot, visible) VALUES (ns, pg_backend_pid() % 16, delta)
        ON CONFLICT (ns_code, slot) DO UPDATE SET visible = user_counts.visible + EXCLUDED.visible;
END $$;
