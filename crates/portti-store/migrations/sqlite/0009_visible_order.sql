-- Lists read only visible users (hidden = 0) in creation order: index exactly those, so a
-- page and its exact total come from the index without visiting every row.

DROP INDEX users_created;
CREATE INDEX users_created ON users (created_ms, id) WHERE hidden = 0;
DROP INDEX users_ns_created;
CREATE INDEX users_ns_created ON users (ns_code, created_ms, id) WHERE hidden = 0;
