//! The SCIM error (RFC 7644 §3.12): a status, a `scimType` saying what kind of bad
//! request it was, and a detail; and how the directory's errors map onto it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portti_core::Error;
use serde_json::json;

/// The URN of the error message schema.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` keywords of RFC 7644 §3.12 table 9 that Portti answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter is malformed or names what cannot be filtered.
    InvalidFilter,
    /// Too many results or operations.
    TooMany,
    /// A unique attribute's value is taken (409).
    Uniqueness,
    /// An immutable or read-only attribute was to be changed.
    Mutability,
    /// The request body is not valid JSON or not a valid message.
    InvalidSyntax,
    /// A PATCH path is malformed or names no attribute.
    InvalidPath,
    /// A PATCH path's filter matched no value.
    NoTarget,
    /// A value has the wrong type or is not acceptable.
    InvalidValue,
}

impl ScimType {
    /// The keyword as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
        }
    }
}

/// An error answered in the SCIM error schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The kind of bad request, for 400s (and `uniqueness` for 409, `tooMany` for 413).
    pub scim_type: Option<ScimType>,
    /// What went wrong, for a human.
    pub detail: String,
}

impl ScimError {
    /// A 400 of the given kind.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError { status: StatusCode::BAD_REQUEST, scim_type: Some(scim_type), detail: detail.into() }
    }

    /// An error of any status, with the `scimType` the status alone implies (`tooMany` for 413).
    pub fn status(status: StatusCode, detail: impl Into<String>) -> Self {
        let scim_type = (status == StatusCode::PAYLOAD_TOO_LARGE).then_some(ScimType::TooMany);
        ScimError { status, scim_type, detail: detail.into() }
    }

    /// The error's JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t.as_str());
        }
        body
    }

    /// The directory's error, with the `scimType` its status implies and `bad` for 400s.
    pub fn from_directory(error: &Error, bad: ScimType) -> Self {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut e = ScimError::status(status, error.to_string());
        match status {
            StatusCode::BAD_REQUEST => e.scim_type = Some(bad),
            StatusCode::CONFLICT => e.scim_type = Some(ScimType::Uniqueness),
            _ => {}
        }
        e
    }
}

impl From<Error> for ScimError {
    /// A directory error; its 400s are taken as bad values.
    fn from(e: Error) -> Self {
        if e.status() >= 500 {
            tracing::error!(status = e.status(), error = %e, "request failed");
        }
        ScimError::from_directory(&e, ScimType::InvalidValue)
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(super::MEDIA_TYPE));
        crate::dialect::with_error_headers(resp, "Basic realm=\"portti\", Bearer realm=\"portti\"")
    }
}
