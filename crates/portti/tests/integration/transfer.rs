//! `portti import` and `portti export`: a round trip reproduces the directory, bad lines are
//! reported by number, imported bcrypt and PBKDF2 hashes sign in and become argon2id.

use crate::harness::{cli, namespace, Api, Server, TempDir, V1};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Instant;

/// The password of every user these tests sign in.
const PASSWORD: &str = "Tr0ub4dor&3";

/// `PASSWORD` as bcrypt, Django's PBKDF2-SHA256 and passlib's PBKDF2-SHA512 (made by passlib).
const BCRYPT: &str = "$2y$04$LxJURaopgQtPqcRnfFM7tesLOsmxknmE8nZPjm5EIfVE3u0ZsErfS";
const DJANGO_PBKDF2: &str = "pbkdf2_sha256$1000$y0oAppBVZ6SO$6u/g2gbv+qOaS3rL8d76grhuTf6lQR0wCh4lNMWdBqs=";
const PASSLIB_PBKDF2: &str = "$pbkdf2-sha512$1000$GoPw3htDKOV8T8kZ41wrxQ$wzV8yBooj8xLcKU7uI6HMUkgjpq8DbOZ6x6Or0ffeFAu/q5KDi7CbwzDDo0a5vAk2q/uJqNPHFo1hoF3gdN4wA";

fn write(dir: &Path, name: &str, lines: &[String]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.display().to_string()
}

/// Run `portti export` of a namespace into a file; returns its text.
fn export(dir: &Path, ns: &str, name: &str) -> String {
    let path = dir.join(name).display().to_string();
    let (code, _, err) = cli(dir, &["export", "--namespace", ns, "--output", &path]);
    assert_eq!(code, 0, "export failed: {err}");
    std::fs::read_to_string(path).unwrap()
}

/// Run `portti import`; returns (status, stderr).
fn import(dir: &Path, file: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["import", file];
    all.extend_from_slice(args);
    let (code, _, err) = cli(dir, &all);
    (code, err)
}

async fn user(api: &Api, id: &str, part: &str) -> Value {
    let mut v = api.get(&format!("{V1}/user/{id}{part}")).await.expect(200).body;
    if let Some(meta) = v.get_mut("meta").and_then(Value::as_object_mut) {
        meta.remove("location");
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("memberOf");
    }
    v
}

/// Users with a bit of everything: passwords and their history, groups, custom fields,
/// enterprise, legal and student data, access rights, strong identification, a hidden user.
async fn populate(api: &Api) -> Vec<String> {
    namespace(api, "acme").await;
    let u = |body: Value| async move { api.post(&format!("{V1}/user"), body).await.expect(201).body };
    let alice = u(json!({"nsCode": "acme", "username": "alice", "password": "Kx7-mVq2-Lp9z",
        "emails": [{"address": "alice@example.com", "verified": true, "name": "work"}, "a2@example.com"],
        "mobiles": ["+358401234567"], "memberOf": ["Staff", "Ops"], "name": {"givenName": "Alice", "familyName": "Ä"},
        "addresses": [{"streetAddress": "Katu 1", "locality": "Turku"}], "locale": "fi", "tags": ["x"],
        "consents": {"marketingEmail": true}}))
    .await;
    let bob = u(json!({"nsCode": "acme", "memberOf": ["Staff"], "userAccountType": "LEGAL_ENTITY"})).await;
    let carol = u(json!({"nsCode": "acme", "username": "carol"})).await;
    let (a, b) = (alice["id"].as_str().unwrap(), bob["id"].as_str().unwrap());
    let put = |path: String, body: Value| async move { api.put(&path, body).await.expect(200) };
    put(format!("{V1}/user/{a}/password"), json!({"newPassword": PASSWORD})).await;
    api.post(&format!("{V1}/user/{a}/customfields"), json!({"shoe": 42, "nested": {"k": [1, "v"]}}))
        .await
        .expect(200);
    put(format!("{V1}/user/{b}/enterprise"), json!({"businessId": "1234567-8", "tradeName": "Bob Oy"})).await;
    put(format!("{V1}/user/{a}/legal"), json!({"firstNames": "Alice", "dateOfBirth": "1990-01-02"})).await;
    api.post(&format!("{V1}/user/{a}/student/state"), json!({"state": "FULL_TIME"})).await.expect(200);
    put(format!("{V1}/user/{a}/permissions/custom"), json!({"add": ["ACCOUNT_VIEW"]})).await;
    let strong = json!({"personalId": "010190-123A", "remarks": "passport"});
    api.post(&format!("{V1}/user/{a}/strongidentification"), strong).await.expect(200);
    let policy = json!({"defaultGroupPolicy": {"deleteMode": "SOFT_DELETE", "hideOnSoftDelete": true}});
    put(format!("{V1}/namespace/acme"), policy).await;
    api.delete(&format!("{V1}/user/{}", carol["id"].as_str().unwrap())).await.expect(204);
    vec![a.to_string(), b.to_string()]
}

#[tokio::test]
async fn export_then_import_reproduces_the_directory() {
    let (from, to) = (TempDir::new(), TempDir::new());
    let source = Server::start(&from.0);
    let ids = populate(&source.admin()).await;
    let exported = export(&from.0, "acme", "acme.ndjson");
    assert_eq!(exported.lines().count(), 3, "{exported}");
    assert!(exported.contains("\"hidden\":true") && exported.contains("\"passwordHash\":\"$argon2id$"));
    assert!(exported.contains("\"memberOf\":[\"Staff\",\"Ops\"]"), "groups go by name: {exported}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(from.0.join("acme.ndjson")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the export is readable by others");
    }

    let target = Server::start(&to.0);
    namespace(&target.admin(), "acme").await;
    let file = from.0.join("acme.ndjson").display().to_string();
    let (code, err) = import(&to.0, &file, &["--namespace", "acme"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("imported 3, skipped 0"), "{err}");
    assert_eq!(export(&to.0, "acme", "again.ndjson"), exported, "a second export differs");

    let (a, b) = (source.admin(), target.admin());
    for id in &ids {
        for part in [
            "",
            "/customfields",
            "/enterprise",
            "/legal",
            "/student/state",
            "/permissions/custom",
            "/strongidentification/history",
        ] {
            assert_eq!(user(&a, id, part).await, user(&b, id, part).await, "user/{id}{part}");
        }
    }
    let staff = b.get(&format!("{V1}/group?filter=name%20eq%20%22Staff%22")).await.expect(200).body;
    assert_eq!(staff["totalResults"], 1);

    // Again: every user is there already, so nothing changes.
    let (code, err) = import(&to.0, &file, &["--namespace", "acme"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("imported 0, skipped 3"), "{err}");
    // A line from elsewhere: no id, no username (the namespace's policy makes one).
    let other = write(&to.0, "other.ndjson", &[json!({"emails": ["dan@example.com"]}).to_string()]);
    let (code, err) = import(&to.0, &other, &["--namespace", "acme"]);
    assert!(code == 0 && err.contains("imported 1, skipped 0"), "{err}");
    let dan = b.get(&format!("{V1}/user?filter=emails%20eq%20%22dan@example.com%22")).await.expect(200).body;
    assert_eq!(dan["resources"][0]["username"].as_str().map(str::len), Some(8), "{dan}");
    let (code, err) = import(&to.0, &file, &["--namespace", "nosuch"]);
    assert_ne!(code, 0);
    assert!(err.contains("nosuch"), "{err}");
}

#[tokio::test]
async fn bad_lines_are_reported_by_number_and_strict_stops_at_the_first() {
    let dir = TempDir::new();
    let lines: Vec<String> = [
        "\u{feff}{\"username\": \"first\", \"emails\": [\"first@example.com\"]}",
        r#"{"username": "broken""#,
        r#"{"username": "second", "memberOf": ["Team"]}"#,
        r#"{"username": "third", "emails": ["not an address"]}"#,
        r#"{"username": "FIRST"}"#,
        "",
        r#"{"username": "fourth", "passwordHash": "{MD5}X03MO1qnZdYdgyfeuILPmQ=="}"#,
        r#"{"username": "fifth", "password": "plain"}"#,
        r#"{"username": "sixth", "id": "not-an-id"}"#,
        r#"{"emails": ["nameless@example.com"]}"#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let file = write(&dir.0, "bad.ndjson", &lines);
    let (code, err) = import(&dir.0, &file, &["--namespace", "default", "--batch", "3"]);
    assert_eq!(code, 0, "{err}");
    for bad in [2, 4, 5, 7, 8, 9, 10] {
        assert!(err.contains(&format!("line {bad}: ")), "line {bad} not reported: {err}");
    }
    for good in [1, 3, 6] {
        assert!(!err.contains(&format!("line {good}: ")), "line {good} reported: {err}");
    }
    assert!(err.contains("line 5: username FIRST is already taken"), "{err}");
    assert!(err.contains("line 10: usernamePolicy MANUAL needs a username"), "{err}");
    assert!(err.contains("imported 2, skipped 0 (already there), failed 7"), "{err}");
    let exported = export(&dir.0, "default", "out.ndjson");
    assert_eq!(exported.lines().count(), 2);
    assert!(exported.contains("\"username\":\"second\"") && exported.contains("\"memberOf\":[\"Team\"]"));

    let strict = TempDir::new();
    let file = write(&strict.0, "bad.ndjson", &lines);
    let (code, err) = import(&strict.0, &file, &["--namespace", "default", "--strict"]);
    assert_ne!(code, 0, "--strict went on: {err}");
    assert!(err.contains("line 2: ") && !err.contains("line 4: "), "{err}");
    assert!(err.contains("stopped at line 2"), "{err}");
    let exported = export(&strict.0, "default", "out.ndjson");
    assert_eq!(exported.lines().count(), 1, "only the line before the first bad one: {exported}");

    // A line refused by the store's state stops a strict import too.
    let taken: Vec<String> =
        ["a", "b", "A", "c"].iter().map(|u| json!({"username": u}).to_string()).collect();
    let file = write(&strict.0, "taken.ndjson", &taken);
    let (code, err) = import(&strict.0, &file, &["--namespace", "default", "--strict"]);
    assert!(code != 0 && err.contains("line 3: username A is already taken"), "{err}");
    assert!(err.contains("imported 2,"), "{err}");
}

/// POST /openid/token with the password grant; the status.
async fn sign_in(server: &Server, client: &(String, String), username: &str, password: &str) -> u16 {
    let form = format!("grant_type=password&username={username}&password={}", password.replace('&', "%26"));
    let resp = server
        .http
        .post(format!("{}/openid/token", server.url))
        .basic_auth(&client.0, Some(&client.1))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    resp.status().as_u16()
}

#[tokio::test]
async fn imported_bcrypt_and_pbkdf2_hashes_sign_in_and_become_argon2id() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let users = [("bcrypt-user", BCRYPT), ("django-user", DJANGO_PBKDF2), ("passlib-user", PASSLIB_PBKDF2)];
    let lines: Vec<String> = users
        .iter()
        .map(|(name, hash)| json!({"username": name, "passwordHash": hash}).to_string())
        .collect();
    let file = write(&dir.0, "hashes.ndjson", &lines);
    let (code, err) = import(&dir.0, &file, &["--namespace", "default"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&dir.0, &["oidc-client", "create", "--name", "app", "--grant", "password"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let client =
        (v["clientId"].as_str().unwrap().to_string(), v["clientSecret"].as_str().unwrap().to_string());
    for (name, _) in users {
        assert_eq!(sign_in(&server, &client, name, "wrong").await, 400, "{name} with a wrong password");
        assert_eq!(sign_in(&server, &client, name, PASSWORD).await, 200, "{name}");
    }
    let exported = export(&dir.0, "default", "after.ndjson");
    for line in exported.lines() {
        let user: Value = serde_json::from_str(line).unwrap();
        let hash = user["passwordHash"].as_str().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{} kept {hash}", user["username"]);
    }
    for (name, _) in users {
        assert_eq!(sign_in(&server, &client, name, PASSWORD).await, 200, "{name} after the rehash");
    }
}

#[tokio::test]
async fn a_large_import_completes() {
    let dir = TempDir::new();
    const USERS: usize = 20_000;
    let lines: Vec<String> = (0..USERS)
        .map(|i| {
            json!({"username": format!("user{i:06}"), "name": {"givenName": "Test", "familyName": format!("User {i}")},
                "emails": [format!("user{i}@example.com")], "memberOf": [format!("group{}", i % 10)],
                "customFields": {"n": i}})
            .to_string()
        })
        .collect();
    let file = write(&dir.0, "large.ndjson", &lines);
    let started = Instant::now();
    let (code, err) = import(&dir.0, &file, &["--namespace", "default"]);
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("imported {USERS}, skipped 0 (already there), failed 0")), "{err}");
    eprintln!("imported {USERS} users in {secs:.1} s ({:.0} users/s, this build)", USERS as f64 / secs);
    let exported = export(&dir.0, "default", "large-out.ndjson");
    assert_eq!(exported.lines().count(), USERS);
    assert_eq!(exported.matches("\"memberOf\":[\"group7\"]").count(), USERS / 10);
}

#[tokio::test]
async fn an_import_beside_a_running_server_refuses_only_what_the_server_took_first() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    const USERS: usize = 1500;
    let lines: Vec<String> =
        (0..USERS).map(|i| json!({"username": format!("race{i:04}")}).to_string()).collect();
    let file = write(&dir.0, "race.ndjson", &lines);
    let path = dir.0.clone();
    let importing = tokio::task::spawn_blocking(move || {
        import(&path, &file, &["--namespace", "default", "--batch", "40"])
    });
    let api = server.admin();
    let mut created = 0;
    for i in (0..USERS).rev().step_by(3) {
        if importing.is_finished() {
            break;
        }
        let body = json!({"nsCode": "default", "username": format!("race{i:04}")});
        let reply = api.post(&format!("{V1}/user"), body).await;
        assert!(matches!(reply.status.as_u16(), 201 | 409), "{}", reply.text);
        created += usize::from(reply.status.as_u16() == 201);
    }
    let (code, err) = importing.await.unwrap();
    assert_eq!(code, 0, "{err}");
    let refused: Vec<&str> = err.lines().filter(|l| l.starts_with("line ")).collect();
    assert!(refused.iter().all(|l| l.contains("already taken")), "{err}");
    assert_eq!(refused.len(), created, "the file's lines the server took first: {err}");
    assert!(err.contains(&format!("imported {}, skipped 0", USERS - created)), "{err}");
    let all = api.get(&format!("{V1}/user?count=0&filter=nsCode%20eq%20%22default%22")).await.expect(200);
    assert_eq!(all.body["totalResults"], USERS, "every username once");
    eprintln!("{created} of {USERS} usernames taken by the server first");
}
