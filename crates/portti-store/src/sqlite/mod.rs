//! The SQLite store: one file under the data directory, WAL, one writer at a time with
//! group commit.

mod group_commit;

use crate::sql::conn::{Cell, Conn, Kind};
use crate::sql::dialect::{self, SqlDialect};
use crate::sql::tx::SqlTx;
use crate::sql::{db_err, Bind};
use crate::{OpenOptions, PoolStats, Store, Tx};
use async_trait::async_trait;
use group_commit::GroupWriter;
use portti_core::{Error, Result};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite store. Writes go through a single connection, so writers queue in
/// the process instead of failing with `SQLITE_BUSY`, and those that queue share a commit
/// (see [`group_commit`]); reads use a pool of read-only connections.
pub struct SqliteStore {
    writer: GroupWriter,
    read: SqlitePool,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `url` and bring its schema up to date.
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::bad(format!("bad SQLite URL {url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        if let Some(dir) = base.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let setup = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone())
            .await
            .map_err(db_err)?;
        let migrated = migrate(&setup, options.migrate).await;
        if migrated.is_ok() {
            // Statistics for the query planner (bounded work; refreshed only where stale),
            // so that e.g. a name search starts from the name index, not the namespace.
            let _ = sqlx::query("PRAGMA optimize=0x10002").execute(&setup).await;
        }
        setup.close().await;
        migrated?;
        let writer = GroupWriter::start(group_commit::connect(&base).await?);
        let read = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .connect_with(base.read_only(true))
            .await
            .map_err(db_err)?;
        Ok(SqliteStore { writer, read })
    }
}

async fn migrate(pool: &SqlitePool, apply: bool) -> Result<()> {
    if apply {
        return MIGRATOR
            .run(pool)
            .await
            .map_err(|e| Error::Unavailable(format!("database migration failed: {e}")));
    }
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .unwrap_or(0);
    if applied < MIGRATOR.iter().count() as i64 {
        return Err(Error::Unavailable("the database schema is outdated: run `portti migrate`".into()));
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn read(&self) -> Result<Box<dyn Tx>> {
        let tx = self.read.begin().await.map_err(db_err)?;
        Ok(Box::new(SqlTx::new(SqliteConn(tx))))
    }

    async fn write(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqlTx::new(self.writer.begin().await?)))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await.map_err(db_err)?;
        Ok(())
    }

    fn stats(&self) -> PoolStats {
        PoolStats { size: self.read.size() + 1, idle: self.read.num_idle() as u32 }
    }

    async fn close(&self) {
        self.read.close().await;
        self.writer.close().await;
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

/// An open SQLite read transaction.
struct SqliteConn(Transaction<'static, Sqlite>);

#[async_trait]
impl Conn for SqliteConn {
    fn dialect(&self) -> &'static dyn SqlDialect {
        &dialect::Sqlite
    }

    async fn exec(&mut self, sql: &str, binds: &[Bind]) -> Result<u64> {
        let done = sqlite_bound(sqlx::query(sql), binds).execute(&mut *self.0).await.map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn rows(&mut self, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>> {
        let rows = sqlite_bound(sqlx::query(sql), binds).fetch_all(&mut *self.0).await.map_err(db_err)?;
        rows.iter().map(|r| cells(r, kinds)).collect()
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.0.commit().await.map_err(db_err)
    }
}

fn sqlite_bound<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s.as_str()),
            Bind::Int(i) => q.bind(*i),
            Bind::Bool(v) => q.bind(*v),
            Bind::Null => q.bind(None::<String>),
        };
    }
    q
}

fn cells(row: &SqliteRow, kinds: &[Kind]) -> Result<Vec<Cell>> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| match kind {
            Kind::Text => row.try_get::<Option<String>, _>(i).map(Cell::Text),
            Kind::Int => row.try_get::<i64, _>(i).map(Cell::Int),
        })
        .collect::<Result<_, _>>()
        .map_err(db_err)
}
