//! Lookups by key for PostgreSQL outside any transaction: the lookups of one kind that
//! arrive while others are being answered are answered together, by one statement over an
//! array of their keys (`= ANY($1)`).
//!
//! Authenticating a request and finding the namespace it names are single-row reads that
//! need no snapshot of their own, but as read transactions each took five round trips
//! (the pool's ping, `BEGIN`, the statement, `ROLLBACK`, the release ping). A few loader
//! tasks per kind take turns, as the grouped inserts' writers do; every lookup is answered
//! by a statement that started after it was asked, so it sees every commit that preceded
//! the request (a deleted client is refused at once).

use super::own::OwnConnection;
use super::stale::db_err;
use super::turns::{self, Turns};
use super::{cells, numbered};
use crate::sql::conn::Cell;
use crate::sql::tx::KeyLookup;
use portti_core::Result;
use sqlx::postgres::PgConnectOptions;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most keys looked up by one statement.
const MOST: usize = 512;

/// Loaders taking turns at one kind of lookup.
const LOADERS: usize = 2;

/// A key waiting for its answer.
type Asked<V> = (String, oneshot::Sender<Result<V>>);

/// Lookups of one kind.
pub(super) struct Loader<V> {
    queue: mpsc::UnboundedSender<Asked<V>>,
}

impl<V: Clone + Send + 'static> Loader<V> {
    /// Start the loaders of `lookup`, each with a connection of its own to `options`
    /// (inside a Tokio runtime).
    pub(super) fn start(options: &PgConnectOptions, lookup: KeyLookup<V>) -> Self {
        let (queue, turns) = turns::queue();
        let lookup = Arc::new(KeyLookup { sql: numbered(&lookup.sql), ..lookup });
        for _ in 0..LOADERS {
            tokio::spawn(load(OwnConnection::new(options.clone()), lookup.clone(), turns.clone()));
        }
        Loader { queue }
    }

    /// The answer for `key`.
    pub(super) async fn get(&self, key: &str) -> Result<V> {
        turns::ask(&self.queue, |answer| (key.to_string(), answer)).await
    }
}

/// One loader: take a turn at the queue, take every key waiting, look them up at once.
async fn load<V: Clone>(mut conn: OwnConnection, lookup: Arc<KeyLookup<V>>, turns: Turns<Asked<V>>) {
    while let Some(waiting) = turns.take(MOST).await {
        let mut keys: Vec<&str> = waiting.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        let answers: HashMap<String, Result<V>> = match rows(&mut conn, &lookup, &keys).await {
            Ok(rows) => keys.iter().map(|k| (k.to_string(), (lookup.pick)(&rows, k))).collect(),
            Err(e) => keys.iter().map(|k| (k.to_string(), Err(e.clone()))).collect(),
        };
        for (key, answer) in waiting {
            let _ = answer.send(answers[&key].clone());
        }
    }
}

async fn rows<V>(conn: &mut OwnConnection, lookup: &KeyLookup<V>, keys: &[&str]) -> Result<Vec<Vec<Cell>>> {
    let ready = conn.ready().await?;
    let rows = sqlx::query(&lookup.sql).bind(keys).fetch_all(ready).await.map_err(db_err);
    conn.ended(rows.as_ref().err());
    rows?.iter().map(|r| cells(r, lookup.kinds)).collect()
}
