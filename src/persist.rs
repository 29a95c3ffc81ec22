//! Durable state (`--data-dir`): a snapshot plus an append-only log of the requests that changed the world.
//!
//! Why a request log and not a store of records: every change to the world happens inside a service function
//! that reads only the request, "now" and the id sequence. Both are deterministic here — "now" is pinned per request
//! (see `clock::pinned`) and ids come from one seeded sequence — so replaying the logged requests in their original
//! order, each at its original instant, rebuilds exactly the world the clients saw, without a second code path that
//! could drift from the real one. The requests that may change the world run one at a time (`gate`), so the log's
//! order is the order they ran in; each is written and fsynced *before* its response leaves, so a `kill -9` loses
//! nothing a client saw succeed. Operations finished by the background completer are logged as `complete_due`
//! records at their instant.
//!
//! Files: `snapshot.json` (the state document, the id sequence's seed and position, the clock, the operation
//! policies) and `log.jsonl` (one record per line). After `COMPACT_EVERY` records the snapshot is rewritten
//! (write, fsync, rename) and the log truncated. A torn last line (a crash mid-write: never acknowledged) is dropped
//! with a warning; any other damage stops start-up with the file and byte offset.
//!
//! No secret is written in clear: bearer tokens are logged as their SHA-256 (accepted only while replaying), SCP
//! signatures are not logged (replay trusts the access key), and the snapshot holds what `/_mock/state` holds.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::app::App;
use crate::clock::{ClockMode, pinned};
use crate::error::ApiError;
use crate::family::Family;
use crate::ops::Policy;
use crate::server::Surface;
use crate::world::Document;
use crate::world::google::sha256_hex;
use crate::world::ids::Ids;
use axum::extract::Request;
use axum::response::Response;
use base64::{Engine, engine::general_purpose::STANDARD};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Records after which the snapshot is rewritten and the log truncated.
const COMPACT_EVERY: u64 = 20_000;
/// The prefix a logged bearer token carries instead of the token (its SHA-256 follows).
const HASHED: &str = "provmock-replay-sha256:";

tokio::task_local! {
    static REPLAYING: ();
}

/// True while provmock replays its log at start-up.
pub fn replaying() -> bool {
    REPLAYING.try_with(|_| ()).is_ok()
}

/// The digest a credential lookup compares: the token's SHA-256, or — only while replaying — the digest a logged
/// request carries instead of the token.
pub fn token_digest(token: &str) -> String {
    match token.strip_prefix(HASHED) {
        Some(digest) if replaying() => digest.to_string(),
        _ => sha256_hex(token),
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    document: Document,
    seed: u64,
    /// The id sequence's position (a u128, as a string).
    position: String,
    clock: ClockMode,
    default_policy: Policy,
    #[serde(default)]
    policies: BTreeMap<String, Policy>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Record {
    Http {
        now: DateTime<Utc>,
        method: String,
        uri: String,
        headers: Vec<(String, String)>,
        body: String,
    },
    CompleteDue {
        now: DateTime<Utc>,
    },
}

pub struct Persist {
    dir: PathBuf,
    /// The data dir's `lock` file, exclusively locked (flock) while this server runs: one process per data dir.
    lock: Mutex<Option<File>>,
    log: Mutex<File>,
    /// Serialises the requests that may change the world, so the log's order is their order.
    pub gate: tokio::sync::Mutex<()>,
    since_snapshot: AtomicU64,
}

impl std::fmt::Debug for Persist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persist").field("dir", &self.dir).finish()
    }
}

fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join("snapshot.json")
}
fn log_path(dir: &Path) -> PathBuf {
    dir.join("log.jsonl")
}

fn io_err(path: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", path.display())
}

/// Opens (or creates) the data dir, restores the snapshot into `app`, replays the log through `router`, and
/// returns the handle that logs from now on.
pub async fn open(app: &App, surface: &Surface) -> Result<Persist, String> {
    let dir = app.config.data_dir.clone().ok_or("no --data-dir")?;
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let lock = lock_dir(&dir)?;
    let snap_path = snapshot_path(&dir);
    if snap_path.exists() {
        restore_snapshot(app, &snap_path)?;
    } else {
        write_snapshot(app, &dir)?;
    }
    let log_file = log_path(&dir);
    let replayed = replay(app, surface, &log_file).await?;
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_file)
        .map_err(|e| io_err(&log_file, e))?;
    let p = Persist {
        dir,
        lock: Mutex::new(Some(lock)),
        log: Mutex::new(log),
        gate: tokio::sync::Mutex::new(()),
        since_snapshot: AtomicU64::new(replayed),
    };
    if replayed > 0 {
        p.compact(app)?;
    }
    tracing::info!(dir = %p.dir.display(), replayed, "data dir opened");
    Ok(p)
}

/// Takes the data dir's exclusive lock, or says which process holds it. The lock file holds the holder's pid; the
/// lock itself is the kernel's (flock), so it goes away with the process, however it ends.
fn lock_dir(dir: &Path) -> Result<File, String> {
    let path = dir.join("lock");
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let mut holder = String::new();
            let _ = f.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another provmock".to_string()
            } else {
                format!("another provmock (pid {holder})")
            };
            return Err(format!(
                "{}: the data dir is in use by {who}; one process per data dir",
                dir.display()
            ));
        }
    }
    f.set_len(0)
        .and_then(|_| f.seek(SeekFrom::Start(0)))
        .and_then(|_| f.write_all(std::process::id().to_string().as_bytes()))
        .and_then(|_| f.sync_all())
        .map_err(|e| io_err(&path, e))?;
    Ok(f)
}

fn restore_snapshot(app: &App, path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    let snap: Snapshot = serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        format!(
            "{}: corrupt snapshot at line {} column {} (`{}`): {inner}",
            path.display(),
            inner.line(),
            inner.column(),
            e.path()
        )
    })?;
    let position: u128 = snap.position.parse().map_err(|_| {
        format!(
            "{}: corrupt snapshot: position `{}`",
            path.display(),
            snap.position
        )
    })?;
    app.replace_state(&snap.document)
        .map_err(|e| format!("{}: at `{}`: {}", path.display(), e.path, e.problem))?;
    let mut st = app.lock();
    st.ids = Ids::resume(snap.seed, position);
    st.ops.default_policy = snap.default_policy;
    st.ops.policies = snap.policies;
    drop(st);
    app.clock.restore(snap.clock);
    Ok(())
}

fn snapshot_of(app: &App) -> Snapshot {
    let st = app.lock();
    let mut document = st.world.to_document(None);
    document.operations = st.ops.ops.values().cloned().collect();
    Snapshot {
        document,
        seed: st.ids.seed(),
        position: st.ids.position().to_string(),
        clock: app.clock.mode(),
        default_policy: st.ops.default_policy,
        policies: st.ops.policies.clone(),
    }
}

fn write_snapshot(app: &App, dir: &Path) -> Result<(), String> {
    let snap = snapshot_of(app);
    let tmp = dir.join("snapshot.json.tmp");
    let bytes = serde_json::to_vec(&snap).map_err(|e| e.to_string())?;
    let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    f.write_all(&bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| io_err(&tmp, e))?;
    let dest = snapshot_path(dir);
    std::fs::rename(&tmp, &dest).map_err(|e| io_err(&dest, e))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

async fn replay(app: &App, surface: &Surface, path: &Path) -> Result<u64, String> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(|e| io_err(path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err(path, e)),
    }
    let mut offset = 0usize;
    let mut count = 0u64;
    while offset < bytes.len() {
        let Some(len) = bytes[offset..].iter().position(|b| *b == b'\n') else {
            // A torn last record: the crash came before its fsync finished, so no client saw it succeed.
            tracing::warn!(file = %path.display(), offset, "dropping a torn last record");
            let f = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| io_err(path, e))?;
            f.set_len(offset as u64)
                .and_then(|_| f.sync_all())
                .map_err(|e| io_err(path, e))?;
            break;
        };
        let line = &bytes[offset..offset + len];
        let record: Record = serde_json::from_slice(line).map_err(|e| {
            format!(
                "{}: corrupt record at byte offset {offset}: {e}",
                path.display()
            )
        })?;
        apply(app, surface, record)
            .await
            .map_err(|e| format!("{}: record at byte offset {offset}: {e}", path.display()))?;
        offset += len + 1;
        count += 1;
    }
    Ok(count)
}

async fn apply(app: &App, surface: &Surface, record: Record) -> Result<(), String> {
    match record {
        Record::CompleteDue { now } => {
            crate::ops::completer::run_due_at(app, now);
            Ok(())
        }
        Record::Http {
            now,
            method,
            uri,
            headers,
            body,
        } => {
            let mut req = Request::builder().method(method.as_str()).uri(uri.as_str());
            for (k, v) in &headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let body = STANDARD
                .decode(body)
                .map_err(|e| format!("body is not base64: {e}"))?;
            let (parts, ()) = req
                .body(())
                .map_err(|e| format!("cannot rebuild {method} {uri}: {e}"))?
                .into_parts();
            // Replayed through the API itself, as the original was; the scheme only matters to SCP signatures,
            // which replay does not check (the log keeps no signature).
            let resp = REPLAYING
                .scope(
                    (),
                    pinned(now, surface.dispatch(parts, Bytes::from(body), "http")),
                )
                .await;
            if !succeeded(&resp) {
                // The original succeeded; a different answer now means the world diverged. Say so, keep going.
                tracing::warn!(%method, %uri, status = %resp.status(), "a logged request answered differently on replay");
            }
            Ok(())
        }
    }
}

fn succeeded(r: &Response) -> bool {
    let grpc_error = r
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "0");
    r.status().is_success() && !grpc_error
}

impl Persist {
    /// Gives up the data dir's lock (at shutdown, once nothing writes any more), so another server may open it.
    pub fn release(&self) {
        self.lock.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    fn append(&self, app: &App, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_vec(record).map_err(|e| e.to_string())?;
        line.push(b'\n');
        {
            let mut f = self.log.lock().unwrap_or_else(|e| e.into_inner());
            f.write_all(&line)
                .and_then(|_| f.sync_data())
                .map_err(|e| io_err(&log_path(&self.dir), e))?;
        }
        if self.since_snapshot.fetch_add(1, Ordering::SeqCst) + 1 >= COMPACT_EVERY {
            self.compact(app)?;
        }
        Ok(())
    }

    /// Rewrites the snapshot from the current world and empties the log. Callers hold the gate (or are alone).
    fn compact(&self, app: &App) -> Result<(), String> {
        write_snapshot(app, &self.dir)?;
        let f = self.log.lock().unwrap_or_else(|e| e.into_inner());
        f.set_len(0)
            .and_then(|_| f.sync_all())
            .map_err(|e| io_err(&log_path(&self.dir), e))?;
        let mut f = f;
        let _ = f.seek(SeekFrom::End(0));
        self.since_snapshot.store(0, Ordering::SeqCst);
        Ok(())
    }

    /// Logs that the completer finished operations at `now` (called with the gate held).
    pub fn complete_due(&self, app: &App, now: DateTime<Utc>) {
        if let Err(e) = self.append(app, &Record::CompleteDue { now }) {
            tracing::error!(error = %e, "could not persist finished operations");
        }
    }
}

/// Marks a response whose request never reached a handler (an injected fault): nothing to persist.
#[derive(Debug, Clone, Copy)]
pub struct NotApplied;

/// Whether a request may change the world (and so must be logged).
pub fn may_change(method: &http::Method, path: &str, grpc: bool) -> bool {
    if path.starts_with("/_mock/") {
        return *method != http::Method::GET
            && !path.starts_with("/_mock/faults")
            && !path.starts_with("/_mock/journal");
    }
    if grpc {
        let rpc = path.rsplit('/').next().unwrap_or("");
        let read_only = (rpc.starts_with("Get")
            || rpc.starts_with("List")
            || path.starts_with("/grpc.reflection."))
            && !path.contains("Operation");
        return !read_only;
    }
    // Reading an operation can finish it (`after_polls`), and Yandex cancels with GET.
    *method != http::Method::GET || path.contains("/operations")
}

fn loggable_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "content-length" | "connection" | "scp-signature" | "x-request-id"
            )
        })
        .filter_map(|(k, v)| {
            let v = v.to_str().ok()?;
            let v = match (k.as_str(), v.split_once(' ')) {
                ("authorization", Some((scheme, token))) => {
                    format!("{scheme} {HASHED}{}", sha256_hex(token.trim()))
                }
                _ => v.to_string(),
            };
            Some((k.as_str().to_string(), v))
        })
        .collect()
}

/// What a logged request's record needs from its head, taken before the request is handed on.
pub struct RecordHead {
    now: DateTime<Utc>,
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
}

impl RecordHead {
    pub fn of(parts: &http::request::Parts, now: DateTime<Utc>) -> RecordHead {
        RecordHead {
            now,
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: loggable_headers(&parts.headers),
        }
    }
}

impl Persist {
    /// Makes a request that changed the world durable before its response leaves (the caller holds the gate):
    /// a successful, applied request is appended and fsynced; if that fails the client gets UNAVAILABLE instead of
    /// a success that would not survive a restart.
    pub fn log(
        &self,
        app: &App,
        head: RecordHead,
        body: &[u8],
        resp: Response,
        // How to answer if the log cannot be written: the caller's family, protocol and request id.
        (family, grpc, request_id): (Family, bool, &str),
    ) -> Response {
        if !succeeded(&resp) || resp.extensions().get::<NotApplied>().is_some() {
            return resp;
        }
        let record = Record::Http {
            now: head.now,
            method: head.method,
            uri: head.uri,
            headers: head.headers,
            body: STANDARD.encode(body),
        };
        match self.append(app, &record) {
            Ok(()) => resp,
            Err(e) => {
                tracing::error!(error = %e, "could not persist a request");
                let err = ApiError::new(
                    crate::error::Code::Unavailable,
                    format!("provmock could not persist this change: {e}"),
                );
                err.respond(family, grpc, Some(request_id))
            }
        }
    }
}
