//! The little a backend must do for the shared transaction code: run SQL with bound
//! values and hand back plain cells.

use super::{Bind, SqlDialect};
use async_trait::async_trait;
use portti_core::{Error, Result};

/// The type of a result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, possibly NULL.
    Text,
    /// A 64-bit integer.
    Int,
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (NULL as `None`).
    Text(Option<String>),
    /// An integer.
    Int(i64),
}

impl Cell {
    /// The text, or an error when NULL or not text.
    pub fn text(&self) -> Result<String> {
        match self {
            Cell::Text(Some(s)) => Ok(s.clone()),
            other => Err(Error::Internal(format!("expected text in the store, found {other:?}"))),
        }
    }

    /// The text or NULL.
    pub fn opt_text(&self) -> Option<String> {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(_) => None,
        }
    }

    /// The integer.
    pub fn int(&self) -> Result<i64> {
        match self {
            Cell::Int(i) => Ok(*i),
            other => Err(Error::Internal(format!("expected an integer in the store, found {other:?}"))),
        }
    }

    /// As a bind value, to copy it into another store.
    pub fn to_bind(&self) -> Bind {
        match self {
            Cell::Text(Some(s)) => Bind::Text(s.clone()),
            Cell::Text(None) => Bind::Null,
            Cell::Int(i) => Bind::Int(*i),
        }
    }
}

/// A backend's open transaction. SQL uses `?N` placeholders; backends that spell
/// them otherwise rewrite them.
#[async_trait]
pub trait Conn: Send {
    /// The backend's SQL spellings.
    fn dialect(&self) -> &'static dyn SqlDialect;
    /// Run a statement; the number of rows it touched.
    async fn exec(&mut self, sql: &str, binds: &[Bind]) -> Result<u64>;
    /// Run a query; each row's cells typed as `kinds` says.
    async fn rows(&mut self, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>>;
    /// Run a query that may visit many rows (a filtered count, a page of a list). Backends
    /// that run statements on the calling thread move it off the async workers.
    async fn scan(&mut self, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>> {
        self.rows(sql, binds, kinds).await
    }
    /// Commit.
    async fn commit(self: Box<Self>) -> Result<()>;
}
