//! A 201 means the user is on disk: SIGKILL during concurrent creates loses nothing acknowledged.

use crate::harness::{namespace, Server, TempDir, V1};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_users_survive_sigkill() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "dur").await;
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..6 {
        let api = api.clone();
        let acknowledged = Arc::clone(&acknowledged);
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({"nsCode": "dur", "username": format!("w{w}-{i}"), "emails": [format!("w{w}.{i}@example.com")]});
                let req = api.http.post(format!("{}{V1}/user", api.base)).basic_auth(crate::harness::ADMIN_ID, Some(crate::harness::ADMIN_SECRET)).json(&body);
                match req.send().await {
                    Ok(resp) if resp.status().as_u16() == 201 => {
                        if let Ok(v) = resp.json::<serde_json::Value>().await {
                            acknowledged.lock().unwrap().push(v["id"].as_str().unwrap().to_string());
                        }
                    }
                    Ok(resp) => panic!("create failed with {}", resp.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    // Let the writers get going, then kill the server mid-flight.
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if acknowledged.lock().unwrap().len() >= 60 {
            break;
        }
    }
    server.kill();
    for w in writers {
        w.await.unwrap();
    }
    let ids = acknowledged.lock().unwrap().clone();
    assert!(ids.len() >= 60);

    let server = Server::start(&dir.0);
    let api = server.admin();
    for id in &ids {
        api.get(&format!("{V1}/user/{id}")).await.expect(200);
    }
    let total = api.get(&format!("{V1}/user?filter=nsCode%20eq%20%22dur%22&count=0")).await.expect(200).body
        ["totalResults"]
        .as_u64()
        .unwrap();
    assert!(total as usize >= ids.len());
}
