//! Whether a PostgreSQL connection is tested before it is used: after a pause, when the
//! server may have gone away meanwhile, or when another connection has failed as if it had
//! since this one was last used, so that after a restart every connection is tested once
//! instead of failing a request of its own. Busy connections are not tested: a round trip
//! of its own before every transaction was a tenth of a create's cost.

use crate::sql;
use portti_core::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A connection idle for longer than this is tested before it is used again.
const TEST_AFTER_IDLE: Duration = Duration::from_secs(1);

/// When a connection last failed as if the database had gone away, in milliseconds after
/// [`epoch`] plus one (0: never).
static LAST_LOST: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// [`sql::db_err`], noting a failure that may mean the database went away.
pub(super) fn db_err(e: sqlx::Error) -> Error {
    let error = sql::db_err(e);
    if matches!(error, Error::Unavailable(_)) {
        let since = epoch().elapsed().as_millis() as u64;
        LAST_LOST.store(since + 1, Ordering::Relaxed);
    }
    error
}

/// Whether a connection idle for `idle_for` is tested before its next use.
pub(super) fn needs_test(idle_for: Duration) -> bool {
    if idle_for > TEST_AFTER_IDLE {
        return true;
    }
    match LAST_LOST.load(Ordering::Relaxed) {
        0 => false,
        lost => epoch().elapsed().saturating_sub(Duration::from_millis(lost - 1)) <= idle_for,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_tested_after_a_pause_or_a_loss_during_its_idleness() {
        assert!(needs_test(Duration::from_secs(2)));
        let _ = db_err(sqlx::Error::PoolTimedOut);
        assert!(needs_test(Duration::from_millis(500)), "idle since before the loss");
        std::thread::sleep(Duration::from_millis(20));
        assert!(!needs_test(Duration::from_millis(5)), "used since the loss");
    }
}
