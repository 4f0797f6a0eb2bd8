//! `portti import` and `portti export`: a namespace's users as NDJSON, one whole user a line.

use crate::progress::Progress;
use portti_service::{BatchReport, Directory, ImportReader, ReadBatch};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokio::sync::mpsc;

/// Users read per export page.
const EXPORT_PAGE: u32 = 1000;

/// The byte order mark some editors put at the start of a UTF-8 file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Batches read ahead of the one being written.
const READ_AHEAD: usize = 2;

/// Import `file` into namespace `ns`, `batch` lines per transaction; bad lines are reported
/// on stderr by number and passed over, or stop the import when `strict`.
pub async fn import(
    dir: &Directory,
    file: &Path,
    ns: &str,
    strict: bool,
    batch: usize,
) -> Result<(), String> {
    let started = Instant::now();
    let mut import = dir.start_import(ns, strict).await.map_err(|e| e.to_string())?;
    let mut progress = Progress::new();
    let total = if progress.is_drawn() { count_lines(file)? } else { 0 };
    let input = File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let (send, mut batches) = mpsc::channel(READ_AHEAD);
    let reader = import.reader();
    let reading = std::thread::Builder::new()
        .name("portti-reader".into())
        .spawn(move || read_batches(BufReader::new(input), reader, batch.max(1), send))
        .map_err(|e| format!("cannot start reading: {e}"))?;
    let mut tally = Tally::default();
    let outcome: Result<(), String> = loop {
        let (lines_done, read) = match batches.recv().await {
            None => break Ok(()),
            Some(Err(e)) => break Err(e),
            Some(Ok(read)) => read,
        };
        let report = match dir.import_batch(&mut import, read).await {
            Ok(report) => report,
            Err(e) => break Err(format!("{e} (the batch in progress was not written)")),
        };
        for f in &report.failures {
            progress.note(&format!("line {}: {}", f.line, f.reason));
        }
        tally.add(&report);
        progress.show("import", lines_done, total.max(lines_done));
        if strict && tally.failed > 0 {
            break Ok(());
        }
    };
    drop(batches);
    let _ = reading.join();
    let finished = match (&outcome, tally.imported) {
        (Ok(()), 1..) => dir.finish_import(import).await.map_err(|e| e.to_string()),
        _ => Ok(()),
    };
    progress.note(&tally.summary(started));
    outcome.and(finished)?;
    match (strict, tally.first_failure) {
        (true, Some(line)) => Err(format!("stopped at line {line} (--strict)")),
        _ => Ok(()),
    }
}

/// Lines read, as (lines read so far, the batch) or why reading stopped.
type ReadOutcome = Result<(u64, ReadBatch), String>;

/// Read `batch` lines at a time, check them, and send them on; stops when the receiver goes.
fn read_batches(
    mut input: impl BufRead,
    reader: ImportReader,
    batch: usize,
    send: mpsc::Sender<ReadOutcome>,
) {
    let mut number = 0u64;
    loop {
        let mut lines = Vec::with_capacity(batch);
        let mut bad = Vec::new();
        let mut buf = Vec::new();
        while lines.len() + bad.len() < batch {
            buf.clear();
            match input.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => number += 1,
                Err(e) => {
                    let _ = send.blocking_send(Err(format!("cannot read line {}: {e}", number + 1)));
                    return;
                }
            }
            if number == 1 && buf.starts_with(BOM) {
                buf.drain(..BOM.len());
            }
            match String::from_utf8(std::mem::take(&mut buf)) {
                Ok(text) => lines.push((number, text)),
                Err(_) => bad.push(number),
            }
        }
        if lines.is_empty() && bad.is_empty() {
            return;
        }
        let mut read = reader.read(lines);
        for line in bad {
            read.refuse(line, "not UTF-8 text");
        }
        if send.blocking_send(Ok((number, read))).is_err() {
            return;
        }
    }
}

/// Lines in a file (for the progress bar).
fn count_lines(file: &Path) -> Result<u64, String> {
    let mut input = File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
}

/// What the import came to so far.
#[derive(Default)]
struct Tally {
    imported: u64,
    skipped: u64,
    failed: u64,
    first_failure: Option<u64>,
}

impl Tally {
    fn add(&mut self, report: &BatchReport) {
        self.imported += report.imported;
        self.skipped += report.skipped;
        self.failed += report.failures.len() as u64;
        self.first_failure = self.first_failure.or(report.failures.first().map(|f| f.line));
    }

    fn summary(&self, started: Instant) -> String {
        let secs = started.elapsed().as_secs_f64();
        let rate = self.imported as f64 / secs.max(1e-9);
        format!(
            "portti: imported {}, skipped {} (already there), failed {} in {secs:.1} s ({rate:.0} users/s)",
            self.imported, self.skipped, self.failed
        )
    }
}

/// Write namespace `ns` as NDJSON to `output` (created readable by its owner only), or stdout.
pub async fn export(dir: &Directory, ns: &str, output: Option<&PathBuf>) -> Result<(), String> {
    let started = Instant::now();
    let mut export = dir.start_export(ns).await.map_err(|e| e.to_string())?;
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(BufWriter::new(private_file(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut progress = Progress::new();
    let total = export.total();
    let mut written = 0u64;
    loop {
        let lines = export.next_lines(EXPORT_PAGE).await.map_err(|e| e.to_string())?;
        if lines.is_empty() {
            break;
        }
        for line in &lines {
            writeln!(out, "{line}").map_err(|e| format!("cannot write: {e}"))?;
        }
        written += lines.len() as u64;
        progress.show("export", written, total.max(written));
    }
    out.flush().map_err(|e| format!("cannot write: {e}"))?;
    let secs = started.elapsed().as_secs_f64();
    progress.note(&format!("portti: exported {written} users of namespace {ns} in {secs:.1} s"));
    Ok(())
}

/// A file only its owner may read (also when it existed): an export holds password hashes.
fn private_file(path: &Path) -> Result<File, String> {
    let cannot = |e: std::io::Error| format!("cannot create {}: {e}", path.display());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path).map_err(cannot)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(cannot)?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path).map_err(cannot)
}
