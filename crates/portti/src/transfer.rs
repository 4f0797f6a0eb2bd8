//! `portti import` and `portti export`: a namespace's users as NDJSON, one whole user a line.

use crate::progress::Progress;
use portti_service::{BatchReport, Directory, ImportReader, ReadBatch};
use std::collections::HashSet;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};

/// Users read per export page.
const EXPORT_PAGE: u32 = 1000;

/// The byte order mark some editors put at the start of a UTF-8 file.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Batches read ahead of the one being written.
const READ_AHEAD: usize = 2;

/// Import `file` into namespace `ns`, `batch` lines per transaction; bad lines are reported
/// on stderr by number and passed over, or stop the import when `strict`. Batches are
/// written as many at once as the store takes (see [`Import::writers`]), and reported in
/// file order; a batch that repeats an id or a username of the one before is written after
/// it, so that the line first in the file is the one imported.
pub async fn import(
    dir: Arc<Directory>,
    file: &Path,
    ns: &str,
    strict: bool,
    batch: usize,
) -> Result<(), String> {
    let started = Instant::now();
    let import = Arc::new(dir.start_import(ns, strict).await.map_err(|e| e.to_string())?);
    let writers = import.writers(&dir);
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
    // Batches being written: lines read up to each, what it claims, its outcome to come.
    let mut writing: VecDeque<(u64, HashSet<String>, Written)> = VecDeque::new();
    let mut read_all = false;
    let mut next: Option<(u64, ReadBatch)> = None;
    let mut outcome: Result<(), String> = Ok(());
    while outcome.is_ok() {
        if let Some((lines_done, read)) = next.take() {
            let claims = read.claims();
            let apart = writing.iter().all(|(_, claimed, _)| claimed.is_disjoint(&claims));
            if writing.is_empty() || (writing.len() < writers && apart) {
                let (dir, import) = (dir.clone(), import.clone());
                let written = tokio::spawn(async move { dir.import_batch(&import, read).await });
                writing.push_back((lines_done, claims, written));
            } else {
                next = Some((lines_done, read));
            }
        }
        if next.is_some() || (read_all && !writing.is_empty()) || writing.len() >= writers {
            let (lines_done, _, written) = writing.pop_front().expect("a batch being written");
            outcome = tally.add(written.await, &mut progress);
            progress.show("import", lines_done, total.max(lines_done));
            if strict && tally.failed > 0 {
                break;
            }
        } else if read_all {
            break;
        } else {
            match batches.recv().await {
                None => read_all = true,
                Some(Err(e)) => outcome = Err(e),
                Some(Ok(read)) => next = Some(read),
            }
        }
    }
    // Batches already being written when another failed still count.
    for (_, _, written) in writing {
        let _ = tally.add(written.await, &mut progress);
    }
    drop(batches);
    let _ = reading.join();
    let finished = match (&outcome, tally.imported) {
        (Ok(()), 1..) => dir.finish_import().await.map_err(|e| e.to_string()),
        _ => Ok(()),
    };
    progress.note(&tally.summary(started));
    outcome.and(finished)?;
    match (strict, tally.first_failure) {
        (true, Some(line)) => Err(format!("stopped at line {line} (--strict)")),
        _ => Ok(()),
    }
}

/// A batch's outcome, once written.
type Written = JoinHandle<portti_core::Result<BatchReport>>;

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
    /// Count a batch's outcome, noting its bad lines; `Err` if it could not be written.
    fn add(
        &mut self,
        written: Result<portti_core::Result<BatchReport>, JoinError>,
        progress: &mut Progress,
    ) -> Result<(), String> {
        let report = match written {
            Ok(Ok(report)) => report,
            Ok(Err(e)) => return Err(format!("{e} (the batch in progress was not written)")),
            Err(e) => return Err(format!("writing a batch failed: {e}")),
        };
        for f in &report.failures {
            progress.note(&format!("line {}: {}", f.line, f.reason));
        }
        self.count(&report);
        Ok(())
    }

    fn count(&mut self, report: &BatchReport) {
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
