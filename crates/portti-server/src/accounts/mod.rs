//! The Accounts API dialect (`/auth/v1/customer/services/accounts`), as the second seed's
//! provisioning scripts speak it: the accounts of the caller's service, paged by
//! `page`/`limit` with `hasMore`, errors as `{"status","error","message"}`.

mod handlers;
mod wire;

use crate::dialect::{ApiResult, Dialect};
use crate::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portti_core::Error;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

/// Base path of the dialect.
pub const BASE: &str = "/auth/v1/customer/services/accounts";

/// The Accounts API error shape: `{"status": 400, "error": "Bad Request", "message": ...}`.
pub struct Accounts;

impl Dialect for Accounts {
    fn error_response(error: &Error) -> Response {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error_body(status, error.to_string())
    }
}

/// An error response with this dialect's body.
pub fn error_body(status: StatusCode, message: String) -> Response {
    let error = status.canonical_reason().unwrap_or("Error");
    let mut resp =
        (status, axum::Json(ErrorBody { status: status.as_u16(), error, message })).into_response();
    match status {
        StatusCode::UNAUTHORIZED => {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"portti\""));
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        _ => {}
    }
    resp
}

/// The error body of the Accounts API.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The HTTP status.
    pub status: u16,
    /// The status's reason phrase, e.g. `Bad Request`.
    pub error: &'static str,
    /// What went wrong.
    pub message: String,
}

type AccountsResult<T> = ApiResult<T, Accounts>;
type Auth = crate::auth::Auth<Accounts>;
type Json<T> = crate::extract::Json<T, Accounts>;
type Query<T> = crate::extract::Query<T, Accounts>;
type PathId = crate::extract::PathId<Accounts>;

/// Every route of the dialect, documented, with the Bearer scheme its callers use.
pub fn routes() -> OpenApiRouter<AppState> {
    let mut router =
        handlers::routes().route(&format!("{BASE}/{{id}}/{{*rest}}"), axum::routing::any(unknown_route));
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .description(Some("A token from `POST /openid/token`, or a `portti client token`"))
        .build();
    let components = router.get_openapi_mut().components.get_or_insert_with(Default::default);
    components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    router
}

/// A method the endpoint does not have, in this dialect's shape.
async fn method_not_allowed(req: Request) -> Response {
    let msg = format!("method {} is not allowed on {}", req.method(), req.uri().path());
    error_body(StatusCode::METHOD_NOT_ALLOWED, msg)
}

/// A path below the dialect's base that names no endpoint.
async fn unknown_route(req: Request) -> Response {
    let msg = format!("no such endpoint: {} {}", req.method(), req.uri().path());
    error_body(StatusCode::NOT_FOUND, msg)
}
