//! The `portti` binary: `portti serve` and the administration commands (import and export
//! among them), all on the same database flags and the same service layer.

mod cli;
mod config;
mod progress;
mod serve;
mod transfer;

use clap::Parser;
use std::process::ExitCode;

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
