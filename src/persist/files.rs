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
/// part ends (a torn last line is dropped).
pub struct LogContents {
    pub generation: u64,
    pub records: Vec<(usize, Record)>,
    pub valid_len: u64,
    pub torn_at: Option<usize>,
}

pub fn read_log(dir: &Path) -> Result<Option<LogContents>, String> {
    let path = log_path(dir);
    let Some(bytes) = read_all(&path)? else {
        return Ok(None);
    };
    let mut offset = 0usize;
    let mut generation = None;
    let mut records = Vec::new();
    let mut torn_at = None;
    while offset < bytes.len() {
        let Some(len) = bytes[offset..].iter().position(|b| *b == b'\n') else {
            // A torn last line: the crash came before its write finished, so nobody saw it acknowledged.
            torn_at = Some(offset);
            break;
        };
        let json = checked(&path, offset, &bytes[offset..offset + len])?;
        match generation {
            None => {
                let h: LogHeader = parse(&path, offset, json)?;
                check_format(&path, h.format)?;
                generation = Some(h.generation);
            }
            Some(_) => records.push((offset, parse::<Record>(&path, offset, json)?)),
        }
        offset += len + 1;
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
        valid_len: torn_at.unwrap_or(bytes.len()) as u64,
        torn_at,
    }))
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

/// The open change log: appended to by the committer only.
pub struct LogFile {
    pub file: File,
    pub path: PathBuf,
    /// Bytes known to be on disk (the end of the last fsynced record).
    pub durable: u64,
}

impl LogFile {
    pub fn open_append(path: &Path, durable: u64) -> Result<LogFile, String> {
        let mut file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        file.set_len(durable)
            .and_then(|_| file.seek(SeekFrom::Start(durable)))
            .map_err(|e| io_err(path, e))?;
        Ok(LogFile {
            file,
            path: path.to_path_buf(),
            durable,
        })
    }

    /// Appends and fsyncs; on any failure the file is cut back to what was durable.
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), String> {
        let result = self
            .file
            .write_all(bytes)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| io_err(&self.path, e))
            .and_then(|_| self.still_linked());
        match result {
            Ok(()) => {
                self.durable += bytes.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self
                    .file
                    .set_len(self.durable)
                    .and_then(|_| self.file.seek(SeekFrom::Start(self.durable)))
                    .and_then(|_| self.file.sync_data());
                Err(e)
            }
        }
    }

    /// A log whose directory entry is gone (the data dir was removed) takes writes that no restart would see.
    fn still_linked(&self) -> Result<(), String> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = self.file.metadata().map_err(|e| io_err(&self.path, e))?;
            if meta.nlink() == 0 {
                return Err(format!(
                    "{}: removed from the data dir",
                    self.path.display()
                ));
            }
        }
        Ok(())
    }
}
