//! Portti's HTTP surface: the wire dialects, operator endpoints and API documentation.

pub mod ops;
