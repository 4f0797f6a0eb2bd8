//! SQLite reads on the calling thread: a pool of read-only connections whose statements
//! run inline. A point read takes microseconds; handing each statement to a connection's
//! worker thread and back (as sqlx's driver does) cost ten times that in thread wake-ups.

use super::native::{self, off_the_async_workers, sqlite_err, STATEMENT_CACHE};
use crate::sql::conn::{Cell, Conn, Kind};
use crate::sql::dialect::{self, SqlDialect};
use crate::sql::Bind;
use async_trait::async_trait;
use portti_core::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Read-only connections to one database file, opened on demand up to a limit.
pub struct ReadPool {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    size: u32,
}

impl ReadPool {
    /// A pool of at most `size` connections to the database at `path`.
    pub fn new(path: PathBuf, size: u32, busy_timeout: Duration) -> Self {
        let size = size.max(1);
        let permits = Arc::new(Semaphore::new(size as usize));
        ReadPool { inner: Arc::new(Inner { path, busy_timeout, idle: Mutex::default(), permits, size }) }
    }

    /// A read transaction: one snapshot of the database until it ends.
    pub async fn begin(&self) -> Result<ReadTx> {
        let closed = || Error::Unavailable("the store is closed".into());
        let permit = self.inner.permits.clone().acquire_owned().await.map_err(|_| closed())?;
        let conn = match self.inner.take_idle() {
            Some(conn) => conn,
            None => self.inner.connect()?,
        };
        native::exec(&conn, "BEGIN", &[])?;
        Ok(ReadTx { conn: Some(conn), pool: self.inner.clone(), _permit: permit })
    }

    /// Connections open, and those of them idle.
    pub fn stats(&self) -> (u32, u32) {
        let idle = self.inner.idle.lock().unwrap_or_else(PoisonError::into_inner).len() as u32;
        let busy = self.inner.size - self.inner.permits.available_permits() as u32;
        (idle + busy, idle)
    }

    /// Refuse new transactions and close the idle connections.
    pub fn close(&self) {
        self.inner.permits.close();
        self.inner.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

impl Inner {
    fn take_idle(&self) -> Option<Connection> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    fn connect(&self) -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(sqlite_err)?;
        conn.busy_timeout(self.busy_timeout).map_err(sqlite_err)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }
}

/// An open read transaction on a pooled connection; rolled back and returned to the pool
/// when dropped.
pub struct ReadTx {
    conn: Option<Connection>,
    pool: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl ReadTx {
    fn conn(&self) -> Result<&Connection> {
        self.conn.as_ref().ok_or_else(|| Error::Internal("the read transaction has ended".into()))
    }
}

impl Drop for ReadTx {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if conn.is_autocommit() || native::exec(&conn, "ROLLBACK", &[]).is_ok() {
            self.pool.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        }
    }
}

#[async_trait]
impl Conn for ReadTx {
    fn dialect(&self) -> &'static dyn SqlDialect {
        &dialect::Sqlite
    }

    async fn exec(&mut self, sql: &str, binds: &[Bind]) -> Result<u64> {
        native::exec(self.conn()?, sql, binds)
    }

    async fn rows(&mut self, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>> {
        native::rows(self.conn()?, sql, binds, kinds)
    }

    async fn scan(&mut self, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>> {
        let conn = self.conn()?;
        off_the_async_workers(|| native::rows(conn, sql, binds, kinds))
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        native::exec(self.conn()?, "COMMIT", &[]).map(|_| ())
    }
}
