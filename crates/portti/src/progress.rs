//! A one-line progress bar on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};

/// Redraws one line of stderr; a no-op when stderr is a file or a pipe.
pub struct Progress {
    on: bool,
}

impl Progress {
    /// A bar, drawn when stderr is a terminal.
    pub fn new() -> Self {
        Progress { on: std::io::stderr().is_terminal() }
    }

    /// Whether the bar is drawn at all.
    pub fn is_drawn(&self) -> bool {
        self.on
    }

    /// Show `done` of `total` for `label`; the line ends when `done` reaches `total`.
    pub fn show(&mut self, label: &str, done: u64, total: u64) {
        const WIDTH: u64 = 30;
        if !self.on {
            return;
        }
        let filled = (done.min(total) * WIDTH).checked_div(total).unwrap_or(WIDTH) as usize;
        let bar = format!("{}{}", "#".repeat(filled), "-".repeat(WIDTH as usize - filled));
        let mut err = std::io::stderr();
        let _ = write!(err, "\r{label:<14} [{bar}] {done}/{total}");
        let _ = if done >= total { writeln!(err) } else { err.flush() };
    }

    /// Print a line of its own above the bar (the next [`Progress::show`] redraws the bar).
    pub fn note(&mut self, text: &str) {
        if self.on {
            eprint!("\r\x1b[K");
        }
        eprintln!("{text}");
    }
}
