//! Who is calling: HTTP Basic with management client credentials, or a Bearer token
//! (a client's, an API token, or an end user's).

use crate::dialect::{ApiError, Dialect};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use portti_core::Error;
use portti_service::{Caller, Reading};
use std::marker::PhantomData;

/// The authenticated caller of a request in dialect `D`.
pub struct Auth<D>(pub Caller, PhantomData<fn() -> D>);

/// The authenticated caller with the [`Reading`] that authenticated it, for handlers that
/// only read: the request then reads in one transaction instead of two (or, on a store
/// that batches lookups, looks its rows up).
pub struct AuthReading<D>(pub Caller, pub Reading, PhantomData<fn() -> D>);

impl<D: Dialect> FromRequestParts<AppState> for AuthReading<D> {
    type Rejection = ApiError<D>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = authorization(parts)?;
        // Malformed credentials are refused before a transaction is opened for them.
        let (caller, reading) = match bearer_token(header) {
            Some(token) => {
                let mut reading = state.dir.reading().await?;
                (state.dir.authenticate_bearer_in(&mut reading, token).await?, reading)
            }
            None => {
                let (id, secret) = basic_credentials(header)?;
                let mut reading = state.dir.reading().await?;
                (state.dir.authenticate_client_in(&mut reading, &id, &secret).await?, reading)
            }
        };
        Ok(AuthReading(caller, reading, PhantomData))
    }
}

impl<D: Dialect> FromRequestParts<AppState> for Auth<D> {
    type Rejection = ApiError<D>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The reading ends here: on a store that batches lookups, a Basic caller's client
        // was looked up and no transaction was opened (see `Reading`).
        let caller = AuthReading::<D>::from_request_parts(parts, state).await?.0;
        Ok(Auth(caller, PhantomData))
    }
}

/// The request's `Authorization` header, or 401.
fn authorization(parts: &Parts) -> Result<&str, Error> {
    parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        unauthorized("authentication required: HTTP Basic client credentials or a Bearer token")
    })
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, value) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
}

/// The id and secret of an `Authorization: Basic …` header.
pub fn basic_credentials(header: &str) -> Result<(String, String), Error> {
    let (scheme, value) = header.trim().split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(unauthorized(
            "unsupported authorization scheme: use HTTP Basic with a client id and secret",
        ));
    }
    let decoded = STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
    let (id, secret) = decoded.split_once(':').ok_or_else(|| unauthorized("malformed Basic credentials"))?;
    Ok((id.to_string(), secret.to_string()))
}

fn unauthorized(msg: &str) -> Error {
    Error::Unauthorized(msg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_parsing() {
        let h = format!("Basic {}", STANDARD.encode("id:se:cret"));
        assert_eq!(basic_credentials(&h).unwrap(), ("id".into(), "se:cret".into()));
        assert!(basic_credentials("Bearer x").is_err());
        assert_eq!(bearer_token("Bearer a.b.c"), Some("a.b.c"));
        assert_eq!(bearer_token("bearer  a.b.c "), Some("a.b.c"));
        assert_eq!(bearer_token("Basic a"), None);
        assert!(basic_credentials("Basic !!!").is_err());
        assert!(basic_credentials(&format!("basic {}", STANDARD.encode("nocolon"))).is_err());
    }
}
