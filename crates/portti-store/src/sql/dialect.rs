//! How one SQL backend spells placeholders, JSON access and string tests.

/// The backend-specific spellings the filter compiler needs.
pub trait SqlDialect: Sync {
    /// The placeholder for the `n`-th (1-based) bound value.
    fn placeholder(&self, n: usize) -> String;
    /// The text at a fixed path of a JSON document column (NULL when absent).
    fn json_text(&self, doc: &str, path: &[&str]) -> String;
    /// The boolean at a fixed path as 1/0/NULL comparable to a bound integer.
    fn json_bool(&self, doc: &str, path: &[&str]) -> String;
    /// The number at a fixed path.
    fn json_number(&self, doc: &str, path: &[&str]) -> String;
    /// A FROM item yielding one row per element of the array at `path`, named `alias`.
    fn json_elements(&self, doc: &str, path: &[&str], alias: &str) -> String;
    /// The element value of a [`SqlDialect::json_elements`] row as text (scalar arrays).
    fn element_text(&self, alias: &str) -> String;
    /// The document of a [`SqlDialect::json_elements`] row, for [`SqlDialect::json_text`].
    fn element_doc(&self, alias: &str) -> String;
    /// Milliseconds since the epoch of an ISO-8601 text expression.
    fn instant_ms(&self, text: &str) -> String;
    /// `text` contains the bound value `p`.
    fn contains(&self, text: &str, p: &str) -> String;
    /// `text` starts with `p`.
    fn starts_with(&self, text: &str, p: &str) -> String;
    /// `text` ends with `p`.
    fn ends_with(&self, text: &str, p: &str) -> String;
    /// Null-safe inequality.
    fn distinct(&self, a: &str, b: &str) -> String;
    /// The false literal that [`SqlDialect::json_bool`] compares with.
    fn json_bool_false(&self) -> &'static str;
}

/// SQLite with its JSON1 functions.
pub struct Sqlite;

fn sqlite_path(path: &[&str]) -> String {
    let mut out = String::from("'$");
    for seg in path {
        out.push('.');
        out.push_str(seg);
    }
    out.push('\'');
    out
}

impl SqlDialect for Sqlite {
    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }
    fn json_text(&self, doc: &str, path: &[&str]) -> String {
        format!("json_extract({doc}, {})", sqlite_path(path))
    }
    fn json_bool(&self, doc: &str, path: &[&str]) -> String {
        self.json_text(doc, path)
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
    fn contains(&self, text: &str, p: &str) -> String {
        format!("instr({text}, {p}) > 0")
    }
    fn starts_with(&self, text: &str, p: &str) -> String {
        format!("substr({text}, 1, length({p})) = {p}")
    }
    fn ends_with(&self, text: &str, p: &str) -> String {
        format!("(length({text}) >= length({p}) AND substr({text}, length({text}) - length({p}) + 1) = {p})")
    }
    fn distinct(&self, a: &str, b: &str) -> String {
        format!("{a} IS NOT {b}")
    }
    fn json_bool_false(&self) -> &'static str {
        "0"
    }
}
