//! The data dir's files and their integrity rules. Every file is lines of `CRC JSON\n`: the CRC-32 (8 hex
//! digits) of the JSON that follows on the same line, so any edit, even one that still parses, is caught.
//!
//! - `snapshot`: one line, `{"format":2,"generation":G,"seq":S,"state":…}` — the whole state after record S.
//! - `changes.log`: a header line `{"format":2,"generation":G}` naming the snapshot it follows, then one line per
//!   change record, `{"seq":N,"changes":…}`, with N = S+1, S+2, … without gaps.
//! - `secrets` (mode 0600): `{"format":2,"scp_secret_keys":{access key: secret key}}` — SCP secret keys, the
//!   one secret provmock must keep (signatures are verified with them). Nothing else secret is in any file.
//! - `lock`: the holder's pid, flock-ed while a provmock runs on the dir.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::changes::Changes;

/// The version of the files' format. Version 1 was a request log (`log.jsonl`, `snapshot.json`).
pub const FORMAT: u32 = 2;

pub fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join("snapshot")
}
pub fn log_path(dir: &Path) -> PathBuf {
    dir.join("changes.log")
}
pub fn secrets_path(dir: &Path) -> PathBuf {
    dir.join("secrets")
}

pub fn io_err(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

/// One line: CRC, space, JSON, newline.
pub fn line(json: &[u8]) -> Vec<u8> {
    let mut out = format!("{:08x} ", crc32fast::hash(json)).into_bytes();
    out.extend_from_slice(json);
    out.push(b'\n');
    out
}

/// Checks one line's CRC (without its newline) and returns its JSON.
fn checked<'a>(path: &Path, offset: usize, text: &'a [u8]) -> Result<&'a [u8], String> {
    let bad = |why: &str| format!("{}: {why} at byte offset {offset}", path.display());
    if text.len() < 10 || text[8] != b' ' {
        return Err(bad("not a `CRC JSON` line"));
    }
    let crc = std::str::from_utf8(&text[..8])
        .ok()
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or_else(|| bad("not a `CRC JSON` line"))?;
    let json = &text[9..];
    if crc32fast::hash(json) != crc {
        return Err(bad("checksum mismatch (the file was changed or damaged)"));
    }
    Ok(json)
}

fn parse<T: serde::de::DeserializeOwned>(
    path: &Path,
    offset: usize,
    json: &[u8],
) -> Result<T, String> {
    let de = &mut serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        format!(
            "{}: at byte offset {offset}, `{}`: {}",
            path.display(),
            e.path(),
            e.inner()
        )
    })
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFile<S> {
    pub format: u32,
    pub generation: u64,
    pub seq: u64,
    pub state: S,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogHeader {
    format: u32,
    generation: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub seq: u64,
    pub changes: Changes,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    pub format: u32,
    pub scp_secret_keys: BTreeMap<String, String>,
}

fn check_format(path: &Path, format: u32) -> Result<(), String> {
    if format != FORMAT {
        return Err(format!(
            "{}: format {format}, this provmock reads format {FORMAT}",
            path.display()
        ));
    }
    Ok(())
}

fn read_all(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => f.read_to_end(&mut bytes).map_err(|e| io_err(path, e))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, e)),
    };
    Ok(Some(bytes))
}

/// Reads a one-line file (snapshot, secrets): exactly one checked line, nothing after it.
fn read_one<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    let Some(bytes) = read_all(path)? else {
        return Ok(None);
    };
    let Some(end) = bytes.iter().position(|b| *b == b'\n') else {
        return Err(format!(
            "{}: truncated (no end of line) at byte offset {}",
            path.display(),
            bytes.len()
        ));
    };
    if end + 1 != bytes.len() {
        return Err(format!(
            "{}: unexpected bytes after the end at byte offset {}",
            path.display(),
            end + 1
        ));
    }
    let json = checked(path, 0, &bytes[..end])?;
    parse(path, 0, json).map(Some)
}

pub fn read_snapshot<S: serde::de::DeserializeOwned>(
    dir: &Path,
) -> Result<Option<SnapshotFile<S>>, String> {
    let path = snapshot_path(dir);
    let snap: Option<SnapshotFile<S>> = read_one(&path)?;
    if let Some(s) = &snap {
        check_format(&path, s.format)?;
    }
    Ok(snap)
}

pub fn read_secrets(dir: &Path) -> Result<Secrets, String> {
    let path = secrets_path(dir);
    let s: Option<Secrets> = read_one(&path)?;
    match s {
        Some(s) => {
            check_format(&path, s.format)?;
            Ok(s)
        }
        None => Ok(Secrets::default()),
    }
}

/// The change log as read: the generation it follows, its records with their byte offsets, and where the valid
/// part ends (a torn last write is dropped).
pub struct LogContents {
    pub generation: u64,
    pub records: Vec<(usize, Record)>,
    pub valid_len: u64,
    pub torn_at: Option<usize>,
}

/// The unit in which a crash can leave a write half on disk.
const PAGE: u64 = 4096;
/// The most bytes one unsynced write can span (a batch of records; larger records are rare and alone).
const TORN_WINDOW: usize = 1 << 20;

pub fn read_log(dir: &Path) -> Result<Option<LogContents>, String> {
    let path = log_path(dir);
    let Some(bytes) = read_all(&path)? else {
        return Ok(None);
    };
    let mut offset = 0usize;
    let mut generation = None;
    let mut records = Vec::new();
    let mut torn_at = None;
    // Records end at the end of the file or at a zero byte (the file is extended with zeros ahead of its
    // records; no record line holds one).
    while offset < bytes.len() && bytes[offset] != 0 {
        let end = bytes[offset..]
            .iter()
            .position(|b| *b == b'\n' || *b == 0)
            .map(|n| offset + n);
        let Some(end) = end.filter(|e| bytes[*e] == b'\n') else {
            // A torn last line: the crash came before its write finished, so nobody saw it acknowledged.
            torn_at = Some(offset);
            break;
        };
        let json = checked(&path, offset, &bytes[offset..end])?;
        match generation {
            None => {
                let h: LogHeader = parse(&path, offset, json)?;
                check_format(&path, h.format)?;
                generation = Some(h.generation);
            }
            Some(_) => records.push((offset, parse::<Record>(&path, offset, json)?)),
        }
        offset = end + 1;
    }
    if unsynced_tail(&path, &bytes, offset)? {
        torn_at.get_or_insert(offset);
    }
    let Some(generation) = generation else {
        if bytes.is_empty() || torn_at == Some(0) {
            return Err(format!(
                "{}: no header line at byte offset 0 (the log is empty or torn)",
                path.display()
            ));
        }
        return Err(format!("{}: no header at byte offset 0", path.display()));
    };
    Ok(Some(LogContents {
        generation,
        records,
        valid_len: offset as u64,
        torn_at,
    }))
}

/// Checks what follows the last whole record at `end`: it must be what a write cut short by a crash leaves — a
/// piece of a line, zero bytes, and (the disk may write a file's pages in any order) pieces starting at page
/// boundaries, all within [`TORN_WINDOW`] of `end`. Says whether anything but zeros is there (to be dropped);
/// anything else is damage, named by its offset.
fn unsynced_tail(path: &Path, bytes: &[u8], end: usize) -> Result<bool, String> {
    let fragment_end = |from: usize| {
        bytes[from..]
            .iter()
            .position(|b| *b == 0)
            .map_or(bytes.len(), |n| from + n)
    };
    let mut torn = false;
    let mut at = end;
    if at < bytes.len() && bytes[at] != 0 {
        torn = true;
        at = fragment_end(at);
    }
    loop {
        match bytes[at..].iter().position(|b| *b != 0) {
            None => return Ok(torn),
            Some(n) => at += n,
        }
        if !(at as u64).is_multiple_of(PAGE) || at - end >= TORN_WINDOW {
            return Err(format!(
                "{}: unexpected bytes after the last record at byte offset {at}",
                path.display()
            ));
        }
        torn = true;
        at = fragment_end(at);
    }
}

/// Writes `bytes` to `path` atomically: a temporary file (mode `mode`), fsync, rename, fsync of the directory.
pub fn write_atomic(dir: &Path, path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        let _ = mode;
        let mut f = opts.open(&tmp).map_err(|e| io_err(&tmp, e))?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err(dir, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The snapshot line around a state already in JSON (the same bytes `SnapshotFile` would give).
pub fn snapshot_line(generation: u64, seq: u64, state: &[u8]) -> Vec<u8> {
    let mut json = format!(r#"{{"format":{FORMAT},"generation":{generation},"seq":{seq},"state":"#)
        .into_bytes();
    json.extend_from_slice(state);
    json.push(b'}');
    line(&json)
}

pub fn log_header(generation: u64) -> Vec<u8> {
    let json = serde_json::to_vec(&LogHeader {
        format: FORMAT,
        generation,
    })
    .unwrap_or_default();
    line(&json)
}

pub fn record_line(seq: u64, changes: &Changes) -> Result<Vec<u8>, String> {
    #[derive(Serialize)]
    struct R<'a> {
        seq: u64,
        changes: &'a Changes,
    }
    let json = serde_json::to_vec(&R { seq, changes }).map_err(|e| e.to_string())?;
    Ok(line(&json))
}

pub fn secrets_bytes(keys: BTreeMap<String, String>) -> Vec<u8> {
    let json = serde_json::to_vec(&Secrets {
        format: FORMAT,
        scp_secret_keys: keys,
    })
    .unwrap_or_default();
    line(&json)
}

/// How far ahead of its records the log is extended with zero bytes. Overwriting bytes a file already has is a pure
/// data write, so the fsync after each batch needs no journal commit for a new file size — about a third cheaper
/// per batch on ext4 (see bench/README.md). Readers take zero bytes after the last record as the log's end.
const PREALLOC: u64 = 8 << 20;

/// The open change log: written by the committer only.
pub struct LogFile {
    pub file: File,
    pub path: PathBuf,
    /// Bytes known to be on disk (the end of the last fsynced record).
    pub durable: u64,
    /// The file's length: records up to `durable`, zero bytes after it.
    allocated: u64,
    /// Cleared when extending the file failed (a full disk): records are appended as they come until the next
    /// generation, so the space left still takes records.
    prealloc: bool,
}

impl LogFile {
    /// Opens the log to write after its first `durable` bytes; anything after them (a torn record, preallocated
    /// zeros) is cut off.
    pub fn open_append(path: &Path, durable: u64) -> Result<LogFile, String> {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        file.set_len(durable).map_err(|e| io_err(path, e))?;
        Ok(LogFile {
            file,
            path: path.to_path_buf(),
            durable,
            allocated: durable,
            prealloc: true,
        })
    }

    /// Writes `bytes` after the durable part and fsyncs; on any failure the file is cut back to what was durable.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.reserve(bytes.len() as u64);
        let result = self
            .write_at(self.durable, bytes)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| io_err(&self.path, e))
            .and_then(|_| self.still_linked());
        match result {
            Ok(()) => {
                self.durable += bytes.len() as u64;
                self.allocated = self.allocated.max(self.durable);
                Ok(())
            }
            Err(e) => {
                self.trim();
                Err(e)
            }
        }
    }

    /// Cuts the file back to its durable part (preallocated zeros included): after a failed write, and at a clean
    /// shutdown, so a stopped server leaves only records behind.
    pub fn trim(&mut self) {
        let _ = self
            .file
            .set_len(self.durable)
            .and_then(|_| self.file.sync_data());
        self.allocated = self.durable;
    }

    /// Makes sure `need` bytes after the durable part are allocated, extending the file by [`PREALLOC`] zero bytes
    /// (written, not a hole, and fsynced) when they are not.
    fn reserve(&mut self, need: u64) {
        if !self.prealloc || self.durable + need <= self.allocated {
            return;
        }
        let target = (self.durable + need + PREALLOC).next_multiple_of(PAGE);
        let zeros = vec![0u8; 1 << 20];
        let mut at = self.allocated;
        let result = (|| {
            while at < target {
                let n = (target - at).min(zeros.len() as u64);
                self.write_at(at, &zeros[..n as usize])?;
                at += n;
            }
            self.file.sync_data()
        })();
        match result {
            Ok(()) => self.allocated = target,
            Err(e) => {
                tracing::warn!(file = %self.path.display(), error = %e, "could not preallocate the log; appending");
                let _ = self.file.set_len(self.allocated);
                self.prealloc = false;
            }
        }
    }

    fn write_at(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(at))?;
        self.file.write_all(bytes)
    }

    /// A log whose directory entry is gone (the data dir was removed) takes writes that no restart would see.
    fn still_linked(&self) -> Result<(), String> {
        if link_count(&self.file).map_err(|e| io_err(&self.path, e))? == 0 {
            return Err(format!(
                "{}: removed from the data dir",
                self.path.display()
            ));
        }
        Ok(())
    }
}

/// A file's link count, asked for alone. A plain `fstat` also reads the file's change times, and on a kernel with
/// multigrain timestamps (ext4 on Linux 6.13 and later) a read time makes the next write stamp a fine-grained
/// mtime — so the inode is dirty after every batch and each `fdatasync` writes the inode table too: two device
/// writes per batch instead of one (measured: 4 010 block requests for 2 000 syncs with an `fstat` after each,
/// 2 103 without). `statx` with only `STATX_NLINK` requested reads no time.
#[cfg(target_os = "linux")]
fn link_count(file: &File) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: statx writes at most `size_of::<libc::statx>()` bytes into `out`, which is zeroed and ours; the
    // empty path with AT_EMPTY_PATH names the open file itself.
    let mut out: libc::statx = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        libc::statx(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_NLINK,
            &mut out,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(u64::from(out.stx_nlink))
}

#[cfg(all(unix, not(target_os = "linux")))]
fn link_count(file: &File) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(file.metadata()?.nlink())
}

#[cfg(not(unix))]
fn link_count(_: &File) -> std::io::Result<u64> {
    Ok(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with_log(name: &str, bytes: &[u8]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("provmock-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(log_path(&dir), bytes).expect("write");
        dir
    }

    /// A header and `n` empty records, as the committer writes them.
    fn records(n: u64) -> Vec<u8> {
        let mut out = log_header(3);
        for seq in 1..=n {
            out.extend(record_line(seq, &Changes::default()).expect("record"));
        }
        out
    }

    fn read(name: &str, bytes: &[u8]) -> Result<LogContents, String> {
        let dir = dir_with_log(name, bytes);
        let log = read_log(&dir).map(|l| l.expect("a log"));
        let _ = std::fs::remove_dir_all(&dir);
        log
    }

    fn padded(mut bytes: Vec<u8>, to: usize) -> Vec<u8> {
        bytes.resize(to, 0);
        bytes
    }

    #[test]
    fn preallocated_zeros_after_the_records_are_the_end_of_the_log() {
        let good = records(3);
        let log = read("zeros", &padded(good.clone(), 3 * PAGE as usize)).expect("reads");
        assert_eq!(log.records.len(), 3);
        assert_eq!(log.valid_len, good.len() as u64);
        assert_eq!(log.torn_at, None);
    }

    #[test]
    fn a_record_cut_short_before_the_zeros_is_dropped() {
        let good = records(3);
        let mut bytes = good.clone();
        let next = record_line(4, &Changes::default()).expect("record");
        bytes.extend_from_slice(&next[..next.len() / 2]);
        let log = read("torn", &padded(bytes, 2 * PAGE as usize)).expect("reads");
        assert_eq!(log.records.len(), 3);
        assert_eq!(log.valid_len, good.len() as u64);
        assert_eq!(log.torn_at, Some(good.len()));
    }

    #[test]
    fn pieces_of_an_unsynced_write_at_page_boundaries_are_dropped() {
        // A power loss may leave a later page of the last write on disk and an earlier one not.
        let good = records(2);
        let mut bytes = padded(good.clone(), 2 * PAGE as usize);
        bytes.extend_from_slice(b"ords\":{}}\n0123abcd {\"seq\":9");
        let log = read("pages", &padded(bytes, 4 * PAGE as usize)).expect("reads");
        assert_eq!(log.records.len(), 2);
        assert_eq!(log.valid_len, good.len() as u64);
        assert_eq!(log.torn_at, Some(good.len()));
    }

    #[test]
    fn a_whole_bad_line_before_the_zeros_is_damage() {
        let mut bytes = records(2);
        let at = bytes.len();
        bytes.extend_from_slice(b"garbage\n");
        let err = read("garbage", &padded(bytes, PAGE as usize))
            .err()
            .expect("refused");
        assert!(err.contains(&format!("byte offset {at}")), "{err}");
    }

    #[test]
    fn bytes_after_the_zeros_off_a_page_boundary_or_far_away_are_damage() {
        let good = records(2);
        let mut off_page = padded(good.clone(), good.len() + 10);
        off_page.extend_from_slice(b"x");
        let err = read("off-page", &off_page).err().expect("refused");
        assert!(
            err.contains(&format!("byte offset {}", good.len() + 10)),
            "{err}"
        );

        let far = good.len() + TORN_WINDOW;
        let far = far.next_multiple_of(PAGE as usize);
        let mut far_away = padded(good, far);
        far_away.extend_from_slice(b"a record the crash cannot have left");
        let err = read("far", &far_away).err().expect("refused");
        assert!(err.contains(&format!("byte offset {far}")), "{err}");
    }

    #[test]
    fn appends_fill_the_preallocated_space_and_trim_leaves_only_records() {
        let dir = dir_with_log("append", &log_header(1));
        let path = log_path(&dir);
        let mut log = LogFile::open_append(&path, log_header(1).len() as u64).expect("open");
        let line = record_line(1, &Changes::default()).expect("record");
        log.append(&line).expect("append");
        let on_disk = std::fs::metadata(&path).expect("meta").len();
        assert!(on_disk >= PREALLOC, "preallocated: {on_disk}");
        let read = read_log(&dir).expect("reads").expect("log");
        assert_eq!(read.records.len(), 1);
        log.trim();
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bytes.len() as u64, log.durable);
        assert!(bytes.ends_with(&line));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
