//! SQL text shared by the backends: the dialect each one speaks and the filter compiler.

pub mod conn;
pub mod dialect;
pub mod filter;
pub mod tx;

pub use dialect::SqlDialect;
pub use filter::{compile_order, compile_where, Bind, Columns, Source, Where};

use crate::{Query, Scope};
use portti_core::Result;

/// The full condition of a list query: the namespace scope, then the filter.
pub fn query_where(query: &Query, cols: &Columns, scope_column: &str, d: &dyn SqlDialect) -> Result<Where> {
    let mut out = Where { sql: cols.always.into(), binds: Vec::new() };
    if let Scope::Namespaces(codes) = &query.scope {
        if codes.is_empty() {
            out.sql = "1 = 0".into();
        } else {
            let marks: Vec<String> = (1..=codes.len()).map(|n| d.placeholder(n)).collect();
            out.sql = format!("{} AND {scope_column} IN ({})", cols.always, marks.join(", "));
            out.binds = codes.iter().cloned().map(Bind::Text).collect();
        }
    }
    if let Some(filter) = &query.filter {
        let w = compile_where(filter, cols, d, query.text_case, out.binds.len() + 1)?;
        out.sql = format!("{} AND {}", out.sql, w.sql);
        out.binds.extend(w.binds);
    }
    Ok(out)
}

/// Classify a database error: unique and foreign-key violations are conflicts, lost
/// connections and contention make the store unavailable, the rest is internal.
pub(crate) fn db_err(e: sqlx::Error) -> portti_core::Error {
    use portti_core::Error;
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::Conflict("the value is already taken".into())
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            Error::Conflict("the resource is still referenced by others".into())
        }
        sqlx::Error::Database(d) if retryable(d.code().as_deref()) => {
            Error::Unavailable("the database is busy; try again".into())
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => {
            tracing::warn!(error = %e, "database unavailable");
            Error::Unavailable("the database is unavailable; try again shortly".into())
        }
        _ => {
            tracing::error!(error = %e, "database error");
            Error::Internal("database error".into())
        }
    }
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
