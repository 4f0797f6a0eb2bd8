//! Integration tests: the real `portti` binary on an ephemeral port with a temporary store.

mod accounts;
mod durability;
mod errors;
mod harness;
mod isolation;
mod messaging;
mod operator;
mod outbox;
mod postgres;
mod resources;
mod tokens;
mod transfer;
