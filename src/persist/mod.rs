//! Durable state (`--data-dir`): a snapshot plus a log of typed change records — what each change did to the
//! world, not the request that asked for it.
//!
//! How a change becomes durable: the requests that may change the world run one at a time through `gate` (reads
//! do not wait). The world's collections are [`Tracked`](crate::world::tracked::Tracked): when a request's service
//! function returns, [`Persist::seal`] takes the keys it touched, with their new values, plus the scalars that moved
//! (the id sequence's position, the clock, the policies) — that is the record — and keeps their old values as the
//! record's undo. The record is queued, the gate is released, and the request waits for the committer thread, which
//! appends every queued record in one write and one fsync (group commit) before any of their responses leave. If
//! the write fails (disk full, I/O error, the data dir removed), the committer cuts the log back to its last durable
//! byte, undoes the failed records and every one queued after them, newest first, and each of those requests
//! answers 503 UNAVAILABLE: the world is as it was, and the same request succeeds once the cause is gone (the next
//! write first rewrites the snapshot, so the data dir is whole again).
//!
//! Replay at start-up sets the recorded values; it runs no service code and no HTTP, so it cannot draw different
//! ids or judge auth differently. A replacement of whole parts of the world (reset, `PUT /_mock/state`) and a log
//! grown past the snapshot's size are written as a new snapshot generation instead of a record.
//!
//! Why our own log and not an embedded store (redb, fjall, SQLite): the world is an in-memory structure read under
//! one lock; a store would duplicate it and give nothing the three rules here do not — fsync before
//! acknowledging, CRC per line, generations for snapshots — in about 600 lines we can reason about whole.
//!
//! Files, their checks and what start-up refuses: see [`files`].

pub mod changes;
pub mod files;
mod fold;
pub mod host;

use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::clock::ClockMode;
use crate::world::Document;
use crate::world::ids::Ids;
use crate::world::ops::Policy;
use crate::world::state::State;

use self::changes::{Scalars, Undo};
use self::files::{LogFile, io_err};
use self::host::Host;

/// A record that changes more values than this is written as a snapshot instead.
const RECORD_MAX_VALUES: usize = 10_000;

/// The snapshot's state: the document plus what the document does not hold.
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

/// A queued write.
struct Item {
    /// Never reused (sequence numbers are, after an undo): what waiters wait for.
    uid: u64,
    kind: ItemKind,
    undo: Undo,
}

enum ItemKind {
    /// A change record and its sequence number.
    Record(u64, Box<changes::Changes>),
    /// A new snapshot generation (its state's JSON, and the last record it includes).
    Snapshot(Vec<u8>, u64),
}

struct Queue {
    items: VecDeque<Item>,
    /// The next record's sequence number.
    next_seq: u64,
    /// The last item's uid (queued or written).
    last_uid: u64,
    /// The last uid on disk.
    durable_uid: u64,
    /// Requests waiting for a uid to be on disk.
    waiters: BTreeMap<u64, Vec<oneshot::Sender<Result<(), String>>>>,
    /// The last sequence number known to be on disk.
    durable_seq: u64,
    /// Set after a failed write: the next write rewrites the data dir first.
    broken: Option<String>,
    stop: bool,
}

struct Files {
    log: LogFile,
    generation: u64,
    snapshot_len: u64,
    lock: Option<File>,
}

struct Shared {
    dir: PathBuf,
    queue: Mutex<Queue>,
    wake: Condvar,
    files: Mutex<Files>,
    /// The scalars as of the last sealed record.
    base: Mutex<Scalars>,
    /// A fold of the log into a new snapshot, being written beside the committer.
    folding: fold::Shared,
    /// The log is folded once it is larger than the snapshot and at least this big.
    fold_min: u64,
}

pub struct Persist {
    shared: Arc<Shared>,
    /// Held shared by every request from before its service runs until its change is sealed, and exclusively by
    /// the committer while it undoes a failed write: so no change is half made while the world is put back.
    pub turn: Arc<tokio::sync::RwLock<()>>,
    committer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Persist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persist")
            .field("dir", &self.shared.dir)
            .finish()
    }
}

/// What sealing a change gave: nothing to wait for, a write to wait for, or an error already.
pub enum Sealed {
    Nothing,
    Pending(oneshot::Receiver<Result<(), String>>),
    Failed(String),
}

impl Sealed {
    /// Waits until the change is on disk (or could not be written).
    pub async fn durable(self) -> Result<(), String> {
        match self {
            Sealed::Nothing => Ok(()),
            Sealed::Failed(e) => Err(e),
            Sealed::Pending(rx) => rx
                .await
                .unwrap_or_else(|_| Err("the data dir's writer stopped".into())),
        }
    }
}

/// Registers a wait for `uid` (queue locked); nothing to wait for when it is on disk already.
fn wait_for(q: &mut Queue, uid: u64) -> Sealed {
    if uid <= q.durable_uid {
        return Sealed::Nothing;
    }
    let (tx, rx) = oneshot::channel();
    q.waiters.entry(uid).or_default().push(tx);
    Sealed::Pending(rx)
}

/// Tells the waiters up to `uid` (queue locked) that their change is on disk.
fn durable_through(q: &mut Queue, uid: u64) {
    q.durable_uid = q.durable_uid.max(uid);
    let later = q.waiters.split_off(&(uid + 1));
    for tx in std::mem::replace(&mut q.waiters, later)
        .into_values()
        .flatten()
    {
        let _ = tx.send(Ok(()));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens (or creates) the data dir, restores its snapshot and replays its log into `app`, and starts the committer.
pub fn open(host: Arc<dyn Host>) -> Result<Persist, String> {
    let app: &dyn Host = &*host;
    let dir = app.config().data_dir.clone().ok_or("no --data-dir")?;
    std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
    let lock_file = lock_dir(&dir)?;
    fold::clean(&dir);
    for old in ["log.jsonl", "snapshot.json"] {
        if dir.join(old).exists() {
            return Err(format!(
                "{}: written by a provmock before data dir format {} (a request log); start that version, export \
                 with `GET /_mock/state` and load the export with --fixtures, or remove the data dir",
                dir.join(old).display(),
                files::FORMAT
            ));
        }
    }
    let snapshot = files::read_snapshot::<Snapshot>(&dir)?;
    let log = files::read_log(&dir)?;
    let secrets = files::read_secrets(&dir)?;
    private(&files::secrets_path(&dir));
    let snap_path = files::snapshot_path(&dir);
    let log_path = files::log_path(&dir);
    let (generation, seq, snapshot_len, durable, replayed) = match (snapshot, log) {
        // A new data dir (or one whose creation stopped between its two files: the log is written first, and
        // nothing is acknowledged before both exist): the fixtures' world is generation 1.
        (None, None) => init(app, &dir)?,
        (None, Some(l)) if l.generation == 1 && l.records.is_empty() => init(app, &dir)?,
        (None, Some(l)) => {
            return Err(format!(
                "{}: follows snapshot generation {}, but {} is missing",
                log_path.display(),
                l.generation,
                snap_path.display()
            ));
        }
        (Some(s), None) => {
            return Err(format!(
                "{}: missing; the changes after snapshot generation {} (record {}) would be lost",
                log_path.display(),
                s.generation,
                s.seq
            ));
        }
        (Some(s), Some(l)) => {
            let (generation, seq) = (s.generation, s.seq);
            let snapshot_len = file_len(&snap_path);
            restore(app, s.state, &secrets)?;
            if l.generation + 1 == generation {
                // A fold stopped after the new snapshot and before the new log: the old log's records up to the
                // snapshot's are in it; those after it were written while the fold was being written, and are
                // replayed, then kept in a log of the snapshot's generation.
                let first = l.records.iter().position(|(_, r)| r.seq > seq);
                let tail = match first {
                    Some(i) => {
                        let from = l.records[i].0;
                        let bytes = std::fs::read(&log_path).map_err(|e| io_err(&log_path, e))?;
                        bytes[from..l.valid_len as usize].to_vec()
                    }
                    None => Vec::new(),
                };
                let newer: Vec<_> = match first {
                    Some(i) => l.records.into_iter().skip(i).collect(),
                    None => Vec::new(),
                };
                let n = newer.len() as u64;
                let last = replay(app, &log_path, newer, seq, &secrets)?;
                let mut next = files::log_header(generation);
                next.extend_from_slice(&tail);
                files::write_atomic(&dir, &log_path, &next, 0o644)?;
                (generation, last, snapshot_len, next.len() as u64, n)
            } else if l.generation != generation {
                return Err(format!(
                    "{}: follows snapshot generation {}, but {} is generation {generation}",
                    log_path.display(),
                    l.generation,
                    snap_path.display()
                ));
            } else {
                let n = l.records.len() as u64;
                let last = replay(app, &log_path, l.records, seq, &secrets)?;
                if let Some(at) = l.torn_at {
                    tracing::warn!(file = %log_path.display(), offset = at, "dropping a torn last record (never acknowledged)");
                }
                (generation, last, snapshot_len, l.valid_len, n)
            }
        }
    };
    let log = LogFile::open_append(&log_path, durable)?;
    let base = {
        let mut st = app.lock();
        changes::track(&mut st);
        Scalars::of(&st, app.clock().mode())
    };
    let shared = Arc::new(Shared {
        dir: dir.clone(),
        queue: Mutex::new(Queue {
            items: VecDeque::new(),
            next_seq: seq + 1,
            last_uid: 0,
            durable_uid: 0,
            waiters: BTreeMap::new(),
            durable_seq: seq,
            broken: None,
            stop: false,
        }),
        wake: Condvar::new(),
        files: Mutex::new(Files {
            log,
            generation,
            snapshot_len,
            lock: Some(lock_file),
        }),
        base: Mutex::new(base),
        folding: Default::default(),
        fold_min: app.config().data_dir_fold_bytes,
    });
    let turn = Arc::new(tokio::sync::RwLock::new(()));
    let committer = {
        // The committer holds the app weakly: a server dropped without `shutdown` still goes away (and its Persist's
        // drop stops the committer, which gives the data dir's lock up).
        let (shared, turn, app) = (shared.clone(), turn.clone(), Arc::downgrade(&host));
        std::thread::Builder::new()
            .name("provmock-commit".into())
            .spawn(move || commit_loop(&shared, &turn, &app))
            .map_err(|e| format!("cannot start the data dir's writer: {e}"))?
    };
    tracing::info!(dir = %dir.display(), generation, replayed, "data dir opened");
    Ok(Persist {
        shared,
        turn,
        committer: Mutex::new(Some(committer)),
    })
}

/// Applies a log's records after the snapshot's record `seq`, in order (each must be the next number); returns the
/// last record's number.
fn replay(
    app: &dyn Host,
    log_path: &Path,
    records: Vec<(usize, files::Record)>,
    seq: u64,
    secrets: &files::Secrets,
) -> Result<u64, String> {
    let mut expect = seq + 1;
    let mut st = app.lock();
    let mut clock = None;
    for (offset, r) in records {
        if r.seq != expect {
            return Err(format!(
                "{}: record at byte offset {offset} is number {}, expected {expect} (a record is missing or out \
                 of order)",
                log_path.display(),
                r.seq
            ));
        }
        if let Some(c) = changes::apply(&mut st, r.changes).map_err(|e| {
            format!(
                "{}: record at byte offset {offset}: {e}",
                log_path.display()
            )
        })? {
            clock = Some(c);
        }
        expect += 1;
    }
    changes::reindex(&mut st);
    fill_secrets(app, &mut st, secrets);
    if let Some(c) = clock {
        app.clock().restore(c);
    }
    Ok(expect - 1)
}

/// Writes a new data dir: an empty log of generation 1, then the fixtures' world as snapshot generation 1.
fn init(app: &dyn Host, dir: &Path) -> Result<(u64, u64, u64, u64, u64), String> {
    let header = files::log_header(1);
    files::write_atomic(dir, &files::log_path(dir), &header, 0o644)?;
    let bytes = files::snapshot_line(1, 0, &state_json(app, &app.lock())?);
    write_secrets(dir, app)?;
    files::write_atomic(dir, &files::snapshot_path(dir), &bytes, 0o644)?;
    Ok((1, 0, bytes.len() as u64, header.len() as u64, 0))
}

/// Makes the secrets file readable by its owner only, if someone widened it (a copy, a checkout).
fn private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(file = %path.display(), "the secrets file was readable by others; it is 0600 again");
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
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

fn restore(app: &dyn Host, snap: Snapshot, secrets: &files::Secrets) -> Result<(), String> {
    let position: u128 = snap
        .position
        .parse()
        .map_err(|_| format!("snapshot: position `{}` is not a number", snap.position))?;
    app.replace_state(&snap.document)
        .map_err(|e| format!("snapshot: at `{}`: {}", e.path, e.problem))?;
    let mut st = app.lock();
    st.replaced = None;
    st.ids = Ids::resume(snap.seed, position);
    st.ops.default_policy = snap.default_policy;
    st.ops.policies = snap.policies;
    fill_secrets(app, &mut st, secrets);
    drop(st);
    app.clock().restore(snap.clock);
    Ok(())
}

/// Gives SCP access keys their secret from the secrets file or the fixtures (the snapshot and the log never hold
/// one).
fn fill_secrets(app: &dyn Host, st: &mut State, secrets: &files::Secrets) {
    st.world.scp.fill_secret_keys(|k| {
        secrets
            .scp_secret_keys
            .get(k)
            .cloned()
            .or_else(|| fixture_secret(app, k))
    });
}

fn snapshot_of(app: &dyn Host, st: &State) -> Snapshot {
    let mut document = st.world.to_document(None);
    document.operations = st.ops.ops.values().cloned().collect();
    Snapshot {
        document,
        seed: st.ids.seed(),
        position: st.ids.position().to_string(),
        clock: app.clock().mode(),
        default_policy: st.ops.default_policy,
        policies: st.ops.policies.clone(),
    }
}

/// The snapshot's `state`, as JSON (the committer wraps it once it knows the generation).
fn state_json(app: &dyn Host, st: &State) -> Result<Vec<u8>, String> {
    serde_json::to_vec(&snapshot_of(app, st)).map_err(|e| e.to_string())
}

/// The fixtures' SCP secret keys (never copied into the data dir: the fixtures give them back at every start).
fn fixture_secret(app: &dyn Host, access_key: &str) -> Option<String> {
    app.fixtures()
        .scp
        .access_keys
        .iter()
        .find(|k| k.access_key == access_key)
        .and_then(|k| k.secret_key.clone())
}

/// The SCP secret keys now in the world that the fixtures do not give.
fn secret_keys(app: &dyn Host, st: &State) -> BTreeMap<String, String> {
    st.world
        .scp
        .access_keys
        .values()
        .filter_map(|k| Some((k.access_key.clone(), k.secret_key.clone()?)))
        .filter(|(k, s)| fixture_secret(app, k).as_ref() != Some(s))
        .collect()
}

fn write_secrets(dir: &Path, app: &dyn Host) -> Result<(), String> {
    let keys = secret_keys(app, &app.lock());
    write_secret_keys(dir, keys)
}

fn write_secret_keys(dir: &Path, keys: BTreeMap<String, String>) -> Result<(), String> {
    let path = files::secrets_path(dir);
    if keys.is_empty() && !path.exists() {
        return Ok(());
    }
    files::write_atomic(dir, &path, &files::secrets_bytes(keys), 0o600)
}

impl Drop for Persist {
    fn drop(&mut self) {
        lock(&self.shared.queue).stop = true;
        self.shared.wake.notify_all();
    }
}

impl Persist {
    /// Stops the committer (after it wrote what is queued) and gives up the data dir's lock, so another server may
    /// open it. Called at shutdown, once nothing writes any more.
    pub fn release(&self) {
        lock(&self.shared.queue).stop = true;
        self.shared.wake.notify_all();
        if let Some(h) = lock(&self.committer).take() {
            let _ = h.join();
        }
        let mut f = lock(&self.shared.files);
        // A stopped server leaves only records behind: no preallocated zeros.
        f.log.trim();
        f.lock.take();
    }

    /// Before a change runs (turn held): if an earlier write failed, makes the data dir whole again first — a new
    /// snapshot of the world as it is — or says why it cannot.
    pub fn ready(&self, app: &dyn Host) -> Result<(), String> {
        let sh = &self.shared;
        if lock(&sh.queue).broken.is_none() {
            return Ok(());
        }
        // The files' lock keeps the committer out; the world's lock (taken for the snapshot) keeps changes out, and
        // a change sealed meanwhile lands in the log after the snapshot (a record sets values: applying one whose
        // values the snapshot already holds changes nothing).
        let mut f = lock(&sh.files);
        let mut q = lock(&sh.queue);
        if q.broken.is_none() {
            return Ok(());
        }
        let seq = q.next_seq - 1;
        let result = rewrite(sh, &mut f, app, seq);
        match result {
            Ok(()) => {
                tracing::info!(dir = %sh.dir.display(), "data dir rewritten after a failed write");
                q.broken = None;
                Ok(())
            }
            Err(e) => {
                q.broken = Some(e.clone());
                Err(e)
            }
        }
    }

    /// After a request's service ran (turn held): takes what changed in the world since the last record — this
    /// request's changes, and those of any concurrent request that has not sealed yet — queues it in order, and
    /// says what to wait for. A request classed as a write that finds nothing left (a concurrent seal took its
    /// changes, or it changed nothing) waits for the last record queued.
    pub fn seal(&self, app: &dyn Host, writes: bool) -> Sealed {
        let sh = &self.shared;
        let mut st = app.lock();
        let mut base = lock(&sh.base);
        let (kind, undo, secrets) = if let Some(saved) = st.replaced.take() {
            changes::track(&mut st);
            let before = std::mem::replace(&mut *base, Scalars::of(&st, app.clock().mode()));
            // A replacement is a new snapshot; it follows the last record sealed.
            let seq = lock(&sh.queue).next_seq - 1;
            match state_json(app, &st) {
                Ok(bytes) => (
                    ItemKind::Snapshot(bytes, seq),
                    Undo::Replaced(saved, before),
                    Some(secret_keys(app, &st)),
                ),
                Err(e) => return Sealed::Failed(e),
            }
        } else {
            let (c, undo) = changes::take(&mut st, &mut base, app.clock().mode());
            if c.is_empty() {
                if !writes {
                    return Sealed::Nothing;
                }
                let mut q = lock(&sh.queue);
                let uid = q.last_uid;
                return wait_for(&mut q, uid);
            }
            let secrets = (!c.scp_access_keys.is_empty()).then(|| secret_keys(app, &st));
            if c.size() > RECORD_MAX_VALUES {
                let seq = lock(&sh.queue).next_seq - 1;
                match state_json(app, &st) {
                    Ok(bytes) => (ItemKind::Snapshot(bytes, seq), undo, secrets),
                    Err(e) => return Sealed::Failed(e),
                }
            } else {
                // Numbered now, under the world's lock, in the order the changes were made; serialised and
                // checksummed by the committer.
                let mut q = lock(&sh.queue);
                let seq = q.next_seq;
                q.next_seq += 1;
                drop(q);
                (ItemKind::Record(seq, Box::new(c)), undo, secrets)
            }
        };
        if let Some(keys) = secrets
            && let Err(e) = write_secret_keys(&sh.dir, keys)
        {
            // Nothing was queued after it (the world's lock is still held): undo it at once.
            if matches!(kind, ItemKind::Record(..)) {
                lock(&sh.queue).next_seq -= 1;
            }
            let before = changes::undo(&mut st, undo);
            *base = before.clone();
            drop(base);
            changes::reindex(&mut st);
            drop(st);
            app.clock().restore(before.clock);
            return Sealed::Failed(e);
        }
        drop(base);
        let mut q = lock(&sh.queue);
        q.last_uid += 1;
        let uid = q.last_uid;
        q.items.push_back(Item { uid, kind, undo });
        let sealed = wait_for(&mut q, uid);
        drop(q);
        drop(st);
        sh.wake.notify_one();
        sealed
    }
}

/// Writes a new snapshot generation of the world as it is (with no record pending) and an empty log after it.
fn rewrite(sh: &Shared, f: &mut Files, app: &dyn Host, seq: u64) -> Result<(), String> {
    if !sh.dir.is_dir() {
        return Err(format!("{}: the data dir is gone", sh.dir.display()));
    }
    relock(sh, f)?;
    let (state, keys) = {
        let st = app.lock();
        (state_json(app, &st)?, secret_keys(app, &st))
    };
    let bytes = files::snapshot_line(f.generation + 1, seq, &state);
    write_secret_keys(&sh.dir, keys)?;
    write_generation(sh, f, &bytes)
}

/// Takes the lock again if the data dir was removed and made anew under us.
fn relock(sh: &Shared, f: &mut Files) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let held = f
            .lock
            .as_ref()
            .and_then(|l| l.metadata().ok())
            .map(|m| m.ino());
        let on_disk = std::fs::metadata(sh.dir.join("lock")).ok().map(|m| m.ino());
        if held.is_some() && held == on_disk {
            return Ok(());
        }
    }
    f.lock = Some(lock_dir(&sh.dir)?);
    Ok(())
}

/// Writes `snapshot` (numbered `f.generation + 1`) and a fresh log after it.
fn write_generation(sh: &Shared, f: &mut Files, snapshot: &[u8]) -> Result<(), String> {
    let generation = f.generation + 1;
    let snap_path = files::snapshot_path(&sh.dir);
    files::write_atomic(&sh.dir, &snap_path, snapshot, 0o644)?;
    let log_path = files::log_path(&sh.dir);
    let header = files::log_header(generation);
    files::write_atomic(&sh.dir, &log_path, &header, 0o644)?;
    f.log = LogFile::open_append(&log_path, header.len() as u64)?;
    f.generation = generation;
    f.snapshot_len = snapshot.len() as u64;
    Ok(())
}

fn commit_loop(sh: &Shared, turn: &tokio::sync::RwLock<()>, app: &std::sync::Weak<dyn Host>) {
    loop {
        let (batch, durable) = {
            let mut q = lock(&sh.queue);
            while q.items.is_empty() && !q.stop {
                q = sh.wake.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            if q.items.is_empty() {
                let broken = q.broken.is_some();
                drop(q);
                let mut f = lock(&sh.files);
                if let Err(e) = fold::wait(&sh.folding, &sh.dir, &mut f, broken) {
                    tracing::error!(error = %e, "could not fold the log into a snapshot");
                }
                return;
            }
            let durable = q.durable_seq;
            (q.items.drain(..).collect::<Vec<Item>>(), durable)
        };
        let Some(app) = app.upgrade() else {
            return;
        };
        let app: &dyn Host = &*app;
        match write_batch(sh, &batch, durable) {
            Ok(last_seq) => {
                let broken = {
                    let mut q = lock(&sh.queue);
                    q.durable_seq = last_seq;
                    durable_through(&mut q, batch.last().map_or(0, |i| i.uid));
                    q.broken.is_some()
                };
                // The responses are on their way; now, between two batches, the log may be folded.
                let mut f = lock(&sh.files);
                if let Err(e) = fold::finish(&sh.folding, &sh.dir, &mut f, broken) {
                    tracing::error!(error = %e, "could not fold the log into a snapshot");
                    lock(&sh.queue).broken = Some(e);
                } else if !broken {
                    fold::maybe_start(&sh.folding, &sh.dir, &f, sh.fold_min, last_seq, || {
                        snapshot_of(app, &app.lock())
                    });
                }
            }
            Err((ok, last_seq, e)) => {
                tracing::error!(error = %e, "could not write to the data dir; undoing the changes not on disk");
                let mut batch = batch;
                let failed = batch.split_off(ok);
                {
                    let mut q = lock(&sh.queue);
                    q.durable_seq = last_seq;
                    if let Some(uid) = batch.last().map(|i| i.uid) {
                        durable_through(&mut q, uid);
                    }
                }
                // No change may be half made while the world is put back: wait for every request in its service.
                let _turn = turn.blocking_write();
                let mut failed = failed;
                failed.extend(lock(&sh.queue).items.drain(..));
                rollback(sh, app, failed, &e);
            }
        }
    }
}

/// Writes a batch in order: record lines in one append (one fsync), snapshots as new generations. Returns the last
/// sequence number written, or how many items made it, the last sequence number on disk, and the error.
fn write_batch(sh: &Shared, batch: &[Item], durable: u64) -> Result<u64, (usize, u64, String)> {
    let mut f = lock(&sh.files);
    let mut last_seq = durable;
    let mut buf = Vec::new();
    let mut buffered_from = 0usize;
    let mut buffered_seq = last_seq;
    for (i, item) in batch.iter().enumerate() {
        match &item.kind {
            ItemKind::Record(seq, changes) => {
                if buf.is_empty() {
                    buffered_from = i;
                }
                let line =
                    files::record_line(*seq, changes).map_err(|e| (buffered_from, last_seq, e))?;
                buf.extend_from_slice(&line);
                buffered_seq = *seq;
            }
            ItemKind::Snapshot(bytes, seq) => {
                if !buf.is_empty() {
                    f.log
                        .append(&buf)
                        .map_err(|e| (buffered_from, last_seq, e))?;
                    buf.clear();
                    last_seq = buffered_seq;
                }
                let line = files::snapshot_line(f.generation + 1, *seq, bytes);
                write_generation(sh, &mut f, &line).map_err(|e| (i, last_seq, e))?;
                last_seq = last_seq.max(*seq);
                buffered_seq = last_seq;
            }
        }
    }
    if !buf.is_empty() {
        f.log
            .append(&buf)
            .map_err(|e| (buffered_from, last_seq, e))?;
        last_seq = buffered_seq;
    }
    Ok(last_seq)
}

/// Puts the world back as it was before `failed` (oldest first) and tells their requests; the next write rewrites
/// the data dir.
fn rollback(sh: &Shared, app: &dyn Host, failed: Vec<Item>, e: &str) {
    let mut st = app.lock();
    let mut clock = None;
    let mut records = 0;
    for item in failed.into_iter().rev() {
        if matches!(item.kind, ItemKind::Record(..)) {
            records += 1;
        }
        let before = changes::undo(&mut st, item.undo);
        *lock(&sh.base) = before.clone();
        clock = Some(before.clock);
    }
    changes::reindex(&mut st);
    drop(st);
    if let Some(c) = clock {
        app.clock().restore(c);
    }
    let mut q = lock(&sh.queue);
    q.next_seq -= records;
    q.broken = Some(e.to_string());
    // Whoever still waits waits for a change that was just undone.
    for tx in std::mem::take(&mut q.waiters).into_values().flatten() {
        let _ = tx.send(Err(e.to_string()));
    }
}
