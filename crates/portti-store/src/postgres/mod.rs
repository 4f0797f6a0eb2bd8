//! The PostgreSQL store: for several Portti nodes on one database.

use crate::sql::conn::{Cell, Conn, Kind};
use crate::sql::dialect::{self, SqlDialect};
use crate::sql::tx::{self, SqlTx};
use crate::sql::Bind;
use crate::{OpenOptions, PoolStats, Store, Tx, WholeUser};
use async_trait::async_trait;
use grouped::Grouped;
use lookups::Loader;
use portti_core::model::{ManagementClient, Namespace, User};
use portti_core::{Error, Result};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row, Transaction};
use stale::db_err;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL store: a connection pool; the database serialises what must be.
pub struct PgStore {
    pool: PgPool,
    /// Where the workers below open their own connections.
    connect: PgConnectOptions,
    /// Single-user inserts written together; started at the first.
    grouped: OnceLock<Grouped>,
    /// Lookups of clients and namespaces answered together; started at the first.
    lookups: OnceLock<Lookups>,
}

/// The loaders of [`Store::lookup_client`], [`Store::lookup_namespace`] and
/// [`Store::lookup_user`].
struct Lookups {
    clients: Loader<Option<(ManagementClient, String)>>,
    namespaces: Loader<Option<Namespace>>,
    users: Loader<Option<User>>,
}

impl PgStore {
    fn lookups(&self) -> &Lookups {
        self.lookups.get_or_init(|| Lookups {
            clients: Loader::start(&self.connect, tx::clients_by_id(&dialect::Postgres)),
            namespaces: Loader::start(&self.connect, tx::namespaces_by_id_or_code(&dialect::Postgres)),
            users: Loader::start(&self.connect, tx::users_by_id(&dialect::Postgres)),
        })
    }
}

impl PgStore {
    /// Connect to `url` and bring its schema up to date. Migrations hold an advisory
    /// lock, so nodes starting together apply them once.
    pub async fn open(url: &str, options: &OpenOptions) -> Result<Self> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(|e| Error::bad(format!("bad PostgreSQL URL: {e}")))?
            .application_name("portti");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(5))
            // Tested before use only when it may be stale (see `stale`); sqlx tests every
            // connection returned to the pool as well.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if stale::needs_test(meta.idle_for) {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(connect.clone())
            .await
            .map_err(|e| Error::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        if options.migrate {
            MIGRATOR
                .run(&pool)
                .await
                .map_err(|e| Error::Unavailable(format!("database migration failed: {e}")))?;
        } else {
            check_schema(&pool).await?;
        }
        Ok(PgStore { pool, connect, grouped: OnceLock::new(), lookups: OnceLock::new() })
    }
}

async fn check_schema(pool: &PgPool) -> Result<()> {
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
impl Store for PgStore {
    async fn read(&self) -> Result<Box<dyn Tx>> {
        // One snapshot for the whole read, opened in the same round trip as the transaction.
        let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
        let tx = self.pool.begin_with(begin).await.map_err(db_err)?;
        Ok(Box::new(SqlTx::new(PgConn(tx))))
    }

    async fn write(&self) -> Result<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(Box::new(SqlTx::new(PgConn(tx))))
    }

    async fn insert_one_user(&self, user: WholeUser) -> Result<()> {
        self.grouped.get_or_init(|| Grouped::start(&self.connect)).insert(user).await
    }

    async fn lookup_client(&self, id: &str) -> Result<Option<(ManagementClient, String)>> {
        self.lookups().clients.get(id).await
    }

    async fn lookup_namespace(&self, id_or_code: &str) -> Result<Option<Namespace>> {
        self.lookups().namespaces.get(id_or_code).await
    }

    async fn lookup_user(&self, id: &str) -> Result<Option<User>> {
        self.lookups().users.get(id).await
    }

    fn batches_lookups(&self) -> bool {
        true
    }

    /// Two: a single import transaction left a core idle (the backend and Portti take
    /// turns); two write 1.5 times as fast on two cores.
    fn bulk_writers(&self) -> usize {
        2
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    fn stats(&self) -> PoolStats {
        PoolStats { size: self.pool.size(), idle: self.pool.num_idle() as u32 }
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}

/// An open PostgreSQL transaction: on a pooled connection, or a worker's own.
struct PgConn<'c>(Transaction<'c, Postgres>);

#[async_trait]
impl Conn for PgConn<'_> {
    fn dialect(&self) -> &'static dyn SqlDialect {
        &dialect::Postgres
    }

    async fn exec(&mut self, sql: &str, binds: &[Bind]) -> Result<u64> {
        let sql = numbered(sql);
        let done = bound(sqlx::query(&sql), binds).execute(&mut *self.0).await.map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn rows(&mut self, sql: &str, binds: &[Bind], kinds: &[Kind]) -> Result<Vec<Vec<Cell>>> {
        let sql = numbered(sql);
        let rows = bound(sqlx::query(&sql), binds).fetch_all(&mut *self.0).await.map_err(db_err)?;
        rows.iter().map(|r| cells(r, kinds)).collect()
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.0.commit().await.map_err(db_err)
    }
}

/// `?N` placeholders as PostgreSQL's `$N`, leaving quoted text alone.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

fn bound<'q>(
    mut q: sqlx::query::Query<'q, Postgres, PgArguments>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
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

fn cells(row: &PgRow, kinds: &[Kind]) -> Result<Vec<Cell>> {
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

mod grouped;
mod lookups;
mod own;
#[cfg(test)]
mod plans;
mod stale;
mod turns;

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(numbered("a = ?1 AND b = ?12"), "a = $1 AND b = $12");
        assert_eq!(numbered("x #>> '{a,b}' = ?2 AND y = '?3'"), "x #>> '{a,b}' = $2 AND y = '?3'");
        assert_eq!(numbered("d = ?5::jsonb"), "d = $5::jsonb");
    }
}
