//! The query plans of the indexed filters on PostgreSQL: each starts from its index. The
//! database holds 20,000 users, analysed; a table that small is cheaper to read whole than
//! through most indexes, so sequential scans are priced out (`enable_seqscan = off`) as a
//! million users price them: a plan that still reads a table has no index to start from.
//! Runs in the suite's PostgreSQL pass (`PORTTI_TEST_STORE=postgres`).

use super::{bound, numbered, PgStore};
use crate::sql::dialect::Postgres;
use crate::sql::tx::{bench_query, user_list_sql, Bound, WALK_FROM};
use crate::{OpenOptions, Store};
use portti_core::filter::TextCase;
use portti_core::page::PageRequest;
use sqlx::{Connection, Executor, PgConnection, Row};

/// 20,000 users of namespace `bench`, each with a name and an address of its own.
const USERS: &str = "
    INSERT INTO namespaces (id, code, doc, created_ms, modified_ms) VALUES ('bench', 'bench', '{}', 0, 0);
    INSERT INTO users (id, ns_code, username, username_lower, doc, created_ms, modified_ms)
        SELECT 'u' || i, 'bench', 'User' || i, 'user' || i,
               jsonb_build_object('name', jsonb_build_object('givenName', md5(i::text), 'familyName', md5((-i)::text))),
               i, i
        FROM generate_series(1, 20000) i;
    INSERT INTO user_emails (user_id, address_lower, position)
        SELECT 'u' || i, 'user' || i || '@example.fi', 0 FROM generate_series(1, 20000) i;
    ANALYZE";

/// A fresh, migrated database; dropped with the value.
struct Database {
    server: String,
    name: String,
}

impl Database {
    async fn new() -> Self {
        let server = std::env::var("PORTTI_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let name = format!("portti_plans_{}", std::process::id());
        let mut admin = PgConnection::connect(&format!("{server}/test")).await.unwrap();
        admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.unwrap();
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        let url = format!("{server}/{name}");
        PgStore::open(&url, &OpenOptions::default()).await.unwrap().close().await;
        PgConnection::connect(&url).await.unwrap().execute(USERS).await.unwrap();
        Database { server, name }
    }

    /// The plan of `statement`, one line per step, with sequential scans priced out.
    async fn plan(&self, (sql, binds): &Bound) -> Vec<String> {
        let mut conn = PgConnection::connect(&format!("{}/{}", self.server, self.name)).await.unwrap();
        conn.execute("SET enable_seqscan = off").await.unwrap();
        let explain = format!("EXPLAIN {}", numbered(sql));
        let rows = bound(sqlx::query(&explain), binds).fetch_all(&mut conn).await.unwrap();
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .arg(format!("{}/test", self.server))
            .args(["-qc", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .output();
    }
}

fn on_postgres() -> bool {
    std::env::var("PORTTI_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// `username eq`, `emails.address eq` and the name tests start from their indexes, in the
/// count, the first page and a later one (found by ids first), whether the test ignores
/// case (SCIM) or not (the Management API).
#[tokio::test]
async fn indexed_filters_start_from_their_indexes() {
    if !on_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass");
        return;
    }
    let db = Database::new().await;
    for (filter, indexes) in [
        (r#"username eq "Ann.Virtanen""#, &["users_ns_code_username_lower_key", "users_username"][..]),
        (r#"emails.address eq "ann@example.fi""#, &["user_emails_address"]),
        (r#"name.familyName co "kinen""#, &["users_family_name_trgm"]),
        (r#"name.givenName sw "Ann""#, &["users_given_name_trgm"]),
    ] {
        for text_case in [TextCase::AsDefined, TextCase::Folded { except: &[] }] {
            let query = crate::Query { text_case, ..bench_query(Some(filter)) };
            let (count, page) = user_list_sql(&query, &Postgres, WALK_FROM - 1).unwrap();
            let later = crate::Query { page: PageRequest::new(100, Some(100), None), ..query.clone() };
            let (_, later) = user_list_sql(&later, &Postgres, WALK_FROM - 1).unwrap();
            assert!(later.0.contains(" IN (SELECT u.id FROM users u WHERE"), "{}", later.0);
            for statement in [count.unwrap(), page, later] {
                let plan = db.plan(&statement).await;
                let indexed = plan.iter().any(|s| indexes.iter().any(|i| s.contains(&format!(" {i} "))));
                assert!(indexed, "{filter} ({text_case:?}): {plan:#?}");
                let reads = plan.iter().filter(|s| s.contains("Seq Scan on user")).count();
                assert_eq!(reads, 0, "{filter} ({text_case:?}): {plan:#?}");
            }
        }
    }
}
