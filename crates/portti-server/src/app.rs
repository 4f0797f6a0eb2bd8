//! The whole HTTP application: every dialect, the operator endpoints, and the layers around them.

use crate::dialect::Dialect;
use crate::extract::BODY_LIMIT;
use crate::ops::metrics::{self, Metrics};
use crate::scim::ScimError;
use crate::v1::{self, V1};
use axum::body::{Body, HttpBody};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use portti_core::Error;
use portti_service::Directory;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The directory service.
    pub dir: Arc<Directory>,
    /// Base of absolute links (`meta.location`, discovery), without a trailing slash.
    pub public_url: String,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// The OpenAPI document and the page made from it.
    pub docs: Arc<Docs>,
}

/// The API documentation, rendered once at start.
pub struct Docs {
    /// `/apidoc/openapi.json`.
    pub json: String,
    /// `/apidoc`.
    pub html: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portti",
        description = "Portti keeps users, namespaces and groups, and serves them over three dialects: the \
            Management API v1 (the `trivoreid` SDK's dialect, under `/api/rest/v1`), the Accounts API \
            (`/auth/v1/customer/services/accounts`) and SCIM 2.0 (`/scim/v2`). Management clients authenticate with \
            HTTP Basic (client id and secret) or a Bearer token from `/openid/token`. In the Management API v1, lists take `startIndex` (0-based), `count` (at most 500) and a SCIM-style `filter` \
            such as `(nsCode eq \"demo\") and (emails pr)`. Errors carry `errorMessage` and `statusCode`."
    ),
    tags(
        (name = "users", description = "Users of the namespaces"),
        (name = "namespaces", description = "Namespaces (tenants) and their policies"),
        (name = "groups", description = "Groups and their nesting"),
        (name = "access rights", description = "Permissions, built-in and custom roles, and what each user holds"),
        (name = "messaging", description = "Mail and SMS sent on request, queued in the durable outbox"),
        (name = "email templates", description = "Mustache email templates per namespace: list, read, send, and Portti's create, update, delete"),
        (name = "accounts", description = "Accounts API (`/auth/v1/customer/services/accounts`): the accounts of the caller's service, paged by `page` and `limit` with `hasMore`"),
        (name = "openid", description = "OAuth2 / OpenID Connect: tokens, userinfo, discovery"),
        (name = "operations", description = "Health, metrics and this documentation (no authentication)")
    ),
    modifiers(&Credentials)
)]
struct ApiDoc;

/// The two ways to authenticate, on every dialect.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let basic = HttpBuilder::new()
            .scheme(HttpAuthScheme::Basic)
            .description(Some("A management client's id and secret"))
            .build();
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("A token from `POST /openid/token`, or a `portti client token`"))
            .build();
        components.add_security_scheme("basic", SecurityScheme::Http(basic));
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// The application router over `dir`.
pub fn router(dir: Arc<Directory>, public_url: &str) -> Router {
    let (routes, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(v1::routes())
        .merge(crate::accounts::routes())
        .merge(crate::oidc::routes())
        .merge(crate::ops::routes())
        .merge(crate::public::routes())
        .split_for_parts();
    api.merge(crate::scim::ScimDoc::openapi());
    let api = serde_json::to_value(&api).unwrap_or_default();
    let docs = Docs { json: api.to_string(), html: crate::ops::apidoc::render(&api) };
    let state = AppState {
        dir,
        public_url: public_url.trim_end_matches('/').to_string(),
        metrics: Arc::new(Metrics::new()),
        docs: Arc::new(docs),
    };
    routes
        .merge(crate::scim::routes())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(read_body_first))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            V1::error_response(&Error::Internal("the server failed to handle the request".into()))
        }))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(crate::public::RedactedSpan))
        .with_state(state)
}

/// An error in the shape of the dialect the path belongs to.
fn error_at(path: &str, status: StatusCode, message: String) -> Response {
    if path.starts_with(crate::accounts::BASE) {
        crate::accounts::error_body(status, message)
    } else if path.starts_with(crate::scim::BASE) {
        ScimError::status(status, message).into_response()
    } else {
        v1::error_body(status, message)
    }
}

async fn unknown_route(req: Request) -> Response {
    let msg = format!("no such endpoint: {} {}", req.method(), req.uri().path());
    error_at(req.uri().path(), StatusCode::NOT_FOUND, msg)
}

async fn method_not_allowed(req: Request) -> Response {
    let msg = format!("method {} is not allowed on {}", req.method(), req.uri().path());
    error_at(req.uri().path(), StatusCode::METHOD_NOT_ALLOWED, msg)
}

/// Read a request's whole body before the request is routed. A response given before the
/// body is read (a refused credential, an unknown route) would otherwise make hyper close
/// the connection once the response is sent, without a `Connection: close` to warn the
/// client, which then fails on its next request over the kept-alive connection. A client
/// that sends `Expect: 100-continue` waits for the answer and is left to hyper.
async fn read_body_first(req: Request, next: Next) -> Response {
    if req.body().is_end_stream() || req.headers().contains_key(header::EXPECT) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return closing(error_at(path, StatusCode::PAYLOAD_TOO_LARGE, too_large()));
    }
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(e) if is_over_limit(&e) => closing(error_at(path, StatusCode::PAYLOAD_TOO_LARGE, too_large())),
        Err(e) => {
            closing(error_at(path, StatusCode::BAD_REQUEST, format!("cannot read the request body: {e}")))
        }
    }
}

fn too_large() -> String {
    Error::PayloadTooLarge(BODY_LIMIT).to_string()
}

/// Whether reading a body failed because it passed the limit.
fn is_over_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// `response`, telling the client the connection ends with it (its request body was not read).
fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Serve `app` on `listener` until `shutdown` resolves, then finish in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_over_the_limit_is_told_from_other_read_errors() {
        let over = axum::body::to_bytes(Body::from(vec![b'x'; 10]), 5).await.unwrap_err();
        assert!(is_over_limit(&over));
        let other = axum::Error::new(std::io::Error::other("connection reset"));
        assert!(!is_over_limit(&other));
    }

    #[tokio::test]
    async fn refusals_close_the_connection_in_the_path_dialect() {
        let r = closing(error_at("/scim/v2/Users", StatusCode::PAYLOAD_TOO_LARGE, too_large()));
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.headers()[header::CONNECTION], "close");
        let body = axum::body::to_bytes(r.into_body(), BODY_LIMIT).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((body["status"].as_str(), body["scimType"].as_str()), (Some("413"), Some("tooMany")));
        let r = error_at("/api/rest/v1/user", StatusCode::PAYLOAD_TOO_LARGE, too_large());
        let body = axum::body::to_bytes(r.into_body(), BODY_LIMIT).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["statusCode"], 413, "{body}");
    }
}
