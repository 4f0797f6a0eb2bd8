//! Sending on request and email templates through the real binary: acknowledged templates
//! and mails survive SIGKILL, a refused group mail queues nothing, and templates travel with
//! `portti migrate-store`.

use crate::harness::{cli, namespace, on_postgres, Server, Start, TempDir, V1};
use serde_json::{json, Value};
use std::process::Command;

/// The outbox as `portti outbox list --json` prints it.
fn outbox(dir: &std::path::Path, to: &str) -> Vec<Value> {
    let (code, out, err) = cli(dir, &["outbox", "list", "--to", to, "--json"]);
    assert_eq!(code, 0, "outbox list failed: {err}");
    out.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn template_body() -> Value {
    json!({
        "name": "receipt",
        "defaultLocale": "en",
        "subjectTemplate": "{{title}} #{{number}}",
        "htmlTemplate": "<p>{{title}} for {{who}}</p>",
        "textTemplate": "{{title}} for {{who}}",
        "localeProperties": {"en": {"title": "Receipt"}, "sv": {"title": "Kvitto"}},
        "namespaceIds": ["shop"]
    })
}

#[tokio::test]
async fn templates_and_mails_acknowledged_survive_sigkill() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "shop").await;
    let created = api.post(&format!("{V1}/emailtemplate"), template_body()).await.expect(201).body;
    let id = created["id"].as_str().unwrap().to_string();
    let send = json!({"recipients": [{"emailAddress": "buyer@example.com", "preferredLocale": "sv",
                                      "properties": {"who": "<Bo>"}}],
                      "preferredLocale": null, "preferredTimezone": null, "properties": {"number": 7}});
    let reply = api.post(&format!("{V1}/emailtemplate/{id}/send"), send).await.expect(204);
    assert!(reply.text.is_empty());
    let mail = json!({"to": [{"address": "plain@example.com"}], "cc": [], "bcc": [], "replyTo": [],
                      "from": {"address": null, "name": null}, "subject": "Hi", "text": "Hello",
                      "html": null, "attachments": []});
    api.post(&format!("{V1}/email/send"), mail).await.expect(200);
    server.kill();

    let server = Server::start(&dir.0);
    let api = server.admin();
    let mut read = api.get(&format!("{V1}/emailtemplate/{id}")).await.expect(200).body;
    read["meta"].as_object_mut().unwrap().remove("location");
    let mut want = created.clone();
    want["meta"].as_object_mut().unwrap().remove("location");
    assert_eq!(read, want);
    let [receipt] = outbox(&dir.0, "buyer@example.com").try_into().unwrap();
    assert_eq!(receipt["subject"], "Kvitto #7");
    assert_eq!(receipt["html"], "<p>Kvitto for &lt;Bo&gt;</p>");
    assert_eq!(receipt["text"], "Kvitto for <Bo>");
    assert_eq!(outbox(&dir.0, "plain@example.com").len(), 1);
}

#[tokio::test]
async fn a_refused_group_mail_queues_nothing() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "club").await;
    let group =
        api.post(&format!("{V1}/group"), json!({"name": "members", "nsCode": "club"})).await.expect(201);
    let gid = group.body["id"].as_str().unwrap().to_string();
    for i in 0..3 {
        let user = json!({"nsCode": "club", "emails": [format!("m{i}@example.com")], "memberOf": [gid]});
        api.post(&format!("{V1}/user"), user).await.expect(201);
    }
    // One bad address in cc refuses the whole request.
    let bad = json!({"to": [], "cc": [{"address": "not an address"}], "subject": "News", "text": "Hi"});
    api.post(&format!("{V1}/group/{gid}/email/send"), bad).await.expect(400);
    assert!(outbox(&dir.0, "m0@example.com").is_empty());
    let good = json!({"subject": "News", "text": "Hi"});
    api.post(&format!("{V1}/group/{gid}/email/send"), good).await.expect(200);
    for i in 0..3 {
        assert_eq!(outbox(&dir.0, &format!("m{i}@example.com")).len(), 1);
    }
    api.post(&format!("{V1}/group/000000000000000000000000/email/send"), json!({"text": "x"}))
        .await
        .expect(404);
}

#[tokio::test]
async fn templates_travel_with_migrate_store() {
    if !on_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass");
        return;
    }
    let (pg, lite) = (TempDir::new(), TempDir::new());
    let lite_url = format!("sqlite://{}", lite.0.join("portti.db").display());
    let server = Server::start(&pg.0);
    let api = server.admin();
    namespace(&api, "shop").await;
    let mut created = api.post(&format!("{V1}/emailtemplate"), template_body()).await.expect(201).body;
    assert!(server.terminate().success());

    let out = Command::new(crate::harness::binary())
        .args(["migrate-store", "--from", &crate::harness::store_url(&pg.0), "--to", &lite_url])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("email_templates 1") && err.contains("email_template_namespaces 1"), "{err}");

    let copy =
        Server::start_with(Start { bootstrap: false, database_url: Some(lite_url), ..Start::new(&lite.0) });
    let id = created["id"].as_str().unwrap().to_string();
    let mut read = copy.admin().get(&format!("{V1}/emailtemplate/{id}")).await.expect(200).body;
    for v in [&mut read, &mut created] {
        v["meta"].as_object_mut().unwrap().remove("location");
    }
    assert_eq!(read, created);
}
