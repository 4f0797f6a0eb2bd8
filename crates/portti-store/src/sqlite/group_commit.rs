//! Group commit for SQLite: write transactions that queue up while one is running join
//! one physical transaction, each inside a savepoint of its own, and share its single
//! `COMMIT` (one fsync). Every one of them learns the outcome of that commit before
//! its own `commit()` returns, so a success still means the change is on disk.
//!
//! The writer connection sits behind a fair (FIFO) mutex. A logical transaction takes
//! the mutex, opens the physical transaction if none is open, works inside `SAVEPOINT`,
//! releases it on commit, hands the mutex on and wakes the committer. The committer
//! queues for the mutex behind every writer already waiting, so those join the batch;
//! when its turn comes it commits the batch. A logical transaction dropped half-way
//! (an error, a cancelled request) is rolled back to its savepoint by whoever takes the
//! mutex next; the others in the batch are untouched.
//!
//! The first transaction of a batch needs no savepoint: nothing else is in the batch while
//! it runs, so rolling back the whole batch undoes exactly it. That spares it the copy of
//! every page it changes that a savepoint keeps (a bulk import is one such transaction per
//! batch of users).

use super::native::{self, off_the_async_workers, sqlite_err};
use crate::sql::conn::{Cell, Conn, Kind};
use crate::sql::dialect::{self, SqlDialect};
use crate::sql::Bind;
use async_trait::async_trait;
use portti_core::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Mutex, OwnedMutexGuard};

/// The outcome of one physical commit, shared by every transaction in it.
type Outcome = watch::Receiver<Option<std::result::Result<(), String>>>;

/// The writer connection and its open batch.
struct Writer {
    conn: Connection,
    /// Statements run before each `COMMIT`, inside the transaction.
    before_commit: &'static [&'static str],
    /// The open physical transaction's outcome channel, if one is open.
    batch: Option<watch::Sender<Option<std::result::Result<(), String>>>>,
    /// The running logical transaction works inside a savepoint (it is not the batch's first).
    savepoint: bool,
    /// A logical transaction was dropped before it committed.
    abandoned: bool,
}

/// The writer shared by every write transaction of a store.
pub struct GroupWriter {
    writer: Arc<Mutex<Writer>>,
    wake: mpsc::UnboundedSender<()>,
}

impl GroupWriter {
    /// Take over `conn` for writing and start the committer, which runs `before_commit`
    /// ahead of each `COMMIT`.
    pub fn start(conn: Connection, before_commit: &'static [&'static str]) -> Self {
        let writer = Arc::new(Mutex::new(Writer {
            conn,
            before_commit,
            batch: None,
            savepoint: false,
            abandoned: false,
        }));
        let (wake, woken) = mpsc::unbounded_channel();
        tokio::spawn(committer(writer.clone(), woken));
        GroupWriter { writer, wake }
    }

    /// A logical write transaction.
    pub async fn begin(&self) -> Result<GroupTx> {
        let mut w = self.writer.clone().lock_owned().await;
        settle(&mut w);
        let first = w.batch.is_none();
        if first {
            // IMMEDIATE: take the write lock before the first read. A deferred BEGIN reads
            // from a snapshot that another process (an import) may commit past before the
            // first write, and SQLite then fails that write at once with SQLITE_BUSY_SNAPSHOT
            // instead of waiting out the busy timeout.
            run(&w.conn, "BEGIN IMMEDIATE")?;
            w.batch = Some(watch::channel(None).0);
        } else if let Err(e) = run(&w.conn, "SAVEPOINT lt") {
            fail_batch(&mut w, e.to_string());
            return Err(e);
        }
        w.savepoint = !first;
        let outcome = w.batch.as_ref().map(|b| b.subscribe());
        Ok(GroupTx { writer: Some(w), outcome, wake: self.wake.clone() })
    }

    /// Commit what is pending and close the connection.
    pub async fn close(&self) {
        let mut w = self.writer.lock().await;
        settle(&mut w);
        commit_batch(&mut w);
    }
}

/// The committer: whenever a transaction has finished, wait for the writer (behind every
/// transaction already queued, which thereby joins the batch) and commit the batch.
async fn committer(writer: Arc<Mutex<Writer>>, mut woken: mpsc::UnboundedReceiver<()>) {
    while woken.recv().await.is_some() {
        while woken.try_recv().is_ok() {}
        let mut w = writer.lock().await;
        settle(&mut w);
        commit_batch(&mut w);
    }
}

/// Roll back a transaction that was dropped before it committed: to its savepoint, or the
/// whole batch if it was the batch's first (and so its only member).
fn settle(w: &mut Writer) {
    if !std::mem::take(&mut w.abandoned) {
        return;
    }
    if !w.savepoint {
        return fail_batch(w, "the transaction was abandoned".into());
    }
    let undo = run(&w.conn, "ROLLBACK TO lt").and(run(&w.conn, "RELEASE lt"));
    if let Err(e) = undo {
        fail_batch(w, format!("the batch could not be rolled back in part: {e}"));
    }
}

/// Commit the open batch (the one `fsync`, off the async workers) and tell its members.
fn commit_batch(w: &mut Writer) {
    let Some(batch) = w.batch.take() else { return };
    let done = off_the_async_workers(|| {
        w.before_commit.iter().try_for_each(|sql| run(&w.conn, sql))?;
        run(&w.conn, "COMMIT")
    });
    if done.is_err() {
        let _ = run(&w.conn, "ROLLBACK");
    }
    let _ = batch.send(Some(done.map_err(|e| e.to_string())));
}

/// Give up the whole open batch: roll it back and tell its members.
fn fail_batch(w: &mut Writer, why: String) {
    let _ = run(&w.conn, "ROLLBACK");
    if let Some(batch) = w.batch.take() {
        let _ = batch.send(Some(Err(why)));
    }
}

/// One logical write transaction: the writer while it runs, then the batch's outcome.
pub struct GroupTx {
    writer: Option<OwnedMutexGuard<Writer>>,
    outcome: Option<Outcome>,
    wake: mpsc::UnboundedSender<()>,
}

impl GroupTx {
    fn conn(&self) -> Result<&Connection> {
        match self.writer.as_ref() {
            Some(w) => Ok(&w.conn),
            None => Err(Error::Internal("the write transaction has ended".into())),
        }
    }
}

impl Drop for GroupTx {
    fn drop(&mut self) {
        if let Some(mut w) = self.writer.take() {
            w.abandoned = true;
            drop(w);
            let _ = self.wake.send(());
        }
    }
}

#[async_trait]
impl Conn for GroupTx {
    fn dialect(&self) -> &'static dyn SqlDialect {
        &dialect::Sqlite
    }

    async fn exec(&mut self, sql: &str, binds: &[Bind]) -> Result<u64> {
        native::exec(self.conn()?, sql, binds)
    }

    async fn rows(&mut self, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>> {
        native::rows(self.conn()?, sql, binds, kinds)
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        let Some(mut w) = self.writer.take() else {
            return Err(Error::Internal("the write transaction has ended".into()));
        };
        if let Err(e) = if w.savepoint { run(&w.conn, "RELEASE lt") } else { Ok(()) } {
            w.abandoned = true;
            drop(w);
            let _ = self.wake.send(());
            return Err(e);
        }
        drop(w);
        let _ = self.wake.send(());
        let Some(mut outcome) = self.outcome.take() else {
            return Err(Error::Internal("the write transaction has no batch".into()));
        };
        let settled = outcome.wait_for(Option::is_some).await.map(|o| o.clone());
        match settled {
            Ok(Some(Ok(()))) => Ok(()),
            Ok(Some(Err(e))) => Err(Error::Unavailable(format!("the write could not be committed: {e}"))),
            _ => Err(Error::Unavailable("the writer stopped before committing".into())),
        }
    }
}

/// Run one statement without arguments.
fn run(conn: &Connection, sql: &str) -> Result<()> {
    native::exec(conn, sql, &[]).map(drop)
}

/// A dedicated read-write connection for the writer (it lives as long as the store):
/// WAL (set by the schema's setup), every commit synced, foreign keys enforced, and the
/// savepoints' journal kept in memory (it only serves rolling a savepoint back; the WAL
/// alone makes commits durable); for a bulk load, a large page cache and rarer checkpoints
/// (see [`crate::OpenOptions::bulk_load`]).
pub fn connect(path: &Path, busy_timeout: Duration, bulk_load: bool) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sqlite_err)?;
    conn.busy_timeout(busy_timeout).map_err(sqlite_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(sqlite_err)?;
    if bulk_load {
        conn.execute_batch("PRAGMA cache_size = -524288; PRAGMA wal_autocheckpoint = 65536;")
            .map_err(sqlite_err)?;
    }
    conn.set_prepared_statement_cache_capacity(native::STATEMENT_CACHE);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use crate::sqlite::SqliteStore;
    use crate::{OpenOptions, Store};
    use portti_core::model::Namespace;
    use std::sync::Arc;

    async fn store(name: &str) -> Arc<SqliteStore> {
        let dir = std::env::temp_dir().join(format!("portti-gc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/t.db", dir.display());
        Arc::new(SqliteStore::open(&url, &OpenOptions::default()).await.unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_all_commit() {
        let s = store("all").await;
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move {
                    let mut tx = s.write().await.unwrap();
                    tx.put_setting(&format!("k{i}"), "v").await.unwrap();
                    tx.commit().await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let mut r = s.read().await.unwrap();
        for i in 0..50 {
            assert_eq!(r.setting(&format!("k{i}")).await.unwrap().as_deref(), Some("v"));
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_transaction_leaves_its_batch_alone() {
        let s = store("drop").await;
        let first = {
            let mut tx = s.write().await.unwrap();
            tx.put_setting("kept-1", "v").await.unwrap();
            let s2 = s.clone();
            // Queued behind `tx`: joins its batch.
            let waiting = tokio::spawn(async move {
                let mut gone = s2.write().await.unwrap();
                gone.put_setting("dropped", "v").await.unwrap();
                drop(gone);
                let mut tx = s2.write().await.unwrap();
                tx.put_setting("kept-2", "v").await.unwrap();
                tx.commit().await
            });
            tokio::task::yield_now().await;
            (tx.commit().await, waiting)
        };
        first.0.unwrap();
        first.1.await.unwrap().unwrap();
        let mut r = s.read().await.unwrap();
        assert!(r.setting("kept-1").await.unwrap().is_some());
        assert!(r.setting("kept-2").await.unwrap().is_some());
        assert!(r.setting("dropped").await.unwrap().is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_first_transaction_leaves_nothing_behind() {
        let s = store("first").await;
        let mut gone = s.write().await.unwrap();
        gone.put_setting("dropped", "v").await.unwrap();
        drop(gone);
        let mut tx = s.write().await.unwrap();
        tx.put_setting("kept", "v").await.unwrap();
        tx.commit().await.unwrap();
        let mut r = s.read().await.unwrap();
        assert!(r.setting("dropped").await.unwrap().is_none());
        assert!(r.setting("kept").await.unwrap().is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_statement_rolls_back_only_its_own_transaction() {
        let s = store("fail").await;
        let ns = |code: &str| Namespace { id: code.into(), code: code.into(), ..Default::default() };
        let mut tx = s.write().await.unwrap();
        tx.put_setting("before", "v").await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = s.write().await.unwrap();
        tx.put_setting("half", "v").await.unwrap();
        tx.insert_namespace(&ns("dup")).await.unwrap();
        let err = tx.insert_namespace(&ns("dup")).await.unwrap_err();
        assert_eq!(err.status(), 409);
        drop(tx);
        let mut tx = s.write().await.unwrap();
        tx.put_setting("after", "v").await.unwrap();
        tx.commit().await.unwrap();
        let mut r = s.read().await.unwrap();
        assert!(r.setting("before").await.unwrap().is_some());
        assert!(r.setting("half").await.unwrap().is_none());
        assert!(r.namespace("dup").await.unwrap().is_none());
        assert!(r.setting("after").await.unwrap().is_some());
    }
}
