//! A connection of its own for each of the store's worker tasks (the grouped inserts'
//! writers, the batched lookups' loaders), opened outside the pool and kept while it works.
//!
//! A worker uses its connection for every turn, many times a second under load; through
//! the pool, each turn cost two more round trips, as sqlx tests every connection returned
//! to it. Like the pool's, an own connection is tested before use only when it may be
//! stale (see [`super::stale`]), and one that failed in a way that may have broken it is
//! replaced at its next use.

use super::stale::{db_err, needs_test};
use portti_core::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;
use std::time::{Duration, Instant};

/// How long opening a connection may take (as long as the pool waits for one).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A worker's connection: opened at its first use, and again after it broke.
pub(super) struct OwnConnection {
    options: PgConnectOptions,
    open: Option<(PgConnection, Instant)>,
}

impl OwnConnection {
    pub(super) fn new(options: PgConnectOptions) -> Self {
        OwnConnection { options, open: None }
    }

    /// Note that the work on the connection ended, with `failure` if it failed: a failure
    /// that may have broken it (the database unreachable) closes it, so that the next use
    /// opens another.
    pub(super) fn ended(&mut self, failure: Option<&Error>) {
        match failure {
            Some(Error::Unavailable(_)) => self.open = None,
            _ => self.open = self.open.take().map(|(conn, _)| (conn, Instant::now())),
        }
    }

    /// The open connection: tested if it was idle, else a new one.
    pub(super) async fn ready(&mut self) -> Result<&mut PgConnection> {
        if let Some((mut conn, used)) = self.open.take() {
            if !needs_test(used.elapsed()) || conn.ping().await.is_ok() {
                return Ok(&mut self.open.insert((conn, used)).0);
            }
        }
        let opened = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&self.options))
            .await
            .map_err(|_| Error::Unavailable("the database is unavailable; try again shortly".into()))?
            .map_err(db_err)?;
        Ok(&mut self.open.insert((opened, Instant::now())).0)
    }
}
