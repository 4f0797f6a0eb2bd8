//! The outbox: messages are delivered by SMTP and the SMS webhook and marked `sent`; a
//! gateway that is down gets retries with back-off (and a restart resumes them); without a
//! gateway messages stay in the outbox; several nodes deliver each message once.
//! The gateways are tiny sinks started inside each test on 127.0.0.1.

use crate::harness::{cli, on_postgres, Server, Start, TempDir};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const MAIL_FROM: &str = "Portti Test <noreply@portti.test>";

/// One mail as the SMTP sink received it.
#[derive(Debug, Clone, Default)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

/// A minimal SMTP server: answers 220/250/354/221 and keeps every mail's envelope and DATA.
struct SmtpSink {
    url: String,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&mails);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, Arc::clone(&kept)));
            }
        });
        SmtpSink { url, mails }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn smtp_session(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut mail = Mail::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail = Mail { from: address(&line), ..Mail::default() };
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(address(&line));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                data.push('\n');
            }
            mail.data = data;
            mails.lock().unwrap().push(std::mem::take(&mut mail));
            b"250 OK queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            break;
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

/// The address inside `MAIL FROM:<a@b>` or `RCPT TO:<a@b>`.
fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_string()
}

/// A minimal SMS webhook: keeps every JSON body it accepts. By recipient: `+999…` always
/// answers 503, `+400…` always 400, `+503…` answers 503 twice and then 200, others 200.
#[derive(Clone)]
struct SmsSink {
    url: String,
    state: Arc<SmsState>,
}

#[derive(Default)]
struct SmsState {
    received: std::sync::atomic::AtomicUsize,
    accepted: Mutex<Vec<Value>>,
    calls: Mutex<HashMap<String, u32>>,
    delay: Duration,
}

impl SmsSink {
    async fn start(delay: Duration) -> SmsSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", listener.local_addr().unwrap());
        let state = Arc::new(SmsState { delay, ..SmsState::default() });
        let app =
            axum::Router::new().route("/sms", axum::routing::post(sms_hook)).with_state(Arc::clone(&state));
        tokio::spawn(async move { axum::serve(listener, app).await });
        SmsSink { url, state }
    }

    fn accepted(&self) -> Vec<Value> {
        self.state.accepted.lock().unwrap().clone()
    }

    /// Requests that arrived (answered or not yet).
    fn received(&self) -> usize {
        self.state.received.load(std::sync::atomic::Ordering::SeqCst)
    }
}

async fn sms_hook(State(state): State<Arc<SmsState>>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    state.received.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(state.delay).await;
    let to = body["to"].as_str().unwrap_or_default().to_string();
    let call = {
        let mut calls = state.calls.lock().unwrap();
        let n = calls.entry(to.clone()).or_default();
        *n += 1;
        *n
    };
    let status = match () {
        _ if to.starts_with("+999") => StatusCode::SERVICE_UNAVAILABLE,
        _ if to.starts_with("+400") => StatusCode::BAD_REQUEST,
        _ if to.starts_with("+503") && call <= 2 => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    if status == StatusCode::OK {
        state.accepted.lock().unwrap().push(body);
    }
    (status, Json(json!({"status": status.as_u16()})))
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// `portti outbox list --json [args]`, parsed.
fn outbox(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["outbox", "list", "--json"];
    all.extend_from_slice(args);
    let (code, out, err) = cli(dir, &all);
    assert_eq!(code, 0, "outbox list failed: {err}");
    out.lines().map(|l| serde_json::from_str(l).expect("outbox list prints JSON lines")).collect()
}

/// `portti outbox send-test`; the queued message ids.
fn send_test(dir: &Path, channel: &str, to: &str, count: u32) -> Vec<String> {
    let count = count.to_string();
    let (code, out, err) =
        cli(dir, &["outbox", "send-test", "--channel", channel, "--to", to, "--count", &count]);
    assert_eq!(code, 0, "send-test failed: {err}");
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect()
}

/// Wait until `check` holds, or fail saying `what`.
async fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The message with this id in the outbox list.
fn message(dir: &Path, id: &str) -> Value {
    outbox(dir, &[]).into_iter().find(|m| m["id"] == id).unwrap_or_else(|| panic!("message {id} not listed"))
}

async fn backlog(server: &Server) -> f64 {
    let text = server.anonymous().get("/metrics").await.text;
    let line = text
        .lines()
        .find(|l| l.starts_with("portti_outbox_backlog "))
        .unwrap_or_else(|| panic!("no portti_outbox_backlog in /metrics:\n{text}"));
    line["portti_outbox_backlog ".len()..].trim().parse().unwrap()
}

fn with_gateways<'a>(dir: &'a Path, env: Vec<(&'a str, String)>) -> Start<'a> {
    let mut start = Start::new(dir);
    start.env = env;
    start
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mail_and_sms_are_delivered_and_marked_sent() {
    let dir = TempDir::new();
    let (smtp, sms) = (SmtpSink::start().await, SmsSink::start(Duration::ZERO).await);
    let server = Server::start_with(with_gateways(
        &dir.0,
        vec![
            ("PORTTI_SMTP_URL", smtp.url.clone()),
            ("PORTTI_MAIL_FROM", MAIL_FROM.into()),
            ("PORTTI_SMS_WEBHOOK_URL", sms.url.clone()),
            ("PORTTI_SMS_FROM", "PorttiTest".into()),
        ],
    ));
    assert!(server.log().contains("mail is delivered by SMTP"), "{}", server.log());
    let mail_id = send_test(&dir.0, "email", "alice@example.com", 1).remove(0);
    let sms_id = send_test(&dir.0, "sms", "+358401234567", 1).remove(0);

    wait_until("both sinks got their message", Duration::from_secs(30), || {
        smtp.mails().len() == 1 && sms.accepted().len() == 1
    })
    .await;
    let mail = smtp.mails().remove(0);
    assert_eq!(mail.from, "noreply@portti.test");
    assert_eq!(mail.to, ["alice@example.com"]);
    let data = &mail.data;
    for want in [
        "From: \"Portti Test\" <noreply@portti.test>",
        "To: alice@example.com",
        "Subject: Portti test message",
        "multipart/alternative",
        "Content-Type: text/plain",
        "Content-Type: text/html",
        &format!("Message-ID: <{mail_id}@portti.test>"),
    ] {
        assert!(
            data.contains(want) || data.contains(&want.replace('"', "")),
            "no {want:?} in the mail:\n{data}"
        );
    }
    assert!(data.contains(&format!("(message {mail_id})")), "the text names the message:\n{data}");
    assert!(data.contains("<b>Portti</b>"), "the HTML part is there:\n{data}");

    let text = sms.accepted().remove(0);
    assert_eq!(text["to"], "+358401234567");
    assert_eq!(text["from"], "PorttiTest");
    assert_eq!(text["text"], format!("Portti test message {sms_id}"));

    wait_until("both are marked sent", Duration::from_secs(10), || {
        outbox(&dir.0, &[]).iter().all(|m| m["status"] == "sent")
    })
    .await;
    let listed = outbox(&dir.0, &[]);
    assert_eq!(listed.len(), 2);
    assert_eq!((listed[0]["id"].as_str(), listed[1]["id"].as_str()), (Some(&*mail_id), Some(&*sms_id)));
    let m = &listed[0];
    assert_eq!((m["channel"].as_str(), m["to"].as_str()), (Some("email"), Some("alice@example.com")));
    assert_eq!(m["subject"], "Portti test message");
    assert!(m["text"].as_str().unwrap().contains(&mail_id) && m["html"].as_str().unwrap().contains("<b>"));
    assert!(m["created"].as_str().unwrap().ends_with('Z'), "{m}");
    assert!(m["sent"].as_str().is_some_and(|s| s.ends_with('Z')), "{m}");
    assert_eq!(m["attempts"], 1);

    // Filters: by recipient (any case) and by channel.
    let to_alice = outbox(&dir.0, &["--to", "ALICE@example.com"]);
    assert_eq!(to_alice.len(), 1);
    assert_eq!(to_alice[0]["id"], mail_id.as_str());
    let texts = outbox(&dir.0, &["--channel", "sms"]);
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0]["id"], sms_id.as_str());
    assert!(outbox(&dir.0, &["--to", "nobody@example.com"]).is_empty());
    assert_eq!(backlog(&server).await, 0.0);

    // Bad input to the CLI is refused before anything is queued.
    let (code, _, err) =
        cli(&dir.0, &["outbox", "send-test", "--channel", "email", "--to", "not-an-address"]);
    assert_ne!(code, 0, "a bad address was queued");
    assert!(err.contains("not an email address"), "{err}");
    let (code, _, _) = cli(&dir.0, &["outbox", "list", "--channel", "fax"]);
    assert_ne!(code, 0);
    assert_eq!(outbox(&dir.0, &[]).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gateway_that_is_down_gets_retries_and_a_restart_resumes() {
    let dir = TempDir::new();
    let down = format!("smtp://127.0.0.1:{}", closed_port().await);
    let env = |url: String| {
        vec![
            ("PORTTI_SMTP_URL", url),
            ("PORTTI_MAIL_FROM", MAIL_FROM.to_string()),
            ("PORTTI_OUTBOX_RETRY_BASE_MS", "300".to_string()),
        ]
    };
    let server = Server::start_with(with_gateways(&dir.0, env(down)));
    let id = send_test(&dir.0, "email", "bob@example.com", 1).remove(0);
    wait_until("two attempts have failed", Duration::from_secs(30), || {
        message(&dir.0, &id)["attempts"].as_u64() >= Some(2)
    })
    .await;
    let m = message(&dir.0, &id);
    assert!(matches!(m["status"].as_str(), Some("pending" | "sending")), "{m}");
    if m["status"] == "pending" {
        assert!(m["lastError"].as_str().is_some_and(|e| !e.is_empty()), "{m}");
    }
    assert_eq!(backlog(&server).await, 1.0);
    assert!(server.log().contains("will retry"), "{}", server.log());
    assert!(server.terminate().success());
    let tried = message(&dir.0, &id)["attempts"].as_u64().unwrap();
    assert_eq!(message(&dir.0, &id)["status"], "pending", "a clean stop leaves no claim behind");

    // The gateway comes up; a restarted server resumes the pending delivery.
    let smtp = SmtpSink::start().await;
    let server = Server::start_with(with_gateways(&dir.0, env(smtp.url.clone())));
    wait_until("the mail arrives", Duration::from_secs(30), || smtp.mails().len() == 1).await;
    assert_eq!(smtp.mails()[0].to, ["bob@example.com"]);
    wait_until("it is marked sent", Duration::from_secs(10), || message(&dir.0, &id)["status"] == "sent")
        .await;
    let m = message(&dir.0, &id);
    assert_eq!(m["attempts"].as_u64(), Some(tried + 1), "{m}");
    assert_eq!(backlog(&server).await, 0.0);
    // Delivered once: nothing more arrives.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.mails().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_claim_of_a_node_that_died_mid_send_expires() {
    let dir = TempDir::new();
    let sms = SmsSink::start(Duration::from_millis(1000)).await;
    let env = || vec![("PORTTI_SMS_WEBHOOK_URL", sms.url.clone()), ("PORTTI_OUTBOX_CLAIM_MS", "3000".into())];
    let node = Server::start_with(with_gateways(&dir.0, env()));
    let id = send_test(&dir.0, "sms", "+358402222222", 1).remove(0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sms.received() == 0 {
        assert!(Instant::now() < deadline, "the webhook was never called");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.kill();
    let m = message(&dir.0, &id);
    assert_eq!((m["status"].as_str(), m["attempts"].as_u64()), (Some("sending"), Some(1)), "{m}");

    // Another node takes the message over once the dead node's claim has expired.
    let _other = Server::start_with(with_gateways(&dir.0, env()));
    wait_until("the message is sent", Duration::from_secs(30), || message(&dir.0, &id)["status"] == "sent")
        .await;
    assert_eq!(message(&dir.0, &id)["attempts"], 2);
    assert!(sms.received() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_errors_are_retried_and_refusals_fail() {
    let dir = TempDir::new();
    let sms = SmsSink::start(Duration::ZERO).await;
    let _server = Server::start_with(with_gateways(
        &dir.0,
        vec![
            ("PORTTI_SMS_WEBHOOK_URL", sms.url.clone()),
            ("PORTTI_OUTBOX_RETRY_BASE_MS", "200".to_string()),
            ("PORTTI_OUTBOX_MAX_ATTEMPTS", "3".to_string()),
        ],
    ));
    let flaky = send_test(&dir.0, "sms", "+5031234567", 1).remove(0);
    let down = send_test(&dir.0, "sms", "+9991234567", 1).remove(0);
    let refused = send_test(&dir.0, "sms", "+4001234567", 1).remove(0);
    wait_until("no message is pending", Duration::from_secs(40), || {
        outbox(&dir.0, &[]).iter().all(|m| m["status"] == "sent" || m["status"] == "failed")
    })
    .await;
    let flaky = message(&dir.0, &flaky);
    assert_eq!((flaky["status"].as_str(), flaky["attempts"].as_u64()), (Some("sent"), Some(3)), "{flaky}");
    let down = message(&dir.0, &down);
    assert_eq!((down["status"].as_str(), down["attempts"].as_u64()), (Some("failed"), Some(3)), "{down}");
    assert!(down["lastError"].as_str().unwrap().contains("503"), "{down}");
    let refused = message(&dir.0, &refused);
    assert_eq!(
        (refused["status"].as_str(), refused["attempts"].as_u64()),
        (Some("failed"), Some(1)),
        "{refused}"
    );
    assert!(refused["lastError"].as_str().unwrap().contains("400"), "{refused}");
    assert_eq!(sms.accepted().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_gateways_messages_stay_in_the_outbox() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let log = server.log();
    assert!(
        log.contains("mail is not delivered: PORTTI_SMTP_URL is unset; messages stay in the outbox"),
        "{log}"
    );
    assert!(log.contains("`portti outbox list`"), "{log}");
    assert!(log.contains("SMS are not delivered: PORTTI_SMS_WEBHOOK_URL is unset"), "{log}");

    let mail = send_test(&dir.0, "email", "carol@example.com", 4);
    let text = send_test(&dir.0, "sms", "+358409999999", 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let listed = outbox(&dir.0, &[]);
    let ids: Vec<&str> = listed.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let queued: Vec<&str> = mail.iter().chain(&text).map(String::as_str).collect();
    assert_eq!(ids, queued, "newest last, also within one transaction");
    for m in &listed {
        assert_eq!((m["status"].as_str(), m["attempts"].as_u64()), (Some("pending"), Some(0)), "{m}");
        assert!(m["sent"].is_null() && m["lastError"].is_null(), "{m}");
    }
    assert_eq!(backlog(&server).await, 5.0);

    let (code, table, _) = cli(&dir.0, &["outbox", "list", "--to", "carol@example.com"]);
    assert_eq!(code, 0);
    assert_eq!(table.lines().filter(|l| l.contains("pending")).count(), 4, "{table}");
    assert!(table.contains("Portti test message"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_deliver_each_message_once() {
    if !on_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass");
        return;
    }
    const N: usize = 30;
    let dir = TempDir::new();
    let sms = SmsSink::start(Duration::from_millis(40)).await;
    let env = || vec![("PORTTI_SMS_WEBHOOK_URL", sms.url.clone())];
    let (a, b) = (Server::spawn(with_gateways(&dir.0, env())), Server::spawn(with_gateways(&dir.0, env())));
    let (a, b) = (a.wait_ready(), b.wait_ready());

    let ids = send_test(&dir.0, "sms", "+358500000000", N as u32);
    assert_eq!(ids.len(), N);
    wait_until("every message arrives", Duration::from_secs(60), || sms.accepted().len() >= N).await;
    wait_until("every message is marked sent", Duration::from_secs(10), || {
        outbox(&dir.0, &[]).iter().all(|m| m["status"] == "sent")
    })
    .await;
    // Give a duplicate the time to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let texts: Vec<String> = sms.accepted().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect();
    assert_eq!(texts.len(), N, "delivered more than once: {texts:?}");
    let got: HashSet<String> = texts.into_iter().collect();
    let want: HashSet<String> = ids.iter().map(|id| format!("Portti test message {id}")).collect();
    assert_eq!(got, want);
    for m in outbox(&dir.0, &[]) {
        assert_eq!(m["attempts"], 1, "{m}");
    }
    let delivered = |s: &Server| s.log().matches("message delivered").count();
    let (by_a, by_b) = (delivered(&a), delivered(&b));
    eprintln!("node A delivered {by_a}, node B {by_b}");
    assert_eq!(by_a + by_b, N);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_store_carries_the_outbox() {
    if !on_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass");
        return;
    }
    let (lite, pg) = (TempDir::new(), TempDir::new());
    let lite_url = format!("sqlite://{}", lite.0.join("portti.db").display());
    let pg_url = crate::harness::store_url(&pg.0);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(crate::harness::binary()).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&[
        "outbox",
        "send-test",
        "--channel",
        "email",
        "--to",
        "dave@example.com",
        "--database-url",
        &lite_url,
    ]);
    run(&["outbox", "send-test", "--channel", "sms", "--to", "+358401111111", "--database-url", &lite_url]);
    let before = run(&["outbox", "list", "--json", "--database-url", &lite_url]);
    run(&["migrate-store", "--from", &lite_url, "--to", &pg_url]);
    let after = run(&["outbox", "list", "--json", "--database-url", &pg_url]);
    assert_eq!(before.lines().count(), 2);
    assert_eq!(after, before);
}
