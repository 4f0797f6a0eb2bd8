//! Starting and stopping real `portti` processes, and talking to them.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const ADMIN_ID: &str = "test-admin";
pub const ADMIN_SECRET: &str = "test-admin-secret_0123456789";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("portti-it-{}-{n}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&path).unwrap();
        if on_postgres() {
            psql(&format!("CREATE DATABASE {}", db_name(&path)));
        }
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        if on_postgres() {
            psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db_name(&self.0)));
        }
    }
}

/// Whether this run tests the PostgreSQL store (`PORTTI_TEST_STORE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("PORTTI_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The server URL of the PostgreSQL the tests use (trust authentication).
pub fn postgres_server() -> String {
    std::env::var("PORTTI_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn db_name(dir: &Path) -> String {
    let name = dir.file_name().unwrap().to_string_lossy();
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// Run one SQL statement as the PostgreSQL administrator.
pub fn psql(sql: &str) {
    let out = Command::new("psql")
        .arg(format!("{}/test", postgres_server()))
        .args(["-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_007
}

/// The store URL for a test's data directory: its SQLite file, or its PostgreSQL database.
pub fn store_url(dir: &Path) -> String {
    if on_postgres() {
        format!("{}/{}", postgres_server(), db_name(dir))
    } else {
        format!("sqlite://{}", dir.join("portti.db").display())
    }
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_portti")
}

/// A running server.
pub struct Server {
    child: Child,
    pub url: String,
    pub stderr: Arc<Mutex<Vec<String>>>,
    pub http: reqwest::Client,
}

/// What to start a server with.
pub struct Start<'a> {
    pub dir: &'a Path,
    pub bootstrap: bool,
    pub env: Vec<(&'a str, String)>,
    /// Another database than the directory's own.
    pub database_url: Option<String>,
}

impl<'a> Start<'a> {
    pub fn new(dir: &'a Path) -> Self {
        Start { dir, bootstrap: true, env: Vec::new(), database_url: None }
    }
}

impl Server {
    /// Start with the bootstrap admin client.
    pub fn start(dir: &Path) -> Server {
        Server::start_with(Start::new(dir))
    }

    pub fn start_with(opts: Start) -> Server {
        Server::spawn(opts).wait_ready()
    }

    /// Start the process without waiting for it to listen.
    pub fn spawn(opts: Start) -> Starting {
        let mut cmd = Command::new(binary());
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(opts.dir)
            .arg("--database-url")
            .arg(opts.database_url.clone().unwrap_or_else(|| store_url(opts.dir)))
            .env("PORTTI_ARGON2_MEMORY_KIB", "64")
            .env("PORTTI_ARGON2_ITERATIONS", "1")
            .env("RUST_LOG", "info")
            .env_remove("PORTTI_BOOTSTRAP_CLIENT_ID")
            .env_remove("PORTTI_BOOTSTRAP_CLIENT_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if opts.bootstrap {
            cmd.env("PORTTI_BOOTSTRAP_CLIENT_ID", ADMIN_ID)
                .env("PORTTI_BOOTSTRAP_CLIENT_SECRET", ADMIN_SECRET);
        }
        for (k, v) in opts.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start portti");
        Starting { child }
    }
}

/// A server process that may not listen yet.
pub struct Starting {
    child: Child,
}

impl Starting {
    /// Wait until it listens.
    pub fn wait_ready(self) -> Server {
        let mut child = self.child;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = BufReader::new(child.stderr.take().unwrap());
        let lines = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if let Some(i) = line.find("listening on http://") {
                    let _ = tx.send(
                        line[i + "listening on ".len()..].split_whitespace().next().unwrap_or("").to_string(),
                    );
                }
                lines.lock().unwrap().push(line);
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("portti did not start:\n{}", stderr.lock().unwrap().join("\n"));
            }
        };
        Server { child, url, stderr, http: reqwest::Client::new() }
    }
}

impl Server {
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "portti did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A client acting with the given Basic credentials.
    pub fn as_client(&self, id: &str, secret: &str) -> Api {
        Api { base: self.url.clone(), http: self.http.clone(), auth: Some((id.into(), secret.into())) }
    }

    /// The bootstrap admin.
    pub fn admin(&self) -> Api {
        self.as_client(ADMIN_ID, ADMIN_SECRET)
    }

    /// No credentials.
    pub fn anonymous(&self) -> Api {
        Api { base: self.url.clone(), http: self.http.clone(), auth: None }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `portti` with arguments against a data directory; returns (status, stdout, stderr).
pub fn cli(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(binary())
        .args(args)
        .arg("--database-url")
        .arg(store_url(dir))
        .env_remove("PORTTI_BOOTSTRAP_CLIENT_ID")
        .env_remove("PORTTI_BOOTSTRAP_CLIENT_SECRET")
        .output()
        .expect("run portti");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Create a client through the CLI; returns (id, secret).
pub fn create_client(dir: &Path, args: &[&str]) -> (String, String) {
    let mut all = vec!["client", "create"];
    all.extend_from_slice(args);
    let (code, out, err) = cli(dir, &all);
    assert_eq!(code, 0, "client create failed: {err}");
    let v: Value = serde_json::from_str(out.trim()).expect("client create prints JSON");
    (v["clientId"].as_str().unwrap().into(), v["clientSecret"].as_str().unwrap().into())
}

/// An HTTP client for the Management API.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    auth: Option<(String, String)>,
}

/// A response: status and parsed JSON (or Null).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Api {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some((id, secret)) = &self.auth {
            req = req.basic_auth(id, Some(secret));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Reply::from(req.send().await.expect("request")).await
    }

    pub async fn raw(&self, method: Method, path: &str, body: Vec<u8>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).body(body);
        req = req.header("content-type", "application/json");
        if let Some((id, secret)) = &self.auth {
            req = req.basic_auth(id, Some(secret));
        }
        Reply::from(req.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }
}

impl Reply {
    async fn from(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text, headers }
    }

    /// Assert the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        if status >= 400 {
            assert!(
                self.body["errorMessage"].as_str().is_some_and(|m| !m.is_empty()),
                "no errorMessage: {}",
                self.text
            );
            assert_eq!(self.body["statusCode"], status, "statusCode differs: {}", self.text);
        }
        self
    }
}

pub const V1: &str = "/api/rest/v1";

/// Create a namespace with the admin; returns its JSON.
pub async fn namespace(api: &Api, code: &str) -> Value {
    api.post(
        &format!("{V1}/namespace"),
        serde_json::json!({"code": code, "name": code, "usernamePolicy": "EIGHT_NUMBERS"}),
    )
    .await
    .expect(201)
    .body
}
