//! SQL text shared by the backends: the dialect each one speaks and the filter compiler.

pub mod conn;
pub mod dialect;
pub mod filter;
pub mod tx;

pub use dialect::SqlDialect;
pub use filter::{compile_order, compile_where, Bind, Columns, NameIndex, Source, Where};

use crate::{Query, Scope};
use portti_core::Result;

/// The full condition of a list query: the namespace scope, then the filter.
pub fn query_where(
    query: &Query,
    cols: &Columns,
    scope_column: &str,
    d: &dyn SqlDialect,
    name_index: NameIndex,
) -> Result<Where> {
    let mut out = Where { sql: cols.always.into(), binds: Vec::new() };
    if let Scope::Namespaces(codes) = &query.scope {
        if codes.is_empty() {
            out.sql = "1 = 0".into();
        } else {
            let (marks, binds) = in_list(codes, d);
            out.sql = format!("{} AND {scope_column} IN ({marks})", cols.always);
            out.binds = binds;
        }
    }
    if let Some(filter) = &query.filter {
        let w = compile_where(filter, cols, d, query.text_case, name_index, out.binds.len() + 1)?;
        out.sql = format!("{} AND {}", out.sql, w.sql);
        out.binds.extend(w.binds);
    }
    Ok(out)
}

/// The placeholders `?1, ?2, ...` of an `IN (...)` list of `codes`, and their values.
pub(crate) fn in_list(codes: &[String], d: &dyn SqlDialect) -> (String, Vec<Bind>) {
    let marks: Vec<String> = (1..=codes.len()).map(|n| d.placeholder(n)).collect();
    (marks.join(", "), codes.iter().cloned().map(Bind::Text).collect())
}

/// What went wrong in the database, as far as a caller cares.
pub(crate) enum Failure {
    /// A unique key is taken.
    Unique,
    /// A row is still referenced (or references what is not there).
    ForeignKey,
    /// Contention: a lock, a serialization failure, a deadlock broken.
    Busy,
    /// The database cannot be reached.
    Unreachable,
    /// Anything else: a bug or a damaged database.
    Other,
}

/// The error a failure of the database becomes: conflicts are 409s, contention and lost
/// connections make the store unavailable (503), the rest is internal and logged.
pub(crate) fn failure(kind: Failure, detail: &dyn std::fmt::Display) -> portti_core::Error {
    use portti_core::Error;
    match kind {
        Failure::Unique => Error::Conflict("the value is already taken".into()),
        Failure::ForeignKey => Error::Conflict("the resource is still referenced by others".into()),
        Failure::Busy => Error::Unavailable("the database is busy; try again".into()),
        Failure::Unreachable => {
            tracing::warn!(error = %detail, "database unavailable");
            Error::Unavailable("the database is unavailable; try again shortly".into())
        }
        Failure::Other => {
            tracing::error!(error = %detail, "database error");
            Error::Internal("database error".into())
        }
    }
}

/// Classify a sqlx error (see [`failure`]).
pub(crate) fn db_err(e: sqlx::Error) -> portti_core::Error {
    let kind = match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Failure::Unique,
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => Failure::ForeignKey,
        sqlx::Error::Database(d) if retryable(d.code().as_deref()) => Failure::Busy,
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => Failure::Unreachable,
        _ => Failure::Other,
    };
    failure(kind, &e)
}

/// SQLite busy/locked codes, and PostgreSQL's serialization, deadlock, shutdown and
/// connection-class errors: worth a retry by the caller.
fn retryable(code: Option<&str>) -> bool {
    match code {
        Some("5" | "6" | "261" | "517" | "40001" | "40P01" | "57P01" | "57P02" | "57P03") => true,
        Some(c) => c.starts_with("08"),
        None => false,
    }
}
