//! The HTTP ceiling of the machine: a bare hyper 1 server (HTTP/1.1, keep-alive, the
//! default multi-threaded tokio runtime, as `portti serve` uses) that answers every request
//! with the same fixed JSON body, as large as one user's JSON from Portti.
//!
//! `bare_http --listen 127.0.0.1:0 --body-size 512`; prints
//! `bare-http listening on http://ADDR` on stderr once it accepts connections.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() {
    let mut listen = "127.0.0.1:0".to_string();
    let mut body_size = 512usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--listen" => listen = value,
            "--body-size" => body_size = value.parse().unwrap_or_else(|_| usage("--body-size: a number")),
            _ => usage(&format!("unknown argument {arg}")),
        }
    }
    let body = Bytes::from(json_body(body_size));
    let listener =
        TcpListener::bind(&listen).await.unwrap_or_else(|e| fail(&format!("cannot listen on {listen}: {e}")));
    let addr = listener.local_addr().expect("a bound listener has an address");
    eprintln!("bare-http listening on http://{addr} ({} byte body)", body.len());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("bare-http: accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |_req: Request<Incoming>| {
                let mut response = Response::new(Full::new(body.clone()));
                response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// A JSON object of exactly `size` bytes (at least the 12 of `{"pad":"x"}` plus one).
fn json_body(size: usize) -> Vec<u8> {
    let frame = r#"{"pad":""}"#.len();
    let pad = size.saturating_sub(frame).max(1);
    format!(r#"{{"pad":"{}"}}"#, "x".repeat(pad)).into_bytes()
}

fn usage(problem: &str) -> ! {
    fail(&format!("{problem}\nusage: bare_http [--listen ADDR] [--body-size BYTES]"))
}

fn fail(message: &str) -> ! {
    eprintln!("bare-http: {message}");
    std::process::exit(2)
}
