//! A directory made before users had keys of their own (schema 11) keeps everything
//! through migration 0012, which rebuilds the users table.

use super::SqliteStore;
use crate::{OpenOptions, Query, Scope, Store};
use portti_core::filter::parse;
use portti_core::model::User;
use portti_core::page::PageRequest;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::path::Path;

/// Users, their addresses and their name index as schema 11 kept them (its commit-time
/// statements written out, as its writer ran them).
const BEFORE: &str = "
    INSERT INTO namespaces (id, code, doc, created_ms, modified_ms) VALUES ('n1', 'ns', '{}', 1, 1);
    INSERT INTO users (id, ns_code, username, username_lower, doc, created_ms, modified_ms, hidden) VALUES
        ('u1', 'ns', 'Ann', 'ann', '{\"name\":{\"givenName\":\"Ann\",\"familyName\":\"Virtanen\"}}', 1, 1, 0),
        ('u2', 'ns', 'Bo', 'bo', '{\"name\":{\"givenName\":\"Bo\",\"familyName\":\"Heikkinen\"}}', 2, 2, 0),
        ('u3', 'ns', 'Cy', 'cy', '{\"name\":{\"givenName\":\"Cy\",\"familyName\":\"Mäkinen\"}}', 3, 3, 1);
    INSERT INTO user_emails (user_id, address_lower, position) VALUES ('u1', 'ann@example.fi', 0);
    INSERT INTO user_search (rowid, username, given_name, family_name)
        SELECT k.key, u.username, json_extract(u.doc, '$.name.givenName'), json_extract(u.doc, '$.name.familyName')
        FROM user_search_stale s CROSS JOIN user_search_keys k ON k.user_id = s.user_id
        CROSS JOIN users u ON u.id = s.user_id ORDER BY k.key;
    DELETE FROM user_search_stale;";

/// Apply the migrations before 0012 to the database at `url`.
async fn migrate_to_11(url: &str, dir: &Path) {
    let old = dir.join("migrations");
    std::fs::create_dir_all(&old).unwrap();
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.as_str() < "0012" {
            std::fs::copy(&path, old.join(name)).unwrap();
        }
    }
    let options: SqliteConnectOptions = url.parse().unwrap();
    let pool = SqlitePoolOptions::new().connect_with(options.create_if_missing(true)).await.unwrap();
    Migrator::new(old).await.unwrap().run(&pool).await.unwrap();
    sqlx::raw_sql(BEFORE).execute(&pool).await.unwrap();
    pool.close().await;
}

fn query(filter: &str) -> Query {
    Query {
        filter: (!filter.is_empty()).then(|| parse(filter).unwrap()),
        scope: Scope::All,
        page: PageRequest::new(0, Some(100), None),
        text_case: Default::default(),
    }
}

async fn found(store: &SqliteStore, filter: &str) -> Vec<String> {
    let page = store.read().await.unwrap().find_users(&query(filter)).await.unwrap();
    page.items.into_iter().map(|u| u.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_keep_everything_when_they_get_keys() {
    let dir = std::env::temp_dir().join(format!("portti-upgrade-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/t.db", dir.display());
    migrate_to_11(&url, &dir).await;

    let store = SqliteStore::open(&url, &OpenOptions::default()).await.unwrap();
    assert_eq!(store.read().await.unwrap().user("u1").await.unwrap().unwrap().username, "Ann");
    assert_eq!(found(&store, r#"name.familyName co "kinen""#).await, ["u2"], "u3 is hidden");
    assert_eq!(found(&store, r#"username sw "Ann""#).await, ["u1"]);
    assert_eq!(found(&store, r#"emails.address eq "ann@example.fi""#).await, ["u1"]);
    assert_eq!(store.read().await.unwrap().find_users(&query("")).await.unwrap().total, 2);

    // Writes after the upgrade: a new user is found by name, a deleted one's rows go with it.
    let mut tx = store.write().await.unwrap();
    let mut new = User { id: "u4".into(), username: "Di".into(), ns_code: "ns".into(), ..Default::default() };
    new.name.family_name = Some("Laaksonen".into());
    tx.insert_user(&new, None).await.unwrap();
    tx.delete_user("u1").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(found(&store, r#"name.familyName co "kson""#).await, ["u4"]);
    assert!(found(&store, r#"emails.address eq "ann@example.fi""#).await.is_empty());
    store.close().await;
    let conn = rusqlite::Connection::open(dir.join("t.db")).unwrap();
    let orphans: i64 = conn.query_row("SELECT count(*) FROM user_emails", [], |r| r.get(0)).unwrap();
    assert_eq!(orphans, 0, "the addresses of a deleted user are deleted with it");
    let keys: Vec<i64> = conn
        .prepare("SELECT key FROM users ORDER BY key")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, [2, 3, 4], "the old keys kept, the new user's after them");
    let _ = std::fs::remove_dir_all(&dir);
}
