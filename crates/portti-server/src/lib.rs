//! Portti's HTTP surface: the wire dialects, operator endpoints and API documentation.

mod accounts;
mod app;
mod auth;
mod dialect;
mod extract;
mod oidc;
pub mod ops;
mod public;
mod scim;
mod v1;

pub use app::{router, serve, AppState};
