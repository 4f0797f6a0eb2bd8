-- Email templates (Mustache subject, HTML and text with per-locale properties) and the
-- namespaces whose clients may see and use each one.

CREATE TABLE email_templates (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    doc         JSONB NOT NULL,
    created_ms  BIGINT NOT NULL,
    modified_ms BIGINT NOT NULL
);
CREATE INDEX email_templates_created ON email_templates (created_ms, id);

CREATE TABLE email_template_namespaces (
    template_id  TEXT NOT NULL REFERENCES email_templates (id) ON DELETE CASCADE,
    namespace_id TEXT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    position     BIGINT NOT NULL,
    PRIMARY KEY (template_id, namespace_id)
);
CREATE INDEX email_template_namespaces_ns ON email_template_namespaces (namespace_id);
