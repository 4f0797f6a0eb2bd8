//! Operator endpoints that need no authentication: health, metrics, API documentation.

pub mod apidoc;
pub mod metrics;

use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use metrics::Gauge;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The operator routes, documented.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(prometheus))
        .routes(routes!(apidoc_page))
        .routes(routes!(openapi_json))
}

/// `200 {"status":"ok"}` once the store answers, `503` otherwise.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The store answers"), (status = 503, description = "The store does not answer")))]
async fn healthz(State(s): State<AppState>) -> Response {
    match s.dir.store().ping().await {
        Ok(()) => axum::Json(json!({"status": "ok"})).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "unavailable", "error": e.to_string()})),
        )
            .into_response(),
    }
}

/// Prometheus text: requests by route and status, latencies, store pool, outbox backlog.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format")))]
async fn prometheus(State(s): State<AppState>) -> Response {
    let pool = s.dir.store().stats();
    let mut gauges = vec![
        Gauge { name: "portti_store_connections", help: "Open store connections.", value: pool.size as f64 },
        Gauge {
            name: "portti_store_connections_idle",
            help: "Idle store connections.",
            value: pool.idle as f64,
        },
    ];
    // Left out while the store does not answer, rather than reported as zero.
    if let Ok(backlog) = s.dir.outbox_backlog().await {
        gauges.push(Gauge {
            name: "portti_outbox_backlog",
            help: "Outgoing mail and SMS not yet delivered (pending or being sent).",
            value: backlog as f64,
        });
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics.render(&gauges))
        .into_response()
}

/// This documentation as an HTML page.
#[utoipa::path(get, path = "/apidoc", tag = "operations", responses((status = 200, description = "HTML", content_type = "text/html")))]
async fn apidoc_page(State(s): State<AppState>) -> Html<String> {
    Html(s.docs.html.clone())
}

/// The OpenAPI 3.1 document the page is built from.
#[utoipa::path(get, path = "/apidoc/openapi.json", tag = "operations", responses((status = 200, description = "OpenAPI 3.1 JSON")))]
async fn openapi_json(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], s.docs.json.clone()).into_response()
}
