//! The SQLite store: one file under the data directory, WAL, one writer at a time with
//! group commit, statements run on the calling thread (rusqlite); sqlx only migrates.

mod group_commit;
mod native;
mod read;

use crate::sql::db_err;
use crate::sql::tx::SqlTx;
use crate::{OpenOptions, PoolStats, Store, Tx};
use async_trait::async_trait;
use group_commit::GroupWriter;
use portti_core::{Error, Result};
use read::ReadPool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// How long a statement waits for a lock another process holds before giving up (503).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Run by the writer before each `COMMIT`: rewrite the name-index entries of the users
/// changed since the last one (migration 0011 says why the triggers no longer do it).
const SEARCH_AT_COMMIT: &[&str] = &[
    // CROSS JOIN: from the few stale users to their rows, never the other way; entries go
    // in in key order, as FTS5 writes its pending entries out whenever a key is lower than
    // the one before.
    "DELETE FROM user_search WHERE rowid IN \
     (SELECT u.key FROM user_search_stale s CROSS JOIN users u ON u.id = s.user_id WHERE s.indexed)",
    "INSERT INTO user_search (rowid, username, given_name, family_name) \
     SELECT u.key, u.username, json_extract(u.doc, '$.name.givenName'), json_extract(u.doc, '$.name.familyName') \
     FROM user_search_stale s CROSS JOIN users u ON u.id = s.user_id ORDER BY u.key",
    "DELETE FROM user_search_stale",
];

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite store. Writes go through a single connection, so writers queue in
/// the process instead of failing with `SQLITE_BUSY`, and those that queue share a commit
/// (see [`group_commit`]); reads use a pool of read-only connections (see [`read`]).
pub struct SqliteStore {
    writer: GroupWriter,
    read: ReadPool,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `url` and bring its schema up to date.
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self> {
        native::configure_library();
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::bad(format!("bad SQLite URL {url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        if let Some(dir) = base.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        // Migrations run with foreign keys off: rebuilding a table (0012) drops the old one,
        // which would otherwise cascade into every table that refers to it. The writer
        // (below) enforces them.
        let setup = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone().foreign_keys(false))
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
        let writer = GroupWriter::start(
            group_commit::connect(base.get_filename(), BUSY_TIMEOUT, options.bulk_load)?,
            SEARCH_AT_COMMIT,
        );
        let read = ReadPool::new(base.get_filename().to_path_buf(), options.max_connections, BUSY_TIMEOUT);
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
        Ok(Box::new(SqlTx::new(self.read.begin().await?)))
    }

    async fn write(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqlTx::new(self.writer.begin().await?)))
    }

    async fn ping(&self) -> Result<()> {
        self.read.begin().await.map(drop)
    }

    fn stats(&self) -> PoolStats {
        let (size, idle) = self.read.stats();
        PoolStats { size: size + 1, idle }
    }

    async fn close(&self) {
        self.read.close();
        self.writer.close().await;
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

#[cfg(test)]
mod plans;
#[cfg(test)]
mod upgrade;
