//! The errors every layer speaks; each dialect renders them in its own error shape.

use crate::permission::Permission;

/// A failed operation, classified by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The request is malformed or breaks a rule (400).
    #[error("{0}")]
    BadRequest(String),
    /// No or wrong credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller lacks a permission (403).
    #[error("Client does not have required permission {0}.")]
    MissingPermission(Permission),
    /// The caller may not do this for another reason (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource, or not one the caller may see (404).
    #[error("{0}")]
    NotFound(String),
    /// The change collides with existing data (409).
    #[error("{0}")]
    Conflict(String),
    /// The resource changed since the version the caller names (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// The caller asked too often; try again later (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// The request body is too large (413).
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The store cannot be reached right now (503).
    #[error("{0}")]
    Unavailable(String),
    /// A fault on our side (500); the message is safe to show.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The HTTP status that fits this error.
    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::MissingPermission(_) | Error::Forbidden(_) => 403,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::PreconditionFailed(_) => 412,
            Error::PayloadTooLarge(_) => 413,
            Error::TooManyRequests(_) => 429,
            Error::Unavailable(_) => 503,
            Error::Internal(_) => 500,
        }
    }

    /// Shorthand for a 400.
    pub fn bad(msg: impl Into<String>) -> Self {
        Error::BadRequest(msg.into())
    }

    /// Shorthand for a 404 naming what was not found.
    pub fn not_found(what: &str, id: &str) -> Self {
        Error::NotFound(format!("{what} {id} not found"))
    }
}

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
