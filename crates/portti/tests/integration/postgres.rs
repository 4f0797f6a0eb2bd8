//! PostgreSQL only: several nodes on one database, and losing the database under a running node.
//! These run in the suite's PostgreSQL pass (`PORTTI_TEST_STORE=postgres`).

use crate::harness::{on_postgres, Server, Start, TempDir, V1};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_on_one_database_behave_as_one() {
    if !on_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass");
        return;
    }
    let dir = TempDir::new();
    // Both start at the same moment on a fresh database: migrations, the secret key and
    // the bootstrap client are each created once.
    let (a, b) = (Server::spawn(Start::new(&dir.0)), Server::spawn(Start::new(&dir.0)));
    let (a, b) = (a.wait_ready(), b.wait_ready());
    let (api_a, api_b) = (a.admin(), b.admin());

    let user = api_a
        .post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "shared"}))
        .await
        .expect(201);
    let id = user.body["id"].as_str().unwrap();
    let mut seen = api_b.get(&format!("{V1}/user/{id}")).await.expect(200).body;
    seen["meta"]["location"] = user.body["meta"]["location"].clone(); // each node has its own public URL here
    assert_eq!(seen, user.body);
    api_b.put(&format!("{V1}/user/{id}"), json!({"nickName": "from-b"})).await.expect(200);
    assert_eq!(api_a.get(&format!("{V1}/user/{id}")).await.expect(200).body["nickName"], "from-b");

    for i in 0..15 {
        let body = json!({"nsCode": "default", "username": format!("race-{i}")});
        let path = format!("{V1}/user");
        let (ra, rb) = tokio::join!(api_a.post(&path, body.clone()), api_b.post(&path, body));
        let mut codes = [ra.status.as_u16(), rb.status.as_u16()];
        codes.sort();
        assert_eq!(codes, [201, 409], "race-{i}: {} / {}", ra.text, rb.text);
    }
    let listed = api_b.get(&format!("{V1}/user?count=0")).await.expect(200);
    assert_eq!(listed.body["totalResults"], 16);

    // A token issued by one node is accepted by the other: the signing key is in the database.
    let issued = a
        .http
        .post(format!("{}/openid/token", a.url))
        .basic_auth(crate::harness::ADMIN_ID, Some(crate::harness::ADMIN_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let token: serde_json::Value = issued.json().await.unwrap();
    let on_b = b
        .http
        .get(format!("{}{V1}/user/{id}", b.url))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status().as_u16(), 200, "node B refused node A's token");
}

/// A PostgreSQL server of the test's own, in a temporary directory on its own port.
struct OwnPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries under /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|p| p.join("initdb").exists())
            .expect("initdb");
        let dir = std::env::temp_dir().join(format!("portti-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = OwnPostgres { dir, bin, port };
        as_postgres(&["chown", "-R", "postgres", &pg.dir.display().to_string()], true);
        pg.run("initdb", &["-A", "trust", "-U", "postgres", "-D", &pg.data()]);
        pg.up();
        pg
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool).display().to_string();
        let mut all = vec![exe.as_str()];
        all.extend_from_slice(args);
        as_postgres(&all, false);
    }

    fn up(&self) {
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.display());
        let log = self.dir.join("log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &opts, "-l", &log, "-w", "start"]);
    }

    fn down(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl").display().to_string();
        let _ = run_quietly(&[&exe, "-D", &self.data(), "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Run a command as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_postgres(args: &[&str], as_root: bool) {
    let status = run_quietly(args).filter(|_| !as_root || is_root());
    assert!(status.is_some_and(|ok| ok), "{args:?} failed");
}

fn run_quietly(args: &[&str]) -> Option<bool> {
    let mut cmd = if is_root() && args[0] != "chown" {
        let line = args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ");
        let mut c = Command::new("su");
        c.args(["postgres", "-s", "/bin/sh", "-c", &line]);
        c
    } else {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]);
        c
    };
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()
        .map(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"))
}

#[tokio::test]
async fn losing_the_database_answers_503_and_recovers() {
    if !on_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass");
        return;
    }
    let pg = OwnPostgres::start();
    let dir = TempDir::new();
    let server = Server::start_with(Start { database_url: Some(pg.url()), ..Start::new(Path::new(&dir.0)) });
    let api = server.admin();
    api.post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "before"})).await.expect(201);

    pg.down();
    let reply = api.get(&format!("{V1}/user")).await;
    assert_eq!(reply.status.as_u16(), 503, "{}", reply.text);
    reply.expect(503);
    let created = api.post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "during"})).await;
    assert_eq!(created.status.as_u16(), 503, "{}", created.text);
    assert_eq!(server.anonymous().get("/healthz").await.status.as_u16(), 503);

    pg.up();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = api.get(&format!("{V1}/user")).await;
        if r.status.as_u16() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {}", r.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let after = api.post(&format!("{V1}/user"), json!({"nsCode": "default", "username": "after"})).await;
    assert_eq!(after.status.as_u16(), 201, "{}\n{}", after.text, server.log());
    let users = api.get(&format!("{V1}/user?count=10")).await.expect(200).body;
    let names: Vec<&str> =
        users["resources"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["before", "after"]);
}

fn portti(args: &[&str]) -> (bool, String) {
    let out = Command::new(crate::harness::binary()).args(args).output().expect("run portti");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Everything a test reads back after a copy: one user, its group, its namespace.
async fn snapshot(api: &crate::harness::Api, user: &str) -> serde_json::Value {
    let mut u = api.get(&format!("{V1}/user/{user}")).await.expect(200).body;
    let mut g = api.get(&format!("{V1}/group/{}", u["memberOf"][0].as_str().unwrap())).await.expect(200).body;
    let mut n = api.get(&format!("{V1}/namespace/{}", u["nsCode"].as_str().unwrap())).await.expect(200).body;
    for v in [&mut u, &mut g, &mut n] {
        v["meta"].as_object_mut().unwrap().remove("location");
    }
    json!({"user": u, "group": g, "namespace": n})
}

#[tokio::test]
async fn migrate_store_copies_sqlite_to_postgres_and_back() {
    if !on_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass");
        return;
    }
    let (lite, pg, lite2) = (TempDir::new(), TempDir::new(), TempDir::new());
    let lite_url = format!("sqlite://{}", lite.0.join("portti.db").display());
    let lite2_url = format!("sqlite://{}", lite2.0.join("portti.db").display());
    let pg_url = crate::harness::store_url(&pg.0);

    let server = Server::start_with(Start { database_url: Some(lite_url.clone()), ..Start::new(&lite.0) });
    let api = server.admin();
    api.post(&format!("{V1}/namespace"), json!({"code": "copy", "usernamePolicy": "EIGHT_NUMBERS"}))
        .await
        .expect(201);
    let mut first = String::new();
    for i in 0..25 {
        let body = json!({"nsCode": "copy", "memberOf": ["team"], "emails": [format!("u{i}@example.com")], "password": "Rq7-vLm2-pX9z"});
        let u = api.post(&format!("{V1}/user"), body).await.expect(201).body;
        if i == 0 {
            first = u["id"].as_str().unwrap().to_string();
        }
    }
    let before = snapshot(&api, &first).await;
    assert!(server.terminate().success());

    let (ok, err) = portti(&["migrate-store", "--from", &lite_url, "--to", &pg_url]);
    assert!(ok, "{err}");
    assert!(err.contains("copied and verified") && err.contains("users 25"), "{err}");
    let (ok, err) = portti(&["migrate-store", "--from", &lite_url, "--to", &pg_url]);
    assert!(!ok && err.contains("not empty"), "a non-empty target was accepted: {err}");

    // The copied client secret works under the copied key: no bootstrap needed.
    let on_pg = Server::start_with(Start { bootstrap: false, ..Start::new(&pg.0) });
    assert_eq!(snapshot(&on_pg.admin(), &first).await, before);
    let listed =
        on_pg.admin().get(&format!("{V1}/user?filter=nsCode%20eq%20%22copy%22&count=0")).await.expect(200);
    assert_eq!(listed.body["totalResults"], 25);
    drop(on_pg);

    let (ok, err) = portti(&["migrate-store", "--from", &pg_url, "--to", &lite2_url]);
    assert!(ok, "{err}");
    let back =
        Server::start_with(Start { bootstrap: false, database_url: Some(lite2_url), ..Start::new(&lite2.0) });
    assert_eq!(snapshot(&back.admin(), &first).await, before);
}
