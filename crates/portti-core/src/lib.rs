//! Portti's domain: the directory model, its validation rules, username policies,
//! the filter language and paging. Pure functions; no I/O.

pub mod attr;
pub mod error;
pub mod field;
pub mod filter;
pub mod id;
pub mod model;
pub mod page;
pub mod password;
pub mod permission;
pub mod role;
pub mod template;
pub mod time;
pub mod username;

pub use error::{Error, Result};
pub use field::Field;
