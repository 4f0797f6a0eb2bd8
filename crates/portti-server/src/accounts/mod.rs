//! The Accounts API dialect (`/auth/v1/customer/services/accounts`), as the second seed's
//! provisioning scripts speak it: the accounts of the caller's service, paged by
//! `page`/`limit` with `hasMore`, errors as `{"status","error","message"}`.

mod handlers;
mod wire;

use crate::dialect::{ApiResult, Dialect};
use crate::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portti_core::Error;
use serde::Serialize;
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
    let body = ErrorBody { status: status.as_u16(), error, message };
    crate::dialect::with_error_headers((status, axum::Json(body)).into_response(), "Bearer realm=\"portti\"")
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
type AuthReading = crate::auth::AuthReading<Accounts>;
type Json<T> = crate::extract::Json<T, Accounts>;
type Query<T> = crate::extract::Query<T, Accounts>;
type PathId = crate::extract::PathId<Accounts>;

/// Every route of the dialect, documented.
pub fn routes() -> OpenApiRouter<AppState> {
    handlers::routes()
}
