//! Operator endpoints that need no authentication: health, metrics, API documentation.

pub mod apidoc;
pub mod metrics;
