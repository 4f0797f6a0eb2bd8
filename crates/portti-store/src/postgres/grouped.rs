//! Grouped inserts for PostgreSQL: single-user inserts that arrive while others are being
//! written are written together, in one statement (a multi-row insert per table, joined
//! as `WITH` parts) that commits as it ends.
//!
//! PostgreSQL spends most of a create's time on the round trips of its statements
//! (`BEGIN`, one `INSERT` per table, `COMMIT`), not on the rows. A few writer tasks, each
//! on a connection of its own (see [`super::own`]), take turns at the queue: each takes
//! everything waiting (up to [`MOST`]) and writes it in one round trip, while the next
//! writer gathers what arrives meanwhile. Every caller hears of its user only after the
//! statement that holds it has committed, so an answer still means the user is durable. When a group is refused (a username taken, by another group
//! or by a user in the same one), each of its users is written again on its own, so that
//! a call fails only for its own user's fault.

use super::own::OwnConnection;
use super::stale::db_err;
use super::turns::{self, Turns};
use super::{bound, numbered, PgConn};
use crate::sql::dialect;
use crate::sql::tx::{insert_refused, insert_users_at_once, SqlTx};
use crate::{Tx, WholeUser};
use portti_core::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;
use tokio::sync::{mpsc, oneshot};

/// The most users written in one transaction.
const MOST: usize = 256;

/// Writers taking turns: one writes while the next gathers.
const WRITERS: usize = 3;

/// A user waiting to be written, and where its outcome goes.
struct Waiting {
    user: WholeUser,
    outcome: oneshot::Sender<Result<()>>,
}

/// The queue of single-user inserts and its writers.
pub(super) struct Grouped {
    queue: mpsc::UnboundedSender<Waiting>,
}

impl Grouped {
    /// Start the writers, each with a connection of its own to `options` (inside a Tokio
    /// runtime).
    pub(super) fn start(options: &PgConnectOptions) -> Self {
        let (queue, turns) = turns::queue();
        for _ in 0..WRITERS {
            tokio::spawn(write_groups(OwnConnection::new(options.clone()), turns.clone()));
        }
        Grouped { queue }
    }

    /// Write `user`; returns once it is durable (or refused).
    pub(super) async fn insert(&self, user: WholeUser) -> Result<()> {
        turns::ask(&self.queue, |outcome| Waiting { user, outcome }).await
    }
}

/// One writer: take a turn at the queue, take everything waiting, write it.
async fn write_groups(mut conn: OwnConnection, turns: Turns<Waiting>) {
    while let Some(mut group) = turns.take(MOST).await {
        // Every group claims its usernames in one order, so two groups racing for the same
        // names wait for each other instead of deadlocking.
        group.sort_by_cached_key(|w| (w.user.user.ns_code.clone(), w.user.user.username.to_lowercase()));
        write_group(&mut conn, group).await;
    }
}

/// Write `group` in one transaction, or, if the database refused it (one of its users
/// was), each of its users in a transaction of its own. When the database cannot be
/// reached, that is the answer of every user not yet written: trying each in turn would
/// keep the last caller waiting for as many timeouts as the group has users.
async fn write_group(conn: &mut OwnConnection, group: Vec<Waiting>) {
    if group.len() > 1 {
        let users = group.iter().map(|w| w.user.clone()).collect();
        match insert(conn, users).await {
            Err(Failed::Refused(_)) => {}
            outcome => return answer(group, outcome.map_err(Failed::into_error)),
        }
    }
    let mut rest = group.into_iter();
    while let Some(Waiting { user, outcome }) = rest.next() {
        match insert(conn, vec![user]).await {
            Err(Failed::Unreached(e)) => {
                let _ = outcome.send(Err(e.clone()));
                return answer(rest.collect(), Err(e));
            }
            written => {
                let _ = outcome.send(written.map_err(Failed::into_error));
            }
        }
    }
}

fn answer(group: Vec<Waiting>, outcome: Result<()>) {
    for w in group {
        let _ = w.outcome.send(outcome.clone());
    }
}

/// Why a write failed.
enum Failed {
    /// No transaction could be opened: the database is not there.
    Unreached(Error),
    /// The database refused the statements or the commit.
    Refused(Error),
}

impl Failed {
    fn into_error(self) -> Error {
        match self {
            Failed::Unreached(e) | Failed::Refused(e) => e,
        }
    }

    fn error(&self) -> &Error {
        match self {
            Failed::Unreached(e) | Failed::Refused(e) => e,
        }
    }
}

async fn insert(conn: &mut OwnConnection, users: Vec<WholeUser>) -> std::result::Result<(), Failed> {
    let ready = conn.ready().await.map_err(Failed::Unreached)?;
    let outcome = write(ready, users).await;
    conn.ended(outcome.as_ref().err().map(Failed::error));
    outcome
}

/// Write `users` in one statement (one round trip), or, if that would bind too many values,
/// in a transaction.
async fn write(conn: &mut PgConnection, users: Vec<WholeUser>) -> std::result::Result<(), Failed> {
    if let Some((sql, binds)) = insert_users_at_once(&users, &dialect::Postgres).map_err(Failed::Refused)? {
        let sql = numbered(&sql);
        let done = bound(sqlx::query(&sql), &binds).execute(conn).await;
        return done.map(drop).map_err(|e| Failed::Refused(insert_refused(db_err(e))));
    }
    let tx = conn.begin().await.map_err(|e| Failed::Unreached(db_err(e)))?;
    let mut tx = Box::new(SqlTx::new(PgConn(tx)));
    tx.insert_users(users).await.map_err(Failed::Refused)?;
    tx.commit().await.map_err(Failed::Refused)
}
