//! The operator surface: start-up, health, metrics, documentation, CLI, shutdown.

use crate::harness::{cli, create_client, Server, Start, TempDir, ADMIN_ID, ADMIN_SECRET, V1};
use serde_json::Value;

#[tokio::test]
async fn first_start_prints_a_client_once_and_it_works() {
    let dir = TempDir::new();
    let server = Server::start_with(Start { bootstrap: false, ..Start::new(&dir.0) });
    let log = server.log();
    let id = field(&log, "client id:").expect("client id printed");
    let secret = field(&log, "client secret:").expect("client secret printed");
    server.as_client(&id, &secret).get(&format!("{V1}/namespace/default")).await.expect(200);
    drop(server);
    let again = Server::start_with(Start { bootstrap: false, ..Start::new(&dir.0) });
    assert!(field(&again.log(), "client secret:").is_none(), "a second start printed a secret");
    let (code, out, _) = cli(&dir.0, &["client", "list"]);
    assert_eq!(code, 0);
    assert!(!out.contains(&secret));
    let listed: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(listed["id"], id.as_str());
}

fn field(log: &str, label: &str) -> Option<String> {
    log.lines().find_map(|l| l.split_once(label).map(|(_, v)| v.trim().to_string()))
}

#[tokio::test]
async fn bootstrap_is_idempotent_and_rotates_the_secret() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    server.admin().get(&format!("{V1}/user")).await.expect(200);
    drop(server);
    let rotated =
        Start { env: vec![("PORTTI_BOOTSTRAP_CLIENT_SECRET", "a-new-secret".into())], ..Start::new(&dir.0) };
    let server = Server::start_with(rotated);
    server.as_client(ADMIN_ID, "a-new-secret").get(&format!("{V1}/user")).await.expect(200);
    server.as_client(ADMIN_ID, ADMIN_SECRET).get(&format!("{V1}/user")).await.expect(401);
    let (_, out, _) = cli(&dir.0, &["client", "list"]);
    assert_eq!(out.lines().count(), 1, "bootstrap created a second client: {out}");
}

#[tokio::test]
async fn health_metrics_and_documentation() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let anon = server.anonymous();
    assert_eq!(anon.get("/healthz").await.expect(200).body, serde_json::json!({"status": "ok"}));
    server.admin().get(&format!("{V1}/user")).await.expect(200);
    let metrics = anon.get("/metrics").await.expect(200).text;
    assert!(metrics.contains("portti_http_requests_total{"), "{metrics}");
    assert!(metrics.contains("route=\"/api/rest/v1/user\""), "{metrics}");
    assert!(metrics.contains("portti_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("portti_store_connections"));

    let api: Value = anon.get("/apidoc/openapi.json").await.expect(200).body;
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = api["paths"].as_object().unwrap();
    for p in [
        "/api/rest/v1/user",
        "/api/rest/v1/user/{id}",
        "/api/rest/v1/namespace/{idOrCode}",
        "/api/rest/v1/group/{id}/nested",
        "/auth/v1/customer/services/accounts",
        "/scim/v2/Users/{id}",
        "/scim/v2/Bulk",
        "/healthz",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    let page = anon.get("/apidoc").await.expect(200);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    for p in paths.keys() {
        assert!(page.text.contains(p.as_str()), "{p} missing from /apidoc");
    }
    assert!(!page.text.contains("<script src"), "the page loads a script");
    assert!(!page.text.contains("cdn"), "the page refers to a CDN");
}

#[tokio::test]
async fn client_commands() {
    let dir = TempDir::new();
    let (code, _, err) = cli(&dir.0, &["migrate"]);
    assert_eq!(code, 0, "{err}");
    let server = Server::start(&dir.0);
    let (id, secret) =
        create_client(&dir.0, &["--name", "ops", "--permission", "NAMESPACE_VIEW", "--namespace", "default"]);
    assert!(secret.len() >= 32 && !secret.contains('=') && !secret.contains(':'));
    let api = server.as_client(&id, &secret);
    api.get(&format!("{V1}/namespace/default")).await.expect(200);
    api.get(&format!("{V1}/user")).await.expect(403);
    let (_, out, _) = cli(&dir.0, &["client", "list"]);
    let mine: Value = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|c| c["id"] == id.as_str())
        .unwrap();
    assert_eq!(mine["permissions"], serde_json::json!(["NAMESPACE_VIEW"]));
    assert_eq!(mine["namespaces"], serde_json::json!(["default"]));
    let (code, _, _) = cli(&dir.0, &["client", "delete", &id]);
    assert_eq!(code, 0);
    api.get(&format!("{V1}/namespace/default")).await.expect(401);
    let (code, _, err) = cli(&dir.0, &["client", "delete", &id]);
    assert_ne!(code, 0);
    assert!(err.contains("not found"));
    let (code, _, err) = cli(&dir.0, &["client", "create", "--name", "x", "--permission", "NOPE"]);
    assert_ne!(code, 0);
    assert!(err.contains("ACCOUNT_VIEW"), "{err}");
    let (code, _, err) = cli(&dir.0, &["client", "create", "--name", "x", "--namespace", "nosuch"]);
    assert_ne!(code, 0);
    assert!(err.contains("nosuch"), "{err}");
}

#[tokio::test]
async fn sigterm_stops_gracefully() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    server.admin().get(&format!("{V1}/user")).await.expect(200);
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
}
