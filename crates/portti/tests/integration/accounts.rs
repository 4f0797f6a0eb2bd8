//! The Accounts API (`/auth/v1/customer/services/accounts`): the seed's curl examples,
//! exact paging, the same users as the Management API v1, and errors in its own shape.

use crate::harness::{cli, create_client, namespace, Reply, Server, TempDir, ADMIN_ID, ADMIN_SECRET, V1};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::Command;

const ACCOUNTS: &str = "/auth/v1/customer/services/accounts";

/// The seed's account model, exactly as the seed shows it.
const SEED_ACCOUNT: &str = r#"{
"login" : "TrustBuilderLogin",
"email" : "email@example.com",
"language" : "fr",
"active" : true,
"role" : {
"id" : "0"
},
"memberships" : [ {
"group" : {
"id" : "1"
},
"role" : {
"id" : "0"
}
} ]
}"#;

/// The `Authorization` header value the seed's examples send: a Bearer token of the
/// bootstrap admin from `POST /openid/token` (`client_credentials`).
async fn auth_header(server: &Server) -> String {
    format!("Bearer {}", token(server, ADMIN_ID, ADMIN_SECRET, "grant_type=client_credentials").await)
}

/// An access token from `POST /openid/token` with the client's Basic credentials and `form`.
async fn token(server: &Server, id: &str, secret: &str, form: &str) -> String {
    let resp = server
        .http
        .post(format!("{}/openid/token", server.url))
        .header("authorization", basic(id, secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .expect("token request");
    let (status, text) = (resp.status(), resp.text().await.unwrap_or_default());
    assert_eq!(status, 200, "no token: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    body["access_token"].as_str().expect("an access token").to_string()
}

/// `Basic base64(id:secret)`.
fn basic(id: &str, secret: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{id}:{secret}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An HTTP client of the Accounts API with a fixed `Authorization` header.
#[derive(Clone)]
struct Accounts {
    base: String,
    http: reqwest::Client,
    auth: Option<String>,
}

impl Accounts {
    fn new(server: &Server, auth: Option<String>) -> Self {
        Accounts { base: server.url.clone(), http: server.http.clone(), auth }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Reply {
        let mut req = self.http.request(method, format!("{}{ACCOUNTS}{path}", self.base));
        if let Some(a) = &self.auth {
            req = req.header("authorization", a);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.expect("request");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text, headers }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, body: Value) -> Reply {
        self.send(Method::POST, "", Some(body.to_string().into_bytes())).await
    }

    async fn put(&self, id: &str, body: Value) -> Reply {
        self.send(Method::PUT, &format!("/{id}"), Some(body.to_string().into_bytes())).await
    }

    async fn delete(&self, id: &str) -> Reply {
        self.send(Method::DELETE, &format!("/{id}"), None).await
    }
}

/// Assert the status; errors must have the Accounts API's shape.
#[track_caller]
fn expect(reply: Reply, status: u16) -> Reply {
    assert_eq!(reply.status.as_u16(), status, "unexpected status; body: {}", reply.text);
    if status >= 400 {
        let reason = reply.status.canonical_reason().unwrap();
        assert_eq!(reply.body["status"], status, "status differs: {}", reply.text);
        assert_eq!(reply.body["error"], reason, "error differs: {}", reply.text);
        assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {}", reply.text);
        assert_eq!(reply.body.as_object().unwrap().len(), 3, "extra members: {}", reply.text);
    }
    reply
}

/// Run the real `curl` with these arguments; returns (status, parsed body, raw body).
fn curl(args: &[&str]) -> (u16, Value, String) {
    let out = Command::new("curl")
        .args(args)
        .args(["--silent", "--show-error", "--write-out", "\n%{http_code}"])
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "curl failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), serde_json::from_str(body).unwrap_or(Value::Null), body.to_string())
}

fn ids(content: &Value) -> Vec<String> {
    content.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_seed_curl_examples_work() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let group = server
        .admin()
        .post(&format!("{V1}/group"), json!({"name": "1", "nsCode": "default"}))
        .await
        .expect(201)
        .body;
    let auth = format!("Authorization: {}", auth_header(&server).await);
    let base = format!("{}{ACCOUNTS}", server.url);

    let (status, created, raw) = curl(&[
        "-X",
        "POST",
        "--header",
        "Accept: application/json",
        "--header",
        &auth,
        &base,
        "-d",
        SEED_ACCOUNT,
    ]);
    assert_eq!(status, 201, "{raw}");
    assert_eq!(created["login"], "TrustBuilderLogin");
    assert_eq!(created["email"], "email@example.com");
    assert_eq!(created["language"], "fr");
    assert_eq!(created["active"], true);
    assert_eq!(created["role"], json!({"id": "0", "name": "User"}));
    assert_eq!(
        created["memberships"],
        json!([{"group": {"id": group["id"], "name": "1"}, "role": {"id": "0", "name": "User"}}])
    );
    assert!(created["createdDate"].as_str().unwrap().ends_with('Z'), "{raw}");
    assert_eq!(created["provisioningId"], 1);
    assert!(created.get("lastAuthenticatedDate").is_none(), "{raw}");
    assert!(!raw.contains("null"), "{raw}");

    let (status, list, raw) = curl(&[
        "-X",
        "GET",
        "--header",
        "Accept: application/json",
        "--header",
        &auth,
        &format!("{base}?page=0&limit=50"),
    ]);
    assert_eq!(status, 200, "{raw}");
    assert!(raw.starts_with(r#"{"page":0,"size":1,"limit":50,"hasMore":false,"content":[{"#), "{raw}");
    assert_eq!(list.as_object().unwrap().len(), 5, "{raw}");
    let account = &list["content"][0];
    assert_eq!(account, &created, "the list shows the account as created");
    assert_eq!(account["modifiedDate"], account["createdDate"]);
}

/// Walk every page with `limit`; check each envelope and return the ids in order.
async fn walk(api: &Accounts, limit: u32, expect_limit: u32, total: usize) -> Vec<String> {
    let pages = total.div_ceil(expect_limit as usize).max(1);
    let mut all = Vec::new();
    for page in 0..=pages {
        let r = expect(api.get(&format!("?page={page}&limit={limit}")).await, 200).body;
        let size = r["content"].as_array().unwrap().len();
        let want =
            if page < pages { (total - page * expect_limit as usize).min(expect_limit as usize) } else { 0 };
        assert_eq!(size, want, "total {total}, limit {limit}, page {page}");
        assert_eq!(r["size"], size, "total {total}, limit {limit}, page {page}");
        assert_eq!(r["page"], page);
        assert_eq!(r["limit"], expect_limit);
        assert_eq!(r["hasMore"], page + 1 < pages, "total {total}, limit {limit}, page {page}");
        all.extend(ids(&r["content"]));
    }
    all
}

#[tokio::test]
async fn paging_is_exact() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let admin = server.admin();
    namespace(&admin, "paging").await;
    for name in ["elsewhere1", "elsewhere2"] {
        admin.post(&format!("{V1}/user"), json!({"nsCode": "default", "username": name})).await.expect(201);
    }
    let (id, secret) = create_client(&dir.0, &["--name", "pager", "--default-namespace", "paging"]);
    let api = Accounts::new(&server, Some(basic(&id, &secret)));

    let mut created: Vec<String> = Vec::new();
    for target in [0usize, 1, 50, 51, 100, 101, 250] {
        let mut jobs = tokio::task::JoinSet::new();
        for n in created.len()..target {
            let api = api.clone();
            jobs.spawn(async move {
                let body = json!({"login": format!("pager-{n:03}"), "email": format!("p{n}@example.com")});
                expect(api.post(body).await, 201).body["id"].as_str().unwrap().to_string()
            });
            if jobs.len() >= 16 {
                created.push(jobs.join_next().await.unwrap().unwrap());
            }
        }
        while let Some(id) = jobs.join_next().await {
            created.push(id.unwrap());
        }
        assert_eq!(created.len(), target);

        let by_50 = walk(&api, 50, 50, target).await;
        let by_100 = walk(&api, 100, 100, target).await;
        let clamped = walk(&api, 1000, 100, target).await;
        let unique: HashSet<&String> = by_50.iter().collect();
        assert_eq!(unique.len(), target, "every account once");
        assert_eq!(unique, created.iter().collect::<HashSet<_>>(), "exactly the service's accounts");
        assert_eq!(by_50, by_100, "the order is stable");
        assert_eq!(by_100, clamped);
    }
    // Defaults: page 0, limit 50; the order is creation order.
    let r = expect(api.get("").await, 200).body;
    assert_eq!((r["page"].clone(), r["limit"].clone(), r["size"].clone()), (json!(0), json!(50), json!(50)));
    assert_eq!(r["hasMore"], true);
    let dates: Vec<&str> =
        r["content"].as_array().unwrap().iter().map(|a| a["createdDate"].as_str().unwrap()).collect();
    let parsed: Vec<i64> = dates.iter().map(|d| millis(d)).collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "creation order: {dates:?}");

    // Searches.
    let r = expect(api.get("?login=PAGER-007").await, 200).body;
    assert_eq!((r["size"].clone(), r["content"][0]["login"].clone()), (json!(1), json!("pager-007")));
    let r = expect(api.get("?email=P7@EXAMPLE.com").await, 200).body;
    assert_eq!(r["content"][0]["login"], "pager-007");
    let r = expect(api.get("?q=ger-24&limit=5").await, 200).body;
    assert_eq!((r["size"].clone(), r["hasMore"].clone()), (json!(5), json!(true)));
    let r = expect(api.get("?q=ger-24&limit=5&page=1").await, 200).body;
    assert_eq!((r["size"].clone(), r["hasMore"].clone()), (json!(5), json!(false)));
    let r = expect(api.get("?q=elsewhere").await, 200).body;
    assert_eq!(r["size"], 0, "other namespaces are never listed");
}

fn millis(instant: &str) -> i64 {
    // `2024-05-01T08:00:00.001Z` or without the fraction: compare as (seconds, ms).
    let (secs, frac) =
        instant.trim_end_matches('Z').split_once('.').unwrap_or((instant.trim_end_matches('Z'), "0"));
    let digits: String = secs.chars().filter(char::is_ascii_digit).collect();
    digits.parse::<i64>().unwrap() * 1000 + format!("{frac:0<3}")[..3].parse::<i64>().unwrap()
}

#[tokio::test]
async fn one_user_through_both_dialects() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let v1 = server.admin();
    let api = Accounts::new(&server, Some(basic(ADMIN_ID, ADMIN_SECRET)));
    let g =
        v1.post(&format!("{V1}/group"), json!({"name": "staff", "nsCode": "default"})).await.expect(201).body;
    let gid = g["id"].as_str().unwrap();

    // Created through v1: an account with provisioningId 2.
    let u = v1
        .post(
            &format!("{V1}/user"),
            json!({"username": "v1user", "emails": ["first@x.fi", "second@x.fi"], "preferredLanguage": "fi",
                "memberOf": ["staff"]}),
        )
        .await
        .expect(201)
        .body;
    let uid = u["id"].as_str().unwrap();
    let a = expect(api.get(&format!("/{uid}")).await, 200).body;
    assert_eq!(a["login"], "v1user");
    assert_eq!(a["email"], "first@x.fi");
    assert_eq!(a["language"], "fi");
    assert_eq!(a["active"], true);
    assert_eq!(a["provisioningId"], 2);
    assert_eq!(a["role"], json!({"id": "0", "name": "User"}));
    assert_eq!(
        a["memberships"],
        json!([{"group": {"id": gid, "name": "staff"}, "role": {"id": "0", "name": "User"}}])
    );
    assert_eq!(a["createdDate"], u["meta"]["created"]);

    // Replaced through the Accounts API: the primary email changes, the other stays;
    // absent fields get their defaults; v1 sees it all.
    let put = expect(
        api.put(
            uid,
            json!({"email": "new@x.fi", "active": false, "role": {"id": "1"},
            "memberships": [{"group": {"id": "staff"}, "role": {"id": "1"}}]}),
        )
        .await,
        200,
    )
    .body;
    assert_eq!(put["login"], "v1user", "an absent login stays");
    assert!(put.get("language").is_none(), "an absent language is cleared: {put}");
    assert_eq!(put["role"], json!({"id": "1", "name": "Administrator"}));
    assert_eq!(put["memberships"][0]["role"]["name"], "Administrator");
    assert_eq!(put["provisioningId"], 2);
    let seen = v1.get(&format!("{V1}/user/{uid}")).await.expect(200).body;
    let emails: Vec<&str> =
        seen["emails"].as_array().unwrap().iter().map(|e| e["address"].as_str().unwrap()).collect();
    assert_eq!(emails, ["new@x.fi", "second@x.fi"]);
    assert_eq!(seen["locked"], true);
    assert_eq!(seen["memberOf"], json!([gid]));
    assert!(seen.get("preferredLanguage").is_none());
    assert_eq!(
        expect(api.get(&format!("/{uid}")).await, 200).body,
        put,
        "a read shows what the PUT answered"
    );

    let put = expect(api.put(uid, json!({"login": "renamed", "active": true})).await, 200).body;
    assert_eq!(put["memberships"], json!([]), "absent memberships are none");
    assert_eq!(put["role"]["id"], "0");
    let seen = v1.get(&format!("{V1}/user/{uid}")).await.expect(200).body;
    assert_eq!((seen["username"].clone(), seen["locked"].clone()), (json!("renamed"), json!(false)));
    assert!(seen.get("memberOf").is_none_or(|m| m == &json!([])), "{seen}");
    assert_eq!(
        seen["emails"].as_array().unwrap().len(),
        1,
        "an absent email removes the primary only: {seen}"
    );

    // Created through the Accounts API: the same user in v1.
    let c = expect(
        api.post(json!({"login": "acc", "email": "acc@x.fi", "language": "en", "active": false,
            "memberships": [{"group": {"id": gid}}]}))
            .await,
        201,
    )
    .body;
    let cid = c["id"].as_str().unwrap();
    assert_eq!(c["memberships"][0]["role"]["id"], "0");
    let seen = v1.get(&format!("{V1}/user/{cid}")).await.expect(200).body;
    assert_eq!(seen["username"], "acc");
    assert_eq!(seen["nsCode"], "default");
    assert_eq!(seen["emails"][0]["address"], "acc@x.fi");
    assert_eq!(seen["locked"], true);
    assert_eq!(seen["preferredLanguage"], "en");
    assert_eq!(seen["memberOf"], json!([gid]));
    let listed = v1.get(&format!("{V1}/user?filter=username%20eq%20%22acc%22")).await.expect(200).body;
    assert_eq!(listed["totalResults"], 1);

    // Deleted through the Accounts API: gone in both.
    assert_eq!(expect(api.delete(cid).await, 204).text, "");
    v1.get(&format!("{V1}/user/{cid}")).await.expect(404);
    expect(api.get(&format!("/{cid}")).await, 404);
    expect(api.delete(cid).await, 404);
}

#[tokio::test]
async fn errors_have_the_accounts_shape_and_change_nothing() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let v1 = server.admin();
    let api = Accounts::new(&server, Some(basic(ADMIN_ID, ADMIN_SECRET)));
    namespace(&v1, "other").await;
    v1.post(&format!("{V1}/group"), json!({"name": "g", "nsCode": "default"})).await.expect(201);
    let other_group =
        v1.post(&format!("{V1}/group"), json!({"name": "og", "nsCode": "other"})).await.expect(201).body;
    let stranger = v1.post(&format!("{V1}/user"), json!({"nsCode": "other"})).await.expect(201).body;
    let sid = stranger["id"].as_str().unwrap();
    let mine = expect(api.post(json!({"login": "Taken", "email": "t@x.fi"})).await, 201).body;
    let mid = mine["id"].as_str().unwrap();
    let victim = expect(api.post(json!({"login": "victim", "email": "v@x.fi"})).await, 201).body;
    let vid = victim["id"].as_str().unwrap();

    let bodies: Vec<(&[u8], u16, &str)> = vec![
        (br#"{"login":"a","memberships":[{"group":{"id":"nosuch"}}]}"#, 400, "nosuch"),
        (br#"{"login":"a","memberships":[{"group":{"id":"og"}}]}"#, 400, "og"),
        (
            br#"{"login":"a","memberships":[{"group":{"id":"g"},"role":{"id":"7"}}]}"#,
            400,
            "memberships[0].role.id",
        ),
        (br#"{"login":"a","memberships":[{"role":{"id":"0"}}]}"#, 400, "memberships[0].group.id"),
        (br#"{"login":"a","role":{"id":"2"}}"#, 400, "role.id"),
        (br#"{"login":"a","role":{}}"#, 400, "role.id"),
        (br#"{"login":"a","language":"FR"}"#, 400, "language"),
        (br#"{"login":"a","language":"fra"}"#, 400, "language"),
        (br#"{"login":"a","email":"not-an-address"}"#, 400, "not-an-address"),
        (br#"{"login":"a","active":"yes"}"#, 400, "JSON"),
        (br#"{"email":"x@x.fi"}"#, 400, "login"),
        (br#"{"login":"taken"}"#, 409, "taken"),
        (br#"{"login":"TAKEN"}"#, 409, "taken"),
        (br#"{"login": "#, 400, "JSON"),
        (b"[1,2,3]", 400, "JSON"),
        (b"", 400, "body"),
        (b"login=a&email=b", 400, "JSON"),
    ];
    for (body, status, needle) in &bodies {
        let r = expect(api.send(Method::POST, "", Some(body.to_vec())).await, *status);
        let message = r.body["message"].as_str().unwrap();
        assert!(message.contains(needle), "{}: {message}", String::from_utf8_lossy(body));
        // The same bodies replacing another account: a login is optional there.
        let expected = if body.starts_with(br#"{"email""#) { 200 } else { *status };
        expect(api.send(Method::PUT, &format!("/{vid}"), Some(body.to_vec())).await, expected);
    }
    let victim = expect(api.get(&format!("/{vid}")).await, 200).body;
    assert_eq!((victim["login"].clone(), victim["email"].clone()), (json!("victim"), json!("x@x.fi")));

    for query in
        ["page=-1", "page=x", "page=1.5", "limit=-5", "limit=abc", "limit=0", "page=99999999999999999999"]
    {
        let r = expect(api.get(&format!("?{query}")).await, 400);
        let name = query.split('=').next().unwrap();
        assert!(r.body["message"].as_str().unwrap().contains(name), "{query}: {}", r.text);
    }
    let far = expect(api.get("?page=18446744073709551615&limit=100").await, 200).body;
    assert_eq!((far["size"].clone(), far["hasMore"].clone()), (json!(0), json!(false)));

    // Unknown ids and other namespaces' users are 404, and never listed.
    for id in ["000000000000000000000000", "nosuch", sid] {
        expect(api.get(&format!("/{id}")).await, 404);
        expect(api.put(id, json!({"login": "x"})).await, 404);
        expect(api.delete(id).await, 404);
    }
    let list = expect(api.get("?limit=100").await, 200).body;
    assert_eq!(ids(&list["content"]), [mid.to_string(), vid.to_string()]);
    let seen = v1.get(&format!("{V1}/user/{sid}")).await.expect(200).body;
    assert_eq!(seen, stranger, "the other namespace's user is untouched");
    let og = v1.get(&format!("{V1}/group/{}", other_group["id"].as_str().unwrap())).await.expect(200).body;
    assert_eq!(og, other_group);

    // Credentials, permissions, methods, paths, sizes.
    let anonymous = Accounts::new(&server, None);
    let r = expect(anonymous.get("").await, 401);
    assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"portti\"");
    expect(Accounts::new(&server, Some(basic(ADMIN_ID, "wrong"))).get("").await, 401);
    let (viewer_id, viewer_secret) =
        create_client(&dir.0, &["--name", "viewer", "--permission", "ACCOUNT_VIEW"]);
    let viewer = Accounts::new(&server, Some(basic(&viewer_id, &viewer_secret)));
    expect(viewer.get("").await, 200);
    expect(viewer.get(&format!("/{mid}")).await, 200);
    let r = expect(viewer.post(json!({"login": "v"})).await, 403);
    assert!(r.text.contains("ACCOUNT_CREATE"), "{}", r.text);
    assert!(expect(viewer.put(mid, json!({})).await, 403).text.contains("ACCOUNT_MODIFY"));
    assert!(expect(viewer.delete(mid).await, 403).text.contains("ACCOUNT_DELETE"));
    expect(api.send(Method::PATCH, "", None).await, 405);
    expect(api.send(Method::POST, &format!("/{mid}"), Some(b"{}".to_vec())).await, 405);
    expect(api.get(&format!("/{mid}/nothing")).await, 404);
    let huge = format!(r#"{{"login":"{}"}}"#, "x".repeat(1024 * 1024 + 10));
    expect(api.send(Method::POST, "", Some(huge.into_bytes())).await, 413);

    // Nothing changed.
    let after = expect(api.get(&format!("/{mid}")).await, 200).body;
    assert_eq!((after["login"].clone(), after["email"].clone()), (json!("Taken"), json!("t@x.fi")));
    let total = v1.get(&format!("{V1}/user?count=0")).await.expect(200).body;
    assert_eq!(total["totalResults"], 3);
    assert!(!server.log().contains("request failed"), "no 500s:\n{}", server.log());
}

#[tokio::test]
async fn a_limited_client_sees_only_its_service() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let v1 = server.admin();
    namespace(&v1, "svc-a").await;
    namespace(&v1, "svc-b").await;
    let (id, secret) = create_client(&dir.0, &["--name", "a", "--namespace", "svc-a"]);
    let api = Accounts::new(&server, Some(basic(&id, &secret)));
    let b = v1.post(&format!("{V1}/user"), json!({"nsCode": "svc-b"})).await.expect(201).body;
    let in_default = v1.post(&format!("{V1}/user"), json!({"username": "d"})).await.expect(201).body;

    // svc-a's policy (EIGHT_NUMBERS) makes the login when none is given.
    let a = expect(api.post(json!({"email": "a@x.fi"})).await, 201).body;
    assert_eq!(a["login"].as_str().unwrap().len(), 8, "{a}");
    assert_eq!(
        v1.get(&format!("{V1}/user/{}", a["id"].as_str().unwrap())).await.expect(200).body["nsCode"],
        "svc-a"
    );
    for other in [&b, &in_default] {
        expect(api.get(&format!("/{}", other["id"].as_str().unwrap())).await, 404);
    }
    let list = expect(api.get("").await, 200).body;
    assert_eq!(ids(&list["content"]), [a["id"].as_str().unwrap().to_string()]);
    // A group of another service is unknown here.
    v1.post(&format!("{V1}/group"), json!({"name": "bg", "nsCode": "svc-b"})).await.expect(201);
    expect(api.post(json!({"memberships": [{"group": {"id": "bg"}}]})).await, 400);
}

#[tokio::test]
async fn the_accounts_api_is_documented() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let doc = server.anonymous().get("/apidoc/openapi.json").await.body;
    for (path, methods) in [
        (ACCOUNTS.to_string(), &["get", "post"][..]),
        (format!("{ACCOUNTS}/{{id}}"), &["get", "put", "delete"][..]),
    ] {
        for m in methods {
            let op = &doc["paths"][&path][m];
            assert_eq!(op["tags"], json!(["accounts"]), "{m} {path}");
            assert_eq!(op["security"], json!([{"bearer": []}, {"basic": []}]), "{m} {path}");
        }
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let html = server.anonymous().get("/apidoc").await.text;
    assert!(html.contains(ACCOUNTS));
}

#[tokio::test]
async fn an_end_user_token_sees_only_its_own_account() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let v1 = server.admin();
    let pw = "Kx7-mVq2-Lp9z";
    let alice = v1
        .post(&format!("{V1}/user"), json!({"username": "alice", "password": pw, "emails": ["a@x.fi"]}))
        .await
        .expect(201)
        .body;
    let bob = v1.post(&format!("{V1}/user"), json!({"username": "bob"})).await.expect(201).body;
    let (code, out, err) = cli(&dir.0, &["oidc-client", "create", "--name", "app", "--grant", "password"]);
    assert_eq!(code, 0, "{err}");
    let app: Value = serde_json::from_str(out.trim()).unwrap();
    let (cid, csecret) = (app["clientId"].as_str().unwrap(), app["clientSecret"].as_str().unwrap());
    let at = token(&server, cid, csecret, &format!("grant_type=password&username=alice&password={pw}")).await;
    let me = Accounts::new(&server, Some(format!("Bearer {at}")));

    let list = expect(me.get("").await, 200).body;
    assert_eq!(ids(&list["content"]), [alice["id"].as_str().unwrap().to_string()]);
    let mine = expect(me.get(&format!("/{}", alice["id"].as_str().unwrap())).await, 200).body;
    assert!(mine["lastAuthenticatedDate"].as_str().is_some_and(|d| d.ends_with('Z')), "{mine}");
    expect(me.get(&format!("/{}", bob["id"].as_str().unwrap())).await, 404);
    assert_eq!(expect(me.get("?login=bob").await, 200).body["size"], 0, "bob is not listed");
    expect(me.post(json!({"login": "mallory"})).await, 403);
    expect(me.put(alice["id"].as_str().unwrap(), json!({"role": {"id": "1"}})).await, 403);
    let admin = Accounts::new(&server, Some(auth_header(&server).await));
    let seen = expect(admin.get(&format!("/{}", alice["id"].as_str().unwrap())).await, 200).body;
    assert_eq!(seen["role"]["id"], "0");
}
