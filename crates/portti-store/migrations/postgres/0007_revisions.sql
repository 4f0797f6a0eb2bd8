-- A revision per user and group, raised by every change that shows in the resource
-- (memberships included): SCIM's ETags, and the compare-and-set behind If-Match.

ALTER TABLE users ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
