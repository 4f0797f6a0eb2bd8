//! Bad input gets a clear 4xx with `errorMessage` and changes nothing; never a 500.

use crate::harness::{namespace, Api, Server, TempDir, V1};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn user_count(api: &Api) -> u64 {
    api.get(&format!("{V1}/user?count=0")).await.expect(200).body["totalResults"].as_u64().unwrap()
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    namespace(&api, "err").await;
    let g = api.post(&format!("{V1}/group"), json!({"name": "g", "nsCode": "err"})).await.expect(201).body;
    api.post(&format!("{V1}/user"), json!({"nsCode": "err", "username": "taken"})).await.expect(201);
    let before = user_count(&api).await;

    let cases: Vec<(Method, String, Vec<u8>, u16)> = vec![
        (Method::POST, format!("{V1}/user"), b"{\"nsCode\": ".to_vec(), 400),
        (Method::POST, format!("{V1}/user"), b"[1,2,3]".to_vec(), 400),
        (Method::POST, format!("{V1}/user"), b"".to_vec(), 400),
        (Method::POST, format!("{V1}/user"), br#"{"nsCode":"err","locked":"yes"}"#.to_vec(), 400),
        (Method::POST, format!("{V1}/user"), br#"{"nsCode":"err","emails":[42]}"#.to_vec(), 400),
        (
            Method::POST,
            format!("{V1}/user"),
            br#"{"nsCode":"err","emails":["not-an-address"]}"#.to_vec(),
            400,
        ),
        (
            Method::POST,
            format!("{V1}/user"),
            br#"{"nsCode":"err","emails":["a@x.fi","b@x.fi","c@x.fi"]}"#.to_vec(),
            400,
        ),
        (Method::POST, format!("{V1}/user"), br#"{"nsCode":"nosuch","username":"x"}"#.to_vec(), 404),
        (Method::POST, format!("{V1}/user"), br#"{"nsCode":"err","username":"TAKEN"}"#.to_vec(), 409),
        (Method::POST, format!("{V1}/user"), br#"{"nsCode":"default"}"#.to_vec(), 400),
        (Method::POST, format!("{V1}/namespace"), br#"{"code":"err"}"#.to_vec(), 409),
        (Method::POST, format!("{V1}/namespace"), br#"{"code":"bad code!"}"#.to_vec(), 400),
        (Method::POST, format!("{V1}/namespace"), br#"{"code":"Users"}"#.to_vec(), 400),
        (Method::POST, format!("{V1}/namespace"), br#"{"code":"ok1","validTo":"tomorrow"}"#.to_vec(), 400),
        (Method::POST, format!("{V1}/namespace"), br#"{"code":"ok2","usernamePolicy":"NOPE"}"#.to_vec(), 400),
        (Method::POST, format!("{V1}/group"), br#"{"name":"g","nsCode":"err"}"#.to_vec(), 409),
        (
            Method::POST,
            format!("{V1}/group"),
            br#"{"name":"h","nsCode":"err","memberOf":["000000000000000000000000"]}"#.to_vec(),
            400,
        ),
        (Method::POST, format!("{V1}/group"), br#"{"nsCode":"err"}"#.to_vec(), 400),
        (
            Method::PUT,
            format!("{V1}/group/{}", g["id"].as_str().unwrap()),
            format!(r#"{{"memberOf":["{}"]}}"#, g["id"].as_str().unwrap()).into_bytes(),
            400,
        ),
        (Method::PUT, format!("{V1}/user/000000000000000000000000"), br#"{"nickName":"x"}"#.to_vec(), 404),
        (Method::GET, format!("{V1}/user?filter=username%20eq"), Vec::new(), 400),
        (Method::GET, format!("{V1}/user?filter=password%20eq%20%22x%22"), Vec::new(), 400),
        (Method::GET, format!("{V1}/user?filter=meta.created%20gt%20%22soon%22"), Vec::new(), 400),
        (Method::GET, format!("{V1}/user?startIndex=-1"), Vec::new(), 400),
        (Method::GET, format!("{V1}/user?count=lots"), Vec::new(), 400),
        (Method::GET, format!("{V1}/user?sortBy=emails"), Vec::new(), 400),
        (Method::GET, format!("{V1}/namespace?all=maybe"), Vec::new(), 400),
        (Method::GET, format!("{V1}/nothing/here"), Vec::new(), 404),
        (Method::PATCH, format!("{V1}/user"), Vec::new(), 405),
        (Method::DELETE, format!("{V1}/namespace/default"), Vec::new(), 409),
        (Method::DELETE, format!("{V1}/namespace/err"), Vec::new(), 409),
    ];
    for (method, path, body, status) in cases {
        let reply = api.raw(method.clone(), &path, body.clone()).await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{method} {path} {} answered {}",
            String::from_utf8_lossy(&body),
            reply.text
        );
        reply.expect(status);
    }
    assert_eq!(user_count(&api).await, before, "a refused request changed the directory");
    let groups = api.get(&format!("{V1}/group?filter=nsCode%20eq%20%22err%22")).await.expect(200);
    assert_eq!(groups.body["totalResults"], 1);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let api = server.admin();
    let big =
        format!(r#"{{"nsCode":"default","username":"big","nickName":"{}"}}"#, "x".repeat(1024 * 1024 + 10));
    api.raw(Method::POST, &format!("{V1}/user"), big.into_bytes()).await.expect(413);
    api.get(&format!("{V1}/user?filter=username%20eq%20%22big%22")).await.expect(200);
}

/// A request refused before its body is needed (here: it has no credentials) leaves its
/// kept-alive connection usable, even when the body arrives after the headers, as it does
/// from clients that write the two apart (Python's `http.client`).
#[tokio::test]
async fn a_refused_request_keeps_its_connection_usable() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let host = server.url.trim_start_matches("http://");
    let mut conn = TcpStream::connect(host).await.unwrap();
    let head = format!("POST {V1}/user HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\n\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    // Time for a server that answers without the body to do so before the body is sent.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    conn.write_all(b"{}").await.unwrap();
    let (status, headers) = read_response(&mut conn).await;
    assert_eq!(status, 401, "{headers}");
    let again = format!("GET {V1}/user HTTP/1.1\r\nHost: {host}\r\n\r\n");
    conn.write_all(again.as_bytes()).await.unwrap();
    let (status, headers) = read_response(&mut conn).await;
    assert_eq!(status, 401, "{headers}");
}

/// One HTTP/1.1 response from `conn`: its status and its head; the body is read and dropped.
async fn read_response(conn: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection; read so far: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    let mut body = vec![0u8; (end + length).saturating_sub(buf.len())];
    conn.read_exact(&mut body).await.unwrap();
    (head[9..12].parse().unwrap(), head)
}

#[tokio::test]
async fn credentials_are_checked() {
    let dir = TempDir::new();
    let server = Server::start(&dir.0);
    let wrong = server.as_client(crate::harness::ADMIN_ID, "wrong");
    let reply = wrong.get(&format!("{V1}/user")).await.expect(401);
    assert!(reply.headers.get("www-authenticate").is_some());
    server.anonymous().get(&format!("{V1}/namespace")).await.expect(401);
    server.as_client("nobody", "x").get(&format!("{V1}/group")).await.expect(401);
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}{V1}/user", server.url))
        .header("authorization", "Basic %%%")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(!server.log().contains(crate::harness::ADMIN_SECRET), "a secret reached the log");
}
