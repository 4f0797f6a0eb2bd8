//! A client limited to one namespace can neither see nor change another, through any endpoint.

use crate::harness::{create_client, namespace, Server, TempDir, V1};
use serde_json::json;

#[tokio::test]
async fn a_limited_client_stays_in_its_namespace() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let admin = server.admin();
    let a = namespace(&admin, "iso-a").await;
    let b = namespace(&admin, "iso-b").await;
    let (id, secret) = create_client(&dir.0, &["--name", "a-only", "--namespace", "iso-a"]);
    let api = server.as_client(&id, &secret);

    let b_group =
        admin.post(&format!("{V1}/group"), json!({"name": "bg", "nsCode": "iso-b"})).await.expect(201).body;
    let b_user = admin
        .post(&format!("{V1}/user"), json!({"nsCode": "iso-b", "memberOf": ["bg"]}))
        .await
        .expect(201)
        .body;
    let (bu, bg) = (b_user["id"].as_str().unwrap(), b_group["id"].as_str().unwrap());
    let (b_id, b_code) = (b["id"].as_str().unwrap(), "iso-b");

    // Users of B.
    api.get(&format!("{V1}/user/{bu}")).await.expect(404);
    api.put(&format!("{V1}/user/{bu}"), json!({"nickName": "x"})).await.expect(404);
    api.delete(&format!("{V1}/user/{bu}")).await.expect(404);
    api.post(&format!("{V1}/user"), json!({"nsCode": b_code})).await.expect(404);
    for filter in
        [format!("nsCode eq \"{b_code}\""), format!("id eq \"{bu}\""), format!("memberOf eq \"{bg}\"")]
    {
        let r = api.get(&format!("{V1}/user?filter={}", urlencode(&filter))).await.expect(200);
        assert_eq!(r.body["totalResults"], 0, "{filter}");
    }
    assert!(api.get(&format!("{V1}/user")).await.expect(200).body["resources"]
        .as_array()
        .unwrap()
        .is_empty());

    // Groups of B.
    api.get(&format!("{V1}/group/{bg}")).await.expect(404);
    api.put(&format!("{V1}/group/{bg}"), json!({"name": "renamed"})).await.expect(404);
    api.delete(&format!("{V1}/group/{bg}")).await.expect(404);
    api.get(&format!("{V1}/group/{bg}/nested")).await.expect(404);
    api.post(&format!("{V1}/group"), json!({"name": "x", "nsCode": b_code})).await.expect(404);
    let r = api
        .get(&format!("{V1}/group?filter={}", urlencode(&format!("nsCode eq \"{b_code}\""))))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
    api.post(&format!("{V1}/group"), json!({"name": "ag", "nsCode": "iso-a", "memberOf": [bg]}))
        .await
        .expect(400);

    // Namespace B itself.
    for key in [b_id, b_code] {
        api.get(&format!("{V1}/namespace/{key}")).await.expect(404);
        api.put(&format!("{V1}/namespace/{key}"), json!({"name": "mine"})).await.expect(404);
        api.delete(&format!("{V1}/namespace/{key}")).await.expect(404);
    }
    let all = api.get(&format!("{V1}/namespace?all=True")).await.expect(200).body;
    let codes: Vec<&str> =
        all["resources"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["iso-a"]);
    let r = api
        .get(&format!("{V1}/namespace?all=False&filter={}", urlencode("code eq \"iso-b\"")))
        .await
        .expect(200);
    assert_eq!(r.body["totalResults"], 0);
    api.post(&format!("{V1}/namespace"), json!({"code": "iso-c"})).await.expect(403);

    // Nothing in B changed; A works normally, and requests naming no namespace go to A.
    let still = admin.get(&format!("{V1}/user/{bu}")).await.expect(200).body;
    assert_eq!(still["memberOf"], json!([bg]));
    admin.get(&format!("{V1}/group/{bg}")).await.expect(200);
    let mine = api.post(&format!("{V1}/user"), json!({})).await.expect(201).body;
    assert_eq!(mine["nsCode"], "iso-a");
    assert_eq!(a["code"], "iso-a");
}

#[tokio::test]
async fn missing_permissions_are_named() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let (id, secret) = create_client(&dir.0, &["--name", "viewer", "--permission", "ACCOUNT_VIEW"]);
    let api = server.as_client(&id, &secret);
    api.get(&format!("{V1}/user")).await.expect(200);
    let r = api.post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "x"})).await.expect(403);
    assert!(r.body["errorMessage"].as_str().unwrap().contains("ACCOUNT_CREATE"));
    let r = api.get(&format!("{V1}/group")).await.expect(403);
    assert!(r.body["errorMessage"].as_str().unwrap().contains("GROUP_VIEW"));
    let r = api.delete(&format!("{V1}/namespace/default")).await.expect(403);
    assert!(r.body["errorMessage"].as_str().unwrap().contains("NAMESPACE_DELETE"));
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Clients checked concurrently (which a store may look up together) are each told apart:
/// each creates in its own namespace, is refused in its neighbour's, and a wrong secret
/// is refused, whatever else is asked at the same time.
#[tokio::test]
async fn concurrent_clients_are_each_checked_as_themselves() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let admin = server.admin();
    let mut clients = Vec::new();
    for i in 0..4 {
        namespace(&admin, &format!("cc-{i}")).await;
        let ns = format!("cc-{i}");
        clients.push(create_client(&dir.0, &["--name", &ns, "--namespace", &ns]));
    }
    let mut jobs = tokio::task::JoinSet::new();
    for round in 0..6 {
        for (i, (id, secret)) in clients.iter().enumerate() {
            let api = server.as_client(id, secret);
            let wrong = server.as_client(id, "not-the-secret");
            jobs.spawn(async move {
                let own = json!({"nsCode": format!("cc-{i}"), "username": format!("u{round}")});
                api.post(&format!("{V1}/user"), own).await.expect(201);
                let next = json!({"nsCode": format!("cc-{}", (i + 1) % 4), "username": format!("x{round}")});
                api.post(&format!("{V1}/user"), next).await.expect(404);
                let own = json!({"nsCode": format!("cc-{i}"), "username": format!("w{round}")});
                wrong.post(&format!("{V1}/user"), own).await.expect(401);
            });
        }
    }
    while let Some(job) = jobs.join_next().await {
        job.unwrap();
    }
    for i in 0..4 {
        let filter = urlencode(&format!("nsCode eq \"cc-{i}\""));
        let users = admin.get(&format!("{V1}/user?filter={filter}&count=100")).await.expect(200).body;
        let mut names: Vec<&str> =
            users["resources"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["u0", "u1", "u2", "u3", "u4", "u5"], "namespace cc-{i}");
    }
}
