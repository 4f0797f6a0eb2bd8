//! Request counters and latency histograms exposed in the Prometheus text format.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Upper bounds (seconds) of the latency histogram buckets, `+Inf` excluded.
const BUCKETS: [f64; 13] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Route label for requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Request counters and latency histograms, rendered in the Prometheus text format.
#[derive(Default)]
pub struct Metrics {
    /// Series keyed by route, then method; lookups by `&str` allocate nothing once a series exists.
    series: Mutex<HashMap<String, HashMap<String, Series>>>,
}

/// An extra gauge appended to the exposition.
pub struct Gauge {
    /// Metric name, e.g. `portti_users`.
    pub name: &'static str,
    /// One-line help text.
    pub help: &'static str,
    /// Current value.
    pub value: f64,
}

/// Everything recorded for one (route, method) pair.
#[derive(Default)]
struct Series {
    /// Request count per response status.
    statuses: HashMap<u16, u64>,
    /// Observations per bucket (not cumulative); the last slot is `+Inf` only.
    buckets: [u64; BUCKETS.len() + 1],
    /// Sum of observed durations in seconds.
    sum: f64,
    /// Number of observations.
    count: u64,
}

impl Series {
    /// Adds one finished request.
    fn observe(&mut self, status: u16, seconds: f64) {
        *self.statuses.entry(status).or_insert(0) += 1;
        let slot = BUCKETS.iter().position(|&le| seconds <= le).unwrap_or(BUCKETS.len());
        self.buckets[slot] += 1;
        self.sum += seconds;
        self.count += 1;
    }
}

/// A snapshot row used for sorted rendering: (method, route, series).
type Row<'a> = (&'a str, &'a str, &'a Series);

impl Metrics {
    /// Creates an empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record one finished HTTP request. `route` is the matched route template (e.g. "/api/rest/v1/user/{id}") or "unmatched".
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        if !series.contains_key(route) {
            series.insert(route.to_owned(), HashMap::new());
        }
        let by_method = series.get_mut(route).expect("route series was just ensured");
        if let Some(entry) = by_method.get_mut(method) {
            entry.observe(status, seconds);
        } else {
            by_method.entry(method.to_owned()).or_default().observe(status, seconds);
        }
    }

    /// The exposition text: request counter, latency histogram, then the given gauges.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let mut rows: Vec<Row<'_>> = series
            .iter()
            .flat_map(|(route, by_method)| {
                by_method.iter().map(move |(m, s)| (m.as_str(), route.as_str(), s))
            })
            .collect();
        rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut out = String::with_capacity(256 + rows.len() * 1024);
        render_counter(&mut out, &rows);
        render_histogram(&mut out, &rows);
        drop(series);
        for gauge in gauges {
            render_gauge(&mut out, gauge);
        }
        out
    }
}

/// Writes the `portti_http_requests_total` family.
fn render_counter(out: &mut String, rows: &[Row<'_>]) {
    out.push_str("# HELP portti_http_requests_total Total HTTP requests by method, route and status.\n");
    out.push_str("# TYPE portti_http_requests_total counter\n");
    for (method, route, series) in rows {
        let mut statuses: Vec<(&u16, &u64)> = series.statuses.iter().collect();
        statuses.sort();
        for (status, count) in statuses {
            let _ = writeln!(
                out,
                "portti_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape_label(method),
                escape_label(route)
            );
        }
    }
}

/// Writes the `portti_http_request_duration_seconds` family.
fn render_histogram(out: &mut String, rows: &[Row<'_>]) {
    let name = "portti_http_request_duration_seconds";
    let _ = writeln!(out, "# HELP {name} HTTP request latency in seconds by method and route.");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (method, route, series) in rows {
        let labels = format!("method=\"{}\",route=\"{}\"", escape_label(method), escape_label(route));
        let mut cumulative = 0;
        for (le, count) in BUCKETS.iter().zip(&series.buckets) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", series.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", format_float(series.sum));
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", series.count);
    }
}

/// Writes one gauge family.
fn render_gauge(out: &mut String, gauge: &Gauge) {
    let name = gauge.name;
    let _ = writeln!(out, "# HELP {name} {}", escape_help(gauge.help));
    let _ = writeln!(out, "# TYPE {name} gauge");
    let _ = writeln!(out, "{name} {}", format_float(gauge.value));
}

/// Formats a sample value the way Prometheus spells non-finite numbers.
fn format_float(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

/// Escapes a label value: backslash, double quote and newline.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes `# HELP` text: backslash and newline.
fn escape_help(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The method label: standard methods as-is, anything else folded into "OTHER" to bound cardinality.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    const NAMES: [&str; 9] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"];
    KNOWN.iter().position(|m| m == method).map_or("OTHER", |i| NAMES[i])
}

/// axum middleware: times the request and records it under its matched route (or "unmatched").
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let response = next.run(req).await;
    let route = route.as_deref().unwrap_or(UNMATCHED);
    metrics.record(method, route, response.status().as_u16(), start.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn counts_requests_per_status() {
        let m = Metrics::new();
        m.record("GET", "/a", 200, ms(1));
        m.record("GET", "/a", 200, ms(1));
        m.record("GET", "/a", 404, ms(1));
        m.record("POST", "/a", 201, ms(1));
        let text = m.render(&[]);
        assert!(text.contains("portti_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"));
        assert!(text.contains("portti_http_requests_total{method=\"GET\",route=\"/a\",status=\"404\"} 1\n"));
        assert!(text.contains("portti_http_requests_total{method=\"POST\",route=\"/a\",status=\"201\"} 1\n"));
        assert!(text.contains("# TYPE portti_http_requests_total counter\n"));
        assert!(text.contains("# TYPE portti_http_request_duration_seconds histogram\n"));
    }

    #[test]
    fn buckets_are_cumulative() {
        let m = Metrics::new();
        m.record("GET", "/b", 200, Duration::from_micros(500));
        m.record("GET", "/b", 200, ms(3));
        m.record("GET", "/b", 200, ms(10));
        m.record("GET", "/b", 200, Duration::from_secs(30));
        let text = m.render(&[]);
        let line = |le: &str| {
            format!("portti_http_request_duration_seconds_bucket{{method=\"GET\",route=\"/b\",le=\"{le}\"}} ")
        };
        let value = |le: &str| -> u64 {
            let prefix = line(le);
            let l = text.lines().find(|l| l.starts_with(&prefix)).expect("bucket line");
            l[prefix.len()..].parse().unwrap()
        };
        assert_eq!(value("0.001"), 1);
        assert_eq!(value("0.0025"), 1);
        assert_eq!(value("0.005"), 2);
        assert_eq!(value("0.01"), 3);
        assert_eq!(value("1"), 3);
        assert_eq!(value("10"), 3);
        assert_eq!(value("+Inf"), 4);
        assert!(text.contains("portti_http_request_duration_seconds_count{method=\"GET\",route=\"/b\"} 4\n"));
        let sum_prefix = "portti_http_request_duration_seconds_sum{method=\"GET\",route=\"/b\"} ";
        let sum = text.lines().find_map(|l| l.strip_prefix(sum_prefix)).expect("sum line");
        assert!((sum.parse::<f64>().unwrap() - 30.0135).abs() < 1e-9);
        assert_eq!(text.matches("_bucket{").count(), 14);
    }

    #[test]
    fn escapes_label_values() {
        let m = Metrics::new();
        m.record("GET", "/a\\b\"c\nd", 200, ms(1));
        let text = m.render(&[]);
        assert!(text.contains("route=\"/a\\\\b\\\"c\\nd\""));
        assert_eq!(text.lines().filter(|l| l.starts_with("d\"")).count(), 0);
    }

    #[test]
    fn output_is_sorted_and_gauges_follow() {
        let m = Metrics::new();
        m.record("POST", "/z", 200, ms(1));
        m.record("GET", "/z", 200, ms(1));
        m.record("GET", "/a", 500, ms(1));
        m.record("GET", "/a", 200, ms(1));
        let gauges = [
            Gauge { name: "portti_users", help: "Number of users.", value: 3.0 },
            Gauge { name: "portti_ratio", help: "A\\B\nC", value: f64::NAN },
        ];
        let text = m.render(&gauges);
        assert_eq!(text, m.render(&gauges));
        let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("missing {s}"));
        assert!(
            pos("method=\"GET\",route=\"/a\",status=\"200\"")
                < pos("method=\"GET\",route=\"/a\",status=\"500\"")
        );
        assert!(pos("method=\"GET\",route=\"/a\",status=\"500\"") < pos("method=\"GET\",route=\"/z\""));
        assert!(pos("method=\"GET\",route=\"/z\"") < pos("method=\"POST\",route=\"/z\""));
        assert!(pos("_count{method=\"POST\"") < pos("# HELP portti_users"));
        assert!(text
            .contains("# HELP portti_users Number of users.\n# TYPE portti_users gauge\nportti_users 3\n"));
        assert!(text.contains("# HELP portti_ratio A\\\\B\\nC\n"));
        assert!(text.ends_with("portti_ratio NaN\n"));
    }

    #[test]
    fn empty_registry_still_declares_families() {
        let text = Metrics::new().render(&[]);
        assert!(text.contains("# HELP portti_http_requests_total "));
        assert!(text.contains("# HELP portti_http_request_duration_seconds "));
        assert!(!text.contains("{"));
    }

    #[tokio::test]
    async fn middleware_records_matched_route() {
        let metrics = Arc::new(Metrics::new());
        let app = Router::new()
            .route("/user/{id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(metrics.clone(), track));
        let request = |uri: &str| axum::http::Request::builder().uri(uri).body(Body::empty()).unwrap();
        let ok = app.clone().oneshot(request("/user/42")).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let missing = app.clone().oneshot(request("/nope")).await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let odd = axum::http::Request::builder()
            .method(Method::from_bytes(b"BREW").unwrap())
            .uri("/user/1")
            .body(Body::empty())
            .unwrap();
        app.oneshot(odd).await.unwrap();
        let text = metrics.render(&[]);
        assert!(text
            .contains("portti_http_requests_total{method=\"GET\",route=\"/user/{id}\",status=\"200\"} 1\n"));
        assert!(text
            .contains("portti_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"));
        assert!(text.contains(
            "portti_http_requests_total{method=\"OTHER\",route=\"/user/{id}\",status=\"405\"} 1\n"
        ));
        assert!(!text.contains("/user/42"));
    }
}
