//! How one SQL backend spells JSON access, string tests and a few fragments.
//! Placeholders are `?N` everywhere; backends that spell them otherwise rewrite them.

use portti_core::filter::CompareOp;

/// The backend-specific spellings the shared SQL needs.
pub trait SqlDialect: Sync {
    /// The placeholder for the `n`-th (1-based) bound value.
    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }
    /// The text at a fixed path of a JSON document column (NULL when absent).
    fn json_text(&self, doc: &str, path: &[&str]) -> String;
    /// The boolean at a fixed path, comparable to a bound boolean.
    fn json_bool(&self, doc: &str, path: &[&str]) -> String;
    /// The false literal that [`SqlDialect::json_bool`] compares with.
    fn json_bool_false(&self) -> &'static str;
    /// The number at a fixed path.
    fn json_number(&self, doc: &str, path: &[&str]) -> String;
    /// A FROM item yielding one row per element of the array at `path`, named `alias`.
    fn json_elements(&self, doc: &str, path: &[&str], alias: &str) -> String;
    /// The element of a [`SqlDialect::json_elements`] row as text (scalar arrays).
    fn element_text(&self, alias: &str) -> String;
    /// The element of a [`SqlDialect::json_elements`] row as a document, for [`SqlDialect::json_text`].
    fn element_doc(&self, alias: &str) -> String;
    /// Milliseconds since the epoch of an ISO-8601 text expression.
    fn instant_ms(&self, text: &str) -> String;
    /// `text` contains / starts with / ends with the bound value `p` (as made by [`SqlDialect::match_value`]).
    fn text_match(&self, text: &str, op: CompareOp, p: &str) -> String;
    /// The bound value for a `co`/`sw`/`ew` test of `value`.
    fn match_value(&self, op: CompareOp, value: String) -> String;
    /// Null-safe inequality.
    fn distinct(&self, a: &str, b: &str) -> String;
    /// A document column read as JSON text.
    fn doc_text(&self, column: &str) -> String;
    /// The placeholder `n` as a value for a document column.
    fn doc_param(&self, n: usize) -> String;
    /// A JSON array (text) of `column` over `from` (a `table alias WHERE …`), ordered by `order`.
    fn id_array(&self, column: &str, from: &str, order: &str) -> String;
    /// The value of `customFields.<key>` in `doc` as text (`38`, `true`, `abc`); `key` is
    /// limited to `A-Z a-z 0-9 _ - $` by the caller.
    fn custom_field_text(&self, doc: &str, key: &str) -> String;
    /// What ends a `SELECT` whose rows a worker claims, so that concurrent claimers skip
    /// each other's rows instead of waiting for them (empty where writers are serialised).
    fn claim_lock(&self) -> &'static str;
    /// The placeholder of the `n`-th value of a statement with thousands of them (`doc`:
    /// for a document column). SQLite's are anonymous (`?`, in order): it finds a numbered
    /// one by a scan of all of them, which makes binding quadratic in their number.
    fn bulk_param(&self, n: usize, doc: bool) -> String {
        if doc {
            self.doc_param(n)
        } else {
            format!("?{n}")
        }
    }
    /// A statement that shows the planner what many new rows changed, if the backend
    /// does not keep its statistics as it goes.
    fn bulk_finish(&self) -> Option<&'static str> {
        None
    }
    /// Whether a page past the first is best found by its rows' ids first, then read: where
    /// the rows an `OFFSET` skips have all their columns computed (PostgreSQL turns each
    /// skipped document into text and runs its subqueries), not only the rows returned.
    fn pages_by_key(&self) -> bool {
        false
    }
    /// A condition narrowing users (`u`) to those whose user attribute `attr` may contain
    /// the text bound to `p` (ignoring case; bound as made by
    /// [`SqlDialect::name_search_value`]), served by an index of its own; `None` where the
    /// backend's ordinary indexes serve the test. `folded`: the test itself ignores case.
    /// `drives`: the index's candidates drive the query (see [`super::filter::NameIndex`]).
    fn name_search(&self, _attr: &str, _p: &str, _folded: bool, _drives: bool) -> Option<String> {
        None
    }
    /// The text bound to a [`SqlDialect::name_search`] condition for a test of `s`.
    fn name_search_value(&self, s: &str) -> String {
        s.to_string()
    }
}

/// SQLite with its JSON1 functions.
pub struct Sqlite;

fn sqlite_path(path: &[&str]) -> String {
    format!("'$.{}'", path.join("."))
}

impl SqlDialect for Sqlite {
    fn json_text(&self, doc: &str, path: &[&str]) -> String {
        format!("json_extract({doc}, {})", sqlite_path(path))
    }
    fn json_bool(&self, doc: &str, path: &[&str]) -> String {
        self.json_text(doc, path)
    }
    fn json_bool_false(&self) -> &'static str {
        "0"
    }
    fn json_number(&self, doc: &str, path: &[&str]) -> String {
        self.json_text(doc, path)
    }
    fn json_elements(&self, doc: &str, path: &[&str], alias: &str) -> String {
        format!("json_each({doc}, {}) AS {alias}", sqlite_path(path))
    }
    fn element_text(&self, alias: &str) -> String {
        format!("{alias}.value")
    }
    fn element_doc(&self, alias: &str) -> String {
        format!("{alias}.value")
    }
    fn instant_ms(&self, text: &str) -> String {
        format!("CAST(unixepoch({text}, 'subsec') * 1000 AS INTEGER)")
    }
    fn text_match(&self, text: &str, op: CompareOp, p: &str) -> String {
        match op {
            CompareOp::Sw => format!("substr({text}, 1, length({p})) = {p}"),
            CompareOp::Ew => {
                format!("(length({text}) >= length({p}) AND substr({text}, length({text}) - length({p}) + 1) = {p})")
            }
            _ => format!("instr({text}, {p}) > 0"),
        }
    }
    fn match_value(&self, _op: CompareOp, value: String) -> String {
        value
    }
    fn distinct(&self, a: &str, b: &str) -> String {
        format!("{a} IS NOT {b}")
    }
    fn doc_text(&self, column: &str) -> String {
        column.to_string()
    }
    fn doc_param(&self, n: usize) -> String {
        format!("?{n}")
    }
    fn id_array(&self, column: &str, from: &str, order: &str) -> String {
        let bare = column.rsplit('.').next().unwrap_or(column);
        format!("(SELECT json_group_array({bare}) FROM (SELECT {column} FROM {from} ORDER BY {order}))")
    }
    fn custom_field_text(&self, doc: &str, key: &str) -> String {
        let path = format!("'$.customFields.\"{key}\"'");
        format!(
            "(CASE json_type({doc}, {path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' \
             ELSE CAST(json_extract({doc}, {path}) AS TEXT) END)"
        )
    }
    fn claim_lock(&self) -> &'static str {
        // One writer at a time: a claim's select and update cannot interleave with another's.
        ""
    }
    fn bulk_param(&self, _n: usize, _doc: bool) -> String {
        "?".into()
    }
    fn name_search(&self, attr: &str, p: &str, _folded: bool, drives: bool) -> Option<String> {
        let column = match attr {
            "username" => "username",
            "name.givenName" => "given_name",
            "name.familyName" => "family_name",
            _ => return None,
        };
        // The unary `+` keeps the planner from looking users up by the candidates' keys.
        let key = if drives { "u.key" } else { "+u.key" };
        Some(format!("{key} IN (SELECT rowid FROM user_search WHERE {column} MATCH {p})"))
    }
    /// An FTS5 phrase, which the trigram tokenizer matches as a substring from its index alone.
    fn name_search_value(&self, s: &str) -> String {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// PostgreSQL with `jsonb`; substring tests use `LIKE` so trigram indexes apply.
pub struct Postgres;

fn pg_path(path: &[&str]) -> String {
    format!("'{{{}}}'", path.join(","))
}

impl SqlDialect for Postgres {
    fn json_text(&self, doc: &str, path: &[&str]) -> String {
        format!("({doc} #>> {})", pg_path(path))
    }
    fn json_bool(&self, doc: &str, path: &[&str]) -> String {
        format!("({doc} #>> {})::boolean", pg_path(path))
    }
    fn json_bool_false(&self) -> &'static str {
        "false"
    }
    fn json_number(&self, doc: &str, path: &[&str]) -> String {
        format!("({doc} #>> {})::numeric", pg_path(path))
    }
    fn json_elements(&self, doc: &str, path: &[&str], alias: &str) -> String {
        format!("jsonb_array_elements(coalesce({doc} #> {}, '[]'::jsonb)) AS {alias}(value)", pg_path(path))
    }
    fn element_text(&self, alias: &str) -> String {
        format!("({alias}.value #>> '{{}}')")
    }
    fn element_doc(&self, alias: &str) -> String {
        format!("{alias}.value")
    }
    fn instant_ms(&self, text: &str) -> String {
        format!("(extract(epoch from ({text})::timestamptz) * 1000)::bigint")
    }
    fn text_match(&self, text: &str, _op: CompareOp, p: &str) -> String {
        format!("{text} LIKE {p}")
    }
    fn match_value(&self, op: CompareOp, value: String) -> String {
        let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        match op {
            CompareOp::Sw => format!("{escaped}%"),
            CompareOp::Ew => format!("%{escaped}"),
            _ => format!("%{escaped}%"),
        }
    }
    fn distinct(&self, a: &str, b: &str) -> String {
        format!("{a} IS DISTINCT FROM {b}")
    }
    fn doc_text(&self, column: &str) -> String {
        format!("{column}::text")
    }
    fn doc_param(&self, n: usize) -> String {
        format!("?{n}::jsonb")
    }
    fn id_array(&self, column: &str, from: &str, order: &str) -> String {
        format!("(SELECT coalesce(json_agg({column} ORDER BY {order}), '[]')::text FROM {from})")
    }
    fn custom_field_text(&self, doc: &str, key: &str) -> String {
        format!("({doc} -> 'customFields' ->> '{key}')")
    }
    fn claim_lock(&self) -> &'static str {
        "FOR UPDATE SKIP LOCKED"
    }
    /// Names have trigram indexes of their own text, which serve `LIKE` and `ILIKE` alike
    /// (trigrams ignore case): a test that ignores case (`lower(name) LIKE …`) is narrowed
    /// by an `ILIKE` those indexes serve.
    fn name_search(&self, attr: &str, p: &str, folded: bool, _drives: bool) -> Option<String> {
        let path = match attr {
            "name.givenName" => ["name", "givenName"],
            "name.familyName" => ["name", "familyName"],
            _ => return None,
        };
        folded.then(|| format!("{} ILIKE {p}", self.json_text("u.doc", &path)))
    }
    fn name_search_value(&self, s: &str) -> String {
        self.match_value(CompareOp::Co, s.to_string())
    }
    fn pages_by_key(&self) -> bool {
        true
    }
    fn bulk_finish(&self) -> Option<&'static str> {
        // Until autovacuum gets to it, the planner would take a million new users for a few
        // (and, costing plans high, JIT-compile every page of an export).
        Some("ANALYZE users, user_emails, user_mobiles, memberships, groups, strong_id_history")
    }
}
