//! Request extractors that answer bad input in the calling dialect's error shape.

use crate::dialect::{ApiError, Dialect};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use portti_core::Error;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A JSON body, whatever the request's `Content-Type` says.
pub struct Json<T, D>(pub T, PhantomData<fn() -> D>);

impl<T, D> Json<T, D> {
    /// The parsed body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<S, T, D> FromRequest<S> for Json<T, D>
where
    S: Send + Sync,
    T: DeserializeOwned,
    D: Dialect,
{
    type Rejection = ApiError<D>;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge(BODY_LIMIT)
            } else {
                Error::bad(format!("cannot read the request body: {e}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::bad("a JSON body is required").into());
        }
        serde_json::from_slice(&bytes)
            .map(|v| Json(v, PhantomData))
            .map_err(|e| Error::bad(format!("invalid JSON body: {e}")).into())
    }
}

/// Query parameters, parsed into `T` (whose fields should be optional strings).
pub struct Query<T, D>(pub T, PhantomData<fn() -> D>);

impl<T, D> Query<T, D> {
    /// The parsed parameters.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<S, T, D> FromRequestParts<S> for Query<T, D>
where
    S: Send + Sync,
    T: DeserializeOwned,
    D: Dialect,
{
    type Rejection = ApiError<D>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0, PhantomData))
            .map_err(|e| Error::bad(format!("invalid query string: {}", e.body_text())).into())
    }
}

/// One path parameter, percent-decoded.
pub struct PathId<D>(pub String, PhantomData<fn() -> D>);

impl<S, D> FromRequestParts<S> for PathId<D>
where
    S: Send + Sync,
    D: Dialect,
{
    type Rejection = ApiError<D>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| PathId(p.0, PhantomData))
            .map_err(|e| Error::bad(format!("invalid path: {}", e.body_text())).into())
    }
}

/// Two path parameters, percent-decoded.
pub struct PathIds<D>(pub String, pub String, PhantomData<fn() -> D>);

impl<S, D> FromRequestParts<S> for PathIds<D>
where
    S: Send + Sync,
    D: Dialect,
{
    type Rejection = ApiError<D>;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|p| PathIds(p.0 .0, p.0 .1, PhantomData))
            .map_err(|e| Error::bad(format!("invalid path: {}", e.body_text())).into())
    }
}
