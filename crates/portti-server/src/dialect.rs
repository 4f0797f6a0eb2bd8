//! What differs between wire dialects outside their handlers: how errors look.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portti_core::Error;
use std::marker::PhantomData;

/// A wire dialect: renders the service's errors in its own error body.
pub trait Dialect: Send + Sync + 'static {
    /// The HTTP response for an error.
    fn error_response(error: &Error) -> Response;
}

/// An error on its way out through dialect `D`.
pub struct ApiError<D>(pub Error, PhantomData<fn() -> D>);

impl<D> From<Error> for ApiError<D> {
    fn from(e: Error) -> Self {
        ApiError(e, PhantomData)
    }
}

impl<D: Dialect> IntoResponse for ApiError<D> {
    fn into_response(self) -> Response {
        if self.0.status() >= 500 {
            tracing::error!(status = self.0.status(), error = %self.0, "request failed");
        } else {
            tracing::debug!(status = self.0.status(), error = %self.0, "request refused");
        }
        D::error_response(&self.0)
    }
}

/// A handler result in dialect `D`.
pub type ApiResult<T, D> = Result<T, ApiError<D>>;

/// The headers every error response carries: the authentication `challenge` on 401,
/// a retry hint on 503.
pub fn with_error_headers(mut resp: Response, challenge: &'static str) -> Response {
    match resp.status() {
        StatusCode::UNAUTHORIZED => {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        _ => {}
    }
    resp
}
