//! Tokens: the token endpoint's grants, Bearer on the API, expiry, tampering, foreign
//! keys, revocation, namespace limits, end-user tokens, lockout, and no secrets in logs.

use crate::harness::{cli, create_client, namespace, Server, Start, TempDir, ADMIN_ID, ADMIN_SECRET, V1};
use serde_json::{json, Value};
use std::time::Duration;

/// POST /openid/token with the given query string and form body (Basic auth when `basic`).
async fn token(server: &Server, basic: Option<(&str, &str)>, query: &str, form: &str) -> (u16, String) {
    let mut req = server.http.post(format!("{}/openid/token{query}", server.url));
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn access_token(body: &str) -> String {
    serde_json::from_str::<Value>(body).unwrap()["access_token"].as_str().unwrap().to_string()
}

async fn bearer_get(server: &Server, token: &str, path: &str) -> (u16, Value) {
    let resp = server.http.get(format!("{}{path}", server.url)).bearer_auth(token).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn client_credentials_tokens_act_as_their_client() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let (status, body) =
        token(&server, Some((ADMIN_ID, ADMIN_SECRET)), "?grant_type=client_credentials", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("{\"access_token\":\"") && !body.contains(": ") && !body.contains(", "),
        "not compact: {body}"
    );
    assert!(!body.contains('[') && !body.contains("\":{"), "not flat: {body}");
    let tok = access_token(&body);
    assert_eq!(tok.split('.').count(), 3);
    assert_eq!(bearer_get(&server, &tok, &format!("{V1}/namespace/default")).await.0, 200);
    let form = format!("grant_type=client_credentials&client_id={ADMIN_ID}&client_secret={ADMIN_SECRET}");
    assert_eq!(token(&server, None, "", &form).await.0, 200, "form credentials");

    let (status, body) = token(&server, Some((ADMIN_ID, "wrong")), "", "grant_type=client_credentials").await;
    assert_eq!(status, 401);
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((err["error"].as_str(), err["errorMessage"].is_string()), (Some("invalid_client"), true));
    assert_eq!(token(&server, Some((ADMIN_ID, ADMIN_SECRET)), "", "grant_type=nope").await.0, 400);
    assert_eq!(token(&server, Some((ADMIN_ID, ADMIN_SECRET)), "", "").await.0, 400);

    // Tampered: another payload under the same signature.
    let mut parts: Vec<&str> = tok.split('.').collect();
    let forged = base64_url(r#"{"sub":"test-admin","typ":"client","exp":4102444800}"#);
    parts[1] = &forged;
    assert_eq!(bearer_get(&server, &parts.join("."), &format!("{V1}/user")).await.0, 401);
    assert_eq!(bearer_get(&server, "not-a-token", &format!("{V1}/user")).await.0, 401);

    // A token of another installation (another key) is foreign here.
    let other_dir = TempDir::new();
    let other = Server::start(&other_dir.0);
    let (_, body) = token(&other, Some((ADMIN_ID, ADMIN_SECRET)), "", "grant_type=client_credentials").await;
    assert_eq!(bearer_get(&server, &access_token(&body), &format!("{V1}/user")).await.0, 401);
}

fn base64_url(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &x| (acc << 8) | x as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn tokens_expire_and_api_tokens_are_revocable() {
    let dir = TempDir::new();
    let server = Server::start_with(Start {
        env: vec![("PORTTI_ACCESS_TOKEN_TTL", "1".into())],
        ..Start::new(&dir.0)
    });
    let (_, body) = token(&server, Some((ADMIN_ID, ADMIN_SECRET)), "", "grant_type=client_credentials").await;
    let short = access_token(&body);
    assert_eq!(bearer_get(&server, &short, &format!("{V1}/user")).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        bearer_get(&server, &short, &format!("{V1}/user")).await.0,
        401,
        "an expired token was accepted"
    );

    let (code, api_token, err) = cli(&dir.0, &["client", "token", ADMIN_ID, "--ttl-days", "30"]);
    assert_eq!(code, 0, "{err}");
    let api_token = api_token.trim().to_string();
    assert_eq!(bearer_get(&server, &api_token, &format!("{V1}/user")).await.0, 200);
    let (_, listed, _) = cli(&dir.0, &["client", "tokens", ADMIN_ID]);
    let entry: Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    assert_eq!(entry["revoked"], false);
    assert!(!listed.contains(&api_token), "the token itself was listed");
    let (code, _, err) = cli(&dir.0, &["client", "revoke-token", entry["id"].as_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        bearer_get(&server, &api_token, &format!("{V1}/user")).await.0,
        401,
        "a revoked token was accepted"
    );

    let (id, secret) = create_client(&dir.0, &["--name", "doomed"]);
    let (_, body) = token(&server, Some((&id, &secret)), "", "grant_type=client_credentials").await;
    let doomed = access_token(&body);
    assert_eq!(bearer_get(&server, &doomed, &format!("{V1}/user")).await.0, 200);
    cli(&dir.0, &["client", "delete", &id]);
    assert_eq!(
        bearer_get(&server, &doomed, &format!("{V1}/user")).await.0,
        401,
        "a deleted client's token was accepted"
    );
    assert!(!server.log().contains(&api_token) && !server.log().contains(&doomed), "a token reached the log");
}

#[tokio::test]
async fn a_limited_clients_token_stays_in_its_namespace() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let admin = server.admin();
    namespace(&admin, "tok-a").await;
    namespace(&admin, "tok-b").await;
    let b_user = admin.post(&format!("{V1}/user"), json!({"nsCode": "tok-b"})).await.expect(201).body;
    let (id, secret) = create_client(&dir.0, &["--name", "a-only", "--namespace", "tok-a"]);
    let (_, body) = token(&server, Some((&id, &secret)), "", "grant_type=client_credentials").await;
    let tok = access_token(&body);
    assert_eq!(
        bearer_get(&server, &tok, &format!("{V1}/user/{}", b_user["id"].as_str().unwrap())).await.0,
        404
    );
    assert_eq!(bearer_get(&server, &tok, &format!("{V1}/namespace/tok-b")).await.0, 404);
    assert_eq!(bearer_get(&server, &tok, &format!("{V1}/namespace/tok-a")).await.0, 200);
}

/// An OIDC client allowed the password and refresh grants; returns (id, secret).
fn oidc_client(dir: &std::path::Path) -> (String, String) {
    let (code, out, err) = cli(
        dir,
        &["oidc-client", "create", "--name", "app", "--grant", "password", "--grant", "refresh_token"],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    (v["clientId"].as_str().unwrap().into(), v["clientSecret"].as_str().unwrap().into())
}

#[tokio::test]
async fn users_sign_in_with_the_password_grant() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let admin = server.admin();
    let pw = "Kx7-mVq2-Lp9z";
    let alice = admin.post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "alice", "password": pw, "emails": ["alice@example.com"]})).await.expect(201).body;
    let bob = admin
        .post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "bob"}))
        .await
        .expect(201)
        .body;
    let (cid, csecret) = oidc_client(&dir.0);

    // As the SDK sends it: everything in the query string, an empty form body.
    let q = format!("?grant_type=password&username=alice&password={pw}&scope=openid+profile+email");
    let (status, body) = token(&server, Some((&cid, &csecret)), &q, "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("{\"access_token\":") && !body.contains(": "), "{body}");
    let tokens: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tokens["scope"], "openid profile email");
    assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());
    let at = tokens["access_token"].as_str().unwrap();
    let (status, claims) = bearer_get(&server, at, "/openid/userinfo").await;
    assert_eq!(status, 200);
    assert_eq!(claims["sub"], alice["id"]);
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(claims["https://oneportal.trivore.com/claims/namespace"], "default");
    // A user's token reaches its own user, and nothing else.
    let me = format!("{V1}/user/{}", alice["id"].as_str().unwrap());
    assert_eq!(bearer_get(&server, at, &me).await.0, 200);
    assert_eq!(bearer_get(&server, at, &format!("{V1}/user/{}", bob["id"].as_str().unwrap())).await.0, 404);
    let (_, list) = bearer_get(&server, at, &format!("{V1}/user")).await;
    assert_eq!(list["totalResults"], 1);
    assert_eq!(bearer_get(&server, at, &format!("{V1}/namespace/default")).await.0, 403);

    // As a standard client sends it: a form body. Then refresh, once.
    let form = format!("grant_type=password&username=alice&password={pw}");
    let (status, _) = token(&server, Some((&cid, &csecret)), "", &form).await;
    assert_eq!(status, 200);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = format!("grant_type=refresh_token&refresh_token={refresh}");
    assert_eq!(token(&server, Some((&cid, &csecret)), "", &form).await.0, 200);
    assert_eq!(
        token(&server, Some((&cid, &csecret)), "", &form).await.0,
        400,
        "a spent refresh token worked again"
    );

    // Wrong password and unknown user answer alike.
    let (s1, b1) =
        token(&server, Some((&cid, &csecret)), "", "grant_type=password&username=alice&password=nope").await;
    let (s2, b2) =
        token(&server, Some((&cid, &csecret)), "", "grant_type=password&username=nobody&password=nope").await;
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(s1, 400);
    // The client credentials grant is not the password grant.
    assert_eq!(token(&server, Some((&cid, &csecret)), "", "grant_type=client_credentials").await.0, 401);
    assert!(!server.log().contains(pw) && !server.log().contains(at), "a secret reached the log");
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_for_a_while() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let admin = server.admin();
    let policy = json!({"defaultGroupPolicy": {"incorrectLoginAttemptsThresh": 3, "incorrectLoginTimeWin": 60, "incorrectLoginLockoutTime": 2}});
    admin.put(&format!("{V1}/namespace/default"), policy).await.expect(200);
    let pw = "Kx7-mVq2-Lp9z";
    admin
        .post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "carol", "password": pw}))
        .await
        .expect(201);
    let (cid, csecret) = oidc_client(&dir.0);
    let good = format!("grant_type=password&username=carol&password={pw}");
    let bad = "grant_type=password&username=carol&password=wrong";
    assert_eq!(token(&server, Some((&cid, &csecret)), "", &good).await.0, 200);
    for _ in 0..3 {
        assert_eq!(token(&server, Some((&cid, &csecret)), "", bad).await.0, 400);
    }
    assert_eq!(
        token(&server, Some((&cid, &csecret)), "", &good).await.0,
        400,
        "the right password worked while locked out"
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(token(&server, Some((&cid, &csecret)), "", &good).await.0, 200, "the lockout did not lift");
}

#[tokio::test]
async fn discovery_and_keys() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let anon = server.anonymous();
    let d = anon.get("/.well-known/openid-configuration").await.expect(200).body;
    for k in [
        "issuer",
        "authorization_endpoint",
        "jwks_uri",
        "token_endpoint",
        "userinfo_endpoint",
        "scopes_supported",
    ] {
        assert!(d.get(k).is_some(), "{k} missing");
    }
    assert_eq!(d["token_endpoint"], format!("{}/openid/token", server.url));
    let keys = anon.get("/openid/jwks").await.expect(200).body;
    assert_eq!(keys["keys"][0]["alg"], "ES256");
    assert!(keys["keys"][0].get("d").is_none(), "the private key was published");
}
