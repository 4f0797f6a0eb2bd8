//! The `portti` binary: `portti serve` and the administration commands (import and export
//! among them), all on the same database flags and the same service layer.

mod cli;
mod config;
mod progress;
mod serve;
mod transfer;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than the C library's malloc: faster for many small, short-lived
/// allocations from several threads (requests, import batches); SQLite uses it too (see
/// `portti_store`'s SQLite store).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portti: {e}");
            ExitCode::FAILURE
        }
    }
}
