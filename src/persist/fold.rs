//! Folding the log into a new snapshot generation while writes go on.
//!
//! Once the log has outgrown the snapshot, the committer copies the world (under the world's lock: a clone, not a
//! serialisation) and hands the copy to a thread of its own, which serialises it and writes it to `snapshot.fold`
//! with an fsync — the slow part, 0.5 s for 200 000 customers here, during which the committer goes on appending
//! records to the old log. When the fold is written, the committer switches between two batches, under the files'
//! lock: a new log of the next generation holding the records written meanwhile (copied as they are), fsynced, then
//! `snapshot.fold` renamed to `snapshot`, the new log renamed to `changes.log`, the directory fsynced.
//!
//! A crash between the two renames leaves the new snapshot with the old log; its records after the snapshot's are
//! then replayed at start-up (and the log rewritten as the new generation). A fold made for a generation that was
//! replaced meanwhile (a reset, a state import, a rewrite after a failed write) is dropped, as is one that finds
//! the data dir broken.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::files::{self, LogFile, io_err};
use super::{Files, Snapshot, lock};

/// Where a fold writes its snapshot, and the next log, before they are renamed into place.
pub const SNAPSHOT_TMP: &str = "snapshot.fold";
pub const LOG_TMP: &str = "changes.fold";

/// A fold written to [`SNAPSHOT_TMP`], waiting for the switch.
#[derive(Debug)]
pub struct Written {
    /// The generation it follows: the switch happens only if that is still the current one.
    replaces: u64,
    /// The log's length when the world was copied: the records after it go to the new log.
    log_offset: u64,
    snapshot_len: u64,
}

#[derive(Debug, Default)]
pub struct Folding {
    running: Option<JoinHandle<()>>,
    done: Option<Result<Written, String>>,
}

pub type Shared = Arc<Mutex<Folding>>;

/// Starts a fold if the log has outgrown the snapshot and none is running. `snapshot` is called (and the world
/// copied) only then; `seq` is the last record on disk, which the copy includes.
pub fn maybe_start(
    folding: &Shared,
    dir: &Path,
    f: &Files,
    min: u64,
    seq: u64,
    snapshot: impl FnOnce() -> Snapshot,
) {
    if f.log.durable <= min.max(f.snapshot_len) {
        return;
    }
    let mut g = lock(folding);
    if g.running.is_some() || g.done.is_some() {
        return;
    }
    let copy = snapshot();
    let (replaces, log_offset) = (f.generation, f.log.durable);
    let (dir, shared) = (dir.to_path_buf(), folding.clone());
    let spawned = std::thread::Builder::new()
        .name("provmock-fold".into())
        .spawn(move || {
            let written = write(&dir, replaces + 1, seq, &copy).map(|snapshot_len| Written {
                replaces,
                log_offset,
                snapshot_len,
            });
            drop(copy);
            lock(&shared).done = Some(written);
        });
    match spawned {
        Ok(h) => g.running = Some(h),
        Err(e) => tracing::error!(error = %e, "could not start folding the log"),
    }
}

/// Serialises the copy and writes it, fsynced, to [`SNAPSHOT_TMP`]; returns its length.
fn write(dir: &Path, generation: u64, seq: u64, copy: &Snapshot) -> Result<u64, String> {
    let state = serde_json::to_vec(copy).map_err(|e| e.to_string())?;
    let line = files::snapshot_line(generation, seq, &state);
    drop(state);
    write_synced(&dir.join(SNAPSHOT_TMP), &line)?;
    Ok(line.len() as u64)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| io_err(path, e))
}

/// Between two batches: switches to a fold that has been written, if one has. Returns an error only when the data
/// dir was left needing a rewrite (the new snapshot is in place but the log could not follow).
pub fn finish(folding: &Shared, dir: &Path, f: &mut Files, broken: bool) -> Result<(), String> {
    let done = {
        let mut g = lock(folding);
        let Some(done) = g.done.take() else {
            return Ok(());
        };
        if let Some(h) = g.running.take() {
            let _ = h.join();
        }
        done
    };
    let snap_tmp = dir.join(SNAPSHOT_TMP);
    let w = match done {
        Ok(w) if w.replaces == f.generation && !broken => w,
        Ok(_) => {
            // Replaced meanwhile (or the dir needs a rewrite anyway): its world is not the one on disk.
            let _ = std::fs::remove_file(&snap_tmp);
            return Ok(());
        }
        Err(e) => {
            // Nothing acknowledged depends on it: the old generation is whole. The next fold tries again.
            tracing::error!(error = %e, "could not fold the log into a snapshot");
            let _ = std::fs::remove_file(&snap_tmp);
            return Ok(());
        }
    };
    let generation = w.replaces + 1;
    let log_tmp = dir.join(LOG_TMP);
    let mut next = files::log_header(generation);
    let prepared = read_tail(&f.log.path, w.log_offset, f.log.durable).and_then(|tail| {
        next.extend_from_slice(&tail);
        write_synced(&log_tmp, &next)
    });
    if let Err(e) = prepared {
        tracing::error!(error = %e, "could not fold the log into a snapshot");
        let _ = std::fs::remove_file(&log_tmp);
        let _ = std::fs::remove_file(&snap_tmp);
        return Ok(());
    }
    let snap_path = files::snapshot_path(dir);
    if let Err(e) = std::fs::rename(&snap_tmp, &snap_path) {
        let _ = std::fs::remove_file(&log_tmp);
        let _ = std::fs::remove_file(&snap_tmp);
        tracing::error!(error = %io_err(&snap_path, e), "could not fold the log into a snapshot");
        return Ok(());
    }
    // From here the new snapshot is in place: the old log still follows it (start-up replays its newer records),
    // but a failure leaves the dir to be rewritten before the next write.
    let log_path = files::log_path(dir);
    std::fs::rename(&log_tmp, &log_path).map_err(|e| io_err(&log_path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_err(dir, e))?;
    f.log = LogFile::open_append(&log_path, next.len() as u64)?;
    f.generation = generation;
    f.snapshot_len = w.snapshot_len;
    tracing::info!(
        generation,
        bytes = w.snapshot_len,
        "data dir: the log folded into a new snapshot"
    );
    Ok(())
}

/// At a clean stop: waits for a running fold and switches to it.
pub fn wait(folding: &Shared, dir: &Path, f: &mut Files, broken: bool) -> Result<(), String> {
    let running = lock(folding).running.take();
    if let Some(h) = running {
        let _ = h.join();
    }
    finish(folding, dir, f, broken)
}

/// The log's bytes from `from` to `to` (the records written since the world was copied).
fn read_tail(path: &PathBuf, from: u64, to: u64) -> Result<Vec<u8>, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut buf = vec![0u8; to.saturating_sub(from) as usize];
    File::open(path)
        .and_then(|mut file| {
            file.seek(SeekFrom::Start(from))?;
            file.read_exact(&mut buf)
        })
        .map_err(|e| io_err(path, e))?;
    Ok(buf)
}

/// Removes what a fold that did not finish left behind (at start-up, with the dir's lock held).
pub fn clean(dir: &Path) {
    for name in [SNAPSHOT_TMP, LOG_TMP] {
        let _ = std::fs::remove_file(dir.join(name));
    }
}
