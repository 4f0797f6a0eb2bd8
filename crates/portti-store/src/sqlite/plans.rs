//! The query plans the million-user benchmark depends on, checked under the statistics
//! of a million users: a later change cannot silently fall back to reading every user.

use super::{native, SqliteStore, SEARCH_AT_COMMIT};
use crate::sql::conn::Kind;
use crate::sql::dialect::Sqlite;
use crate::sql::tx::{bench_query, user_list_sql, WALK_FROM};
use crate::{OpenOptions, Store};
use rusqlite::Connection;
use std::path::PathBuf;

/// Statistics of a directory of a million users in one namespace, as `ANALYZE` left them
/// after the benchmark's import.
const MILLION_USERS: &str = "DELETE FROM sqlite_stat1; INSERT INTO sqlite_stat1 VALUES \
    ('users', 'users_username', '1000000 1'), \
    ('users', 'users_ns_created', '1000000 1000000 138 1'), \
    ('users', 'users_created', '1000000 138 1'), \
    ('users', 'sqlite_autoindex_users_2', '1000000 1000000 1'), \
    ('users', 'sqlite_autoindex_users_1', '1000000 1'), \
    ('user_emails', 'user_emails_address', '1000000 1'), \
    ('user_emails', 'sqlite_autoindex_user_emails_1', '1000000 1 1'), \
    ('user_search_docsize', NULL, '1000000'), \
    ('user_search_content', NULL, '1000000'), \
    ('user_search_idx', 'user_search_idx', '8356 289 1'), \
    ('user_search_data', NULL, '26196'), \
    ('namespaces', 'sqlite_autoindex_namespaces_1', '2 1'), \
    ('namespaces', 'sqlite_autoindex_namespaces_2', '2 1'), \
    ('user_counts', 'sqlite_autoindex_user_counts_1', '1 1 1')";

/// A migrated, empty database that plans as if it held a million users.
struct Million {
    dir: PathBuf,
    conn: Connection,
}

impl Million {
    async fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("portti-plan-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/t.db", dir.display());
        SqliteStore::open(&url, &OpenOptions::default()).await.unwrap().close().await;
        Connection::open(dir.join("t.db")).unwrap().execute_batch(MILLION_USERS).unwrap();
        let conn = Connection::open(dir.join("t.db")).unwrap();
        Million { dir, conn }
    }

    /// The steps of `sql`'s plan, but for those of the correlated subquery that gathers a
    /// listed user's groups (a few rows each).
    fn plan(&self, sql: &str) -> Vec<String> {
        let kinds = [Kind::Int, Kind::Int, Kind::Int, Kind::Text];
        let rows = native::rows(&self.conn, &format!("EXPLAIN QUERY PLAN {sql}"), &[], &kinds).unwrap();
        let mut per_user = Vec::new();
        let mut steps = Vec::new();
        for r in &rows {
            let (id, parent, step) = (r[0].int().unwrap(), r[1].int().unwrap(), r[3].text().unwrap());
            if per_user.contains(&parent) || step.starts_with("CORRELATED SCALAR SUBQUERY") {
                per_user.push(id);
            } else {
                steps.push(step);
            }
        }
        steps
    }
}

impl Drop for Million {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Steps that read a whole table (the name index's own scan is of the matching entries).
fn full_reads(plan: &[String]) -> Vec<&String> {
    plan.iter().filter(|s| s.starts_with("SCAN") && !s.contains("VIRTUAL TABLE")).collect()
}

/// The statements run at every commit start from the stale users: a scan of users here
/// would cost a million rows a commit.
#[tokio::test]
async fn the_commit_time_index_update_reads_only_the_stale_users() {
    let db = Million::new("commit").await;
    for sql in SEARCH_AT_COMMIT {
        let scans: Vec<String> = db
            .plan(sql)
            .into_iter()
            .filter(|step| {
                step.starts_with("SCAN")
                    && !step.starts_with("SCAN s")
                    && !step.contains("VIRTUAL TABLE INDEX 0:=")
            })
            .collect();
        assert!(scans.is_empty(), "{sql}: {scans:?}");
    }
}

/// `username eq` and `emails.address eq` start from their indexes, in the count and the page.
#[tokio::test]
async fn selective_filters_start_from_their_indexes() {
    let db = Million::new("eq").await;
    for (filter, index) in [
        (r#"username eq "Ann.Virtanen""#, "INDEX sqlite_autoindex_users_2 (ns_code=? AND username_lower=?)"),
        (r#"emails.address eq "ann@example.fi""#, "INDEX user_emails_address (address_lower=?)"),
    ] {
        let (count, page) = user_list_sql(&bench_query(Some(filter)), &Sqlite, 1).unwrap();
        for (sql, _) in [count.unwrap(), page] {
            let plan = db.plan(&sql);
            assert!(plan.iter().any(|s| s.contains(index)), "{filter}: {plan:?}");
            assert!(full_reads(&plan).is_empty(), "{filter}: {plan:?}");
        }
    }
}

/// The first page of a namespace walks its creation-order index (its total is kept apart).
#[tokio::test]
async fn a_first_page_walks_the_creation_order() {
    let db = Million::new("first").await;
    let (count, page) = user_list_sql(&bench_query(None), &Sqlite, 1_000_000).unwrap();
    assert!(count.is_none());
    let plan = db.plan(&page.0);
    assert_eq!(plan, ["SEARCH u USING INDEX users_ns_created (ns_code=?)"], "{}", page.0);
}

/// A name search counts from the name index's candidates, each user found by its key; its
/// page walks the creation order when the candidates are many, else sorts them.
#[tokio::test]
async fn a_name_search_starts_from_the_name_index() {
    let db = Million::new("co").await;
    let query = bench_query(Some(r#"name.familyName co "kinen""#));
    let (count, many) = user_list_sql(&query, &Sqlite, WALK_FROM).unwrap();
    let plan = db.plan(&count.unwrap().0);
    assert!(plan.iter().any(|s| s.contains("SEARCH u USING INTEGER PRIMARY KEY")), "{plan:?}");
    assert!(plan.iter().any(|s| s.contains("SCAN user_search VIRTUAL TABLE")), "{plan:?}");
    assert!(full_reads(&plan).is_empty(), "{plan:?}");
    let plan = db.plan(&many.0);
    assert!(plan.iter().any(|s| s.contains("u USING INDEX users_ns_created (ns_code=?)")), "{plan:?}");
    assert!(!plan.iter().any(|s| s.contains("TEMP B-TREE")), "{plan:?}");
    let (_, few) = user_list_sql(&query, &Sqlite, WALK_FROM - 1).unwrap();
    let plan = db.plan(&few.0);
    assert!(plan.iter().any(|s| s.contains("SEARCH u USING INTEGER PRIMARY KEY")), "{plan:?}");
}
