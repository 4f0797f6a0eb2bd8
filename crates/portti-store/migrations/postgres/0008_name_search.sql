-- Case-folded trigram indexes for the names, which SCIM compares ignoring case.
CREATE INDEX users_given_name_lower_trgm ON users USING gin (lower(doc #>> '{name,givenName}') gin_trgm_ops);
CREATE INDEX users_family_name_lower_trgm ON users USING gin (lower(doc #>> '{name,familyName}') gin_trgm_ops);
