//! The storage ceiling without group commit: `--tasks` concurrent tasks each inserting one
//! user-sized row per transaction (BEGIN; INSERT; COMMIT) for `--seconds`, through sqlx with
//! the durability settings of Portti's stores:
//!
//! - SQLite (crates/portti-store/src/sqlite/mod.rs): WAL, `synchronous=FULL`, a 10 s busy
//!   timeout, foreign keys on, and one write connection shared by every task (Portti
//!   serialises its writers the same way);
//! - PostgreSQL (crates/portti-store/src/postgres/mod.rs): the server's defaults
//!   (`synchronous_commit=on`, `fsync=on`) and a pool of 8 connections, Portti's default.
//!
//! The table has the shape and indexes of Portti's `users` table. Prints one JSON line:
//! `{"inserts":N,"seconds":S,"per_second":R,"errors":E,"p50_ms":..,"p99_ms":..}`.
//!
//! `raw_insert --url sqlite:///tmp/x/raw.db [--tasks 64] [--seconds 10] [--row-bytes 600]`

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SCHEMA: [&str; 3] = [
    "CREATE TABLE bench_users (
        id             TEXT PRIMARY KEY,
        ns_code        TEXT NOT NULL,
        username       TEXT NOT NULL,
        username_lower TEXT NOT NULL,
        doc            TEXT NOT NULL,
        password_hash  TEXT,
        created_ms     BIGINT NOT NULL,
        modified_ms    BIGINT NOT NULL,
        UNIQUE (ns_code, username_lower)
    )",
    "CREATE INDEX bench_users_ns_created ON bench_users (ns_code, created_ms, id)",
    "CREATE INDEX bench_users_username ON bench_users (username_lower)",
];

const INSERT_SQLITE: &str =
    "INSERT INTO bench_users (id, ns_code, username, username_lower, doc, created_ms, modified_ms) \
     VALUES (?1, 'bench', ?2, ?3, ?4, ?5, ?5)";
const INSERT_PG: &str =
    "INSERT INTO bench_users (id, ns_code, username, username_lower, doc, created_ms, modified_ms) \
     VALUES ($1, 'bench', $2, $3, $4, $5, $5)";

struct Args {
    url: String,
    tasks: usize,
    seconds: u64,
    row_bytes: usize,
    connections: Option<u32>,
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let report = if args.url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(&args.url)
            .unwrap_or_else(|e| fail(&format!("bad SQLite URL: {e}")))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(args.connections.unwrap_or(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .unwrap_or_else(|e| fail(&format!("cannot open {}: {e}", args.url)));
        run(Db::Sqlite(pool), &args).await
    } else if args.url.starts_with("postgres:") || args.url.starts_with("postgresql:") {
        let options = PgConnectOptions::from_str(&args.url)
            .unwrap_or_else(|e| fail(&format!("bad PostgreSQL URL: {e}")));
        let pool = PgPoolOptions::new()
            .max_connections(args.connections.unwrap_or(8))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .unwrap_or_else(|e| fail(&format!("cannot connect to PostgreSQL: {e}")));
        run(Db::Postgres(pool), &args).await
    } else {
        fail("--url must be sqlite:// or postgres://")
    };
    println!("{report}");
}

/// Create the table, then let `tasks` tasks insert for `seconds`; the JSON report.
async fn run(db: Db, args: &Args) -> String {
    for statement in SCHEMA {
        db.execute(statement).await.unwrap_or_else(|e| fail(&format!("schema: {e}")));
    }
    let doc = Arc::new(format!(r#"{{"pad":"{}"}}"#, "x".repeat(args.row_bytes.saturating_sub(10).max(1))));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut handles = Vec::with_capacity(args.tasks);
    for task in 0..args.tasks {
        let (db, doc, errors) = (db.clone(), Arc::clone(&doc), Arc::clone(&errors));
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let username = format!("raw-{task}-{n}");
                let id = format!("{:012x}{:06x}{:06x}", now_ms(), task, n);
                let t = Instant::now();
                let done = db.insert(id, username, doc.as_str().to_string(), now_ms()).await;
                match done {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("raw-insert: {e}");
                        }
                    }
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.await.expect("an insert task panicked"));
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[i].as_secs_f64() * 1000.0
    };
    db.close().await;
    format!(
        r#"{{"inserts":{},"seconds":{:.3},"per_second":{:.1},"errors":{},"p50_ms":{:.3},"p99_ms":{:.3}}}"#,
        latencies.len(),
        seconds,
        latencies.len() as f64 / seconds,
        errors.load(Ordering::Relaxed),
        percentile(0.50),
        percentile(0.99)
    )
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn parse_args() -> Args {
    let mut parsed = Args { url: String::new(), tasks: 64, seconds: 10, row_bytes: 600, connections: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&format!("{arg} needs a value")));
        let number = || value.parse::<u64>().unwrap_or_else(|_| usage(&format!("{arg}: a number")));
        match arg.as_str() {
            "--url" => parsed.url = value.clone(),
            "--tasks" => parsed.tasks = number() as usize,
            "--seconds" => parsed.seconds = number(),
            "--row-bytes" => parsed.row_bytes = number() as usize,
            "--connections" => parsed.connections = Some(number() as u32),
            _ => usage(&format!("unknown argument {arg}")),
        }
    }
    if parsed.url.is_empty() {
        usage("--url is required");
    }
    parsed
}

fn usage(problem: &str) -> ! {
    fail(&format!(
        "{problem}\nusage: raw_insert --url sqlite://FILE|postgres://... [--tasks 64] [--seconds 10] [--row-bytes 600] [--connections N]"
    ))
}

fn fail(message: &str) -> ! {
    eprintln!("raw-insert: {message}");
    std::process::exit(2)
}

/// Either store's pool.
#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    async fn execute(&self, statement: &str) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(pool) => sqlx::query(statement).execute(pool).await.map(drop),
            Db::Postgres(pool) => sqlx::query(statement).execute(pool).await.map(drop),
        }
    }

    /// One row in its own transaction, committed (durable) before this returns.
    async fn insert(&self, id: String, username: String, doc: String, now: i64) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query(INSERT_SQLITE)
                    .bind(id)
                    .bind(username.clone())
                    .bind(username)
                    .bind(doc)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query(INSERT_PG)
                    .bind(id)
                    .bind(username.clone())
                    .bind(username)
                    .bind(doc)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
        }
    }

    async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}
