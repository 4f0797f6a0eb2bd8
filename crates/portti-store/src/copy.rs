//! Copying a whole directory from one store to another (SQLite to PostgreSQL and back).

use crate::{Store, Tx};
use portti_core::{Error, Result};

/// The tables of a directory in the order that respects their references.
pub const TABLES: &[&str] = &[
    "settings",
    "namespaces",
    "groups",
    "group_parents",
    "users",
    "user_emails",
    "user_mobiles",
    "memberships",
    "clients",
    "custom_roles",
    "role_groups",
    "strong_id_history",
    "oidc_clients",
    "api_tokens",
    "refresh_tokens",
    "outbox",
    "email_templates",
    "email_template_namespaces",
    "verifications",
    "verification_attempts",
    "invites",
];

/// Rows copied per batch.
const BATCH: u64 = 1000;

/// How many rows each table holds after the copy (equal on both sides).
pub type CopyReport = Vec<(&'static str, u64)>;

/// Copy every row of `from` into `to`, which must be empty, in one transaction on each
/// side; then check that both hold the same number of rows per table.
/// `progress(table, done, total)` is called after each batch.
pub async fn copy_directory(
    from: &dyn Store,
    to: &dyn Store,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<CopyReport> {
    let mut target = to.write().await?;
    refuse_non_empty(target.as_mut()).await?;
    let mut source = from.read().await?;
    let mut report = Vec::new();
    for table in TABLES {
        let total = source.row_count(table).await?;
        let mut done = 0;
        while done < total {
            let rows = source.dump(table, done, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            target.load(table, &rows).await?;
            done += rows.len() as u64;
            progress(table, done, total);
        }
        if total == 0 {
            progress(table, 0, 0);
        }
        report.push((*table, total));
    }
    target.commit().await?;
    verify(to, &report).await?;
    Ok(report)
}

async fn refuse_non_empty(tx: &mut dyn Tx) -> Result<()> {
    for table in TABLES {
        let n = tx.row_count(table).await?;
        if n > 0 {
            return Err(Error::Conflict(format!(
                "the target store is not empty ({table} has {n} rows): copy into a new, empty database"
            )));
        }
    }
    Ok(())
}

async fn verify(to: &dyn Store, expected: &CopyReport) -> Result<()> {
    let mut tx = to.read().await?;
    for (table, want) in expected {
        let got = tx.row_count(table).await?;
        if got != *want {
            return Err(Error::Internal(format!(
                "verification failed: {table} has {got} rows, expected {want}"
            )));
        }
    }
    Ok(())
}
