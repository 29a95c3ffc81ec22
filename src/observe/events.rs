//! The change-notice broadcaster behind `GET /_mock/events` (a Server-Sent Events stream of small change notices,
//! for the dashboard (`/_mock/ui`) and for tests that wait for a change instead of polling; the handler is
//! `control::events`).
//!
//! Notices are fired from two places: `server::Surface` after every API request (journaled, so the journal table can
//! follow) and after every control call that changes something, and the operation completer when it finishes
//! operations. A notice names what changed, not how: `{"seq","kind","family","name","method","status","changed"}`;
//! readers fetch what they show. Nobody listening costs one atomic load per request.
//!
//! The stream starts with `retry:` and an `event: hello`; then `event: change` per notice, `event: resync` when this
//! reader fell behind and lost notices (re-read everything), and a comment line as a heartbeat (every 15 s, or half
//! the idle timeout if that is shorter), so an open stream is never closed as idle.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::family::Family;
use crate::world::ops::Ops;

/// How many notices a reader may fall behind before it gets `resync`.
const CAPACITY: usize = 512;
/// Event streams open at once; more answer 429 RESOURCE_EXHAUSTED.
pub const MAX_LISTENERS: usize = 64;
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The broadcaster: one per provmock.
pub struct Events {
    tx: broadcast::Sender<Bytes>,
    /// Open streams, read by every request without a lock (`broadcast::Sender::receiver_count` takes one).
    listeners: Arc<AtomicUsize>,
    seq: AtomicU64,
    /// Per-process key the events ticket is derived with (see [`Events::ticket`]).
    key: [u8; 32],
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("listeners", &self.listeners.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Default for Events {
    fn default() -> Self {
        use rand::{RngCore, SeedableRng};
        let mut key = [0u8; 32];
        rand::rngs::StdRng::from_os_rng().fill_bytes(&mut key);
        Events {
            tx: broadcast::channel(CAPACITY).0,
            listeners: Arc::new(AtomicUsize::new(0)),
            seq: AtomicU64::new(0),
            key,
        }
    }
}

/// One change notice as sent.
#[derive(Debug, Serialize)]
pub struct Notice<'a> {
    pub seq: u64,
    /// `request` (an API request was answered and journaled), `control` (a control call changed something) or
    /// `operation` (the completer finished an operation).
    pub kind: &'a str,
    pub family: Option<Family>,
    /// The request path, or the operation's name.
    pub name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub method: &'a str,
    /// HTTP status (REST), gRPC code (gRPC); 0 for operations.
    pub status: u16,
    /// Whether the world, the operations or the control settings may have changed.
    pub changed: bool,
}

impl Events {
    /// True while at least one stream is open: only then are notices built.
    pub fn listening(&self) -> bool {
        self.listeners.load(Ordering::Relaxed) > 0
    }

    /// The number of the last notice sent (what a new stream's hello carries).
    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    pub fn send(&self, notice: &mut Notice<'_>) {
        notice.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let json = serde_json::to_string(notice).unwrap_or_default();
        // No receiver left (the last stream closed meanwhile) is not an error.
        let _ = self
            .tx
            .send(Bytes::from(format!("event: change\ndata: {json}\n\n")));
    }

    /// The events ticket for a control token: what the events cookie carries instead of the token. It opens
    /// `GET /_mock/events` and nothing else, and dies with the process (the key is drawn at start).
    pub fn ticket(&self, control_token: &str) -> String {
        use hmac::{Hmac, Mac};
        use std::fmt::Write;
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"provmock events ticket\0");
        mac.update(control_token.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .fold(String::with_capacity(64), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
    }

    /// A new stream's receiver, counted until dropped; None when [`MAX_LISTENERS`] are open.
    pub fn subscribe(&self) -> Option<Listener> {
        let before = self.listeners.fetch_add(1, Ordering::Relaxed);
        let listener = Listener {
            rx: self.tx.subscribe(),
            count: self.listeners.clone(),
        };
        // Over the limit, the listener is dropped at once and uncounts itself.
        (before < MAX_LISTENERS).then_some(listener)
    }
}

/// A counted subscription: uncounted when its stream ends.
pub struct Listener {
    rx: broadcast::Receiver<Bytes>,
    count: Arc<AtomicUsize>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// After the completer finished operations (with the state still locked, so their family is at hand).
pub fn operations_finished(events: &Events, ops: &Ops, names: &[String]) {
    if names.is_empty() || !events.listening() {
        return;
    }
    for name in names {
        let family = ops.ops.get(name).map(|o| o.family);
        events.send(&mut Notice {
            seq: 0,
            kind: "operation",
            family,
            name,
            method: "",
            status: 0,
            changed: true,
        });
    }
}

/// The heartbeat period: 15 s, or half of `--idle-timeout` when that is shorter (at least 50 ms).
pub fn heartbeat(idle_timeout: Duration) -> Duration {
    HEARTBEAT
        .min(idle_timeout / 2)
        .max(Duration::from_millis(50))
}

/// The frames of one stream: the hello, then notices, `resync` after a lag, heartbeats between.
pub fn frames(
    listener: Listener,
    beat: Duration,
    hello: String,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    use futures_util::StreamExt;
    let start = tokio::time::Instant::now() + beat;
    let mut tick = tokio::time::interval_at(start, beat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let rest = futures_util::stream::unfold((listener, tick), |(mut l, mut tick)| async move {
        let frame = tokio::select! {
            r = l.rx.recv() => match r {
                Ok(frame) => frame,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    Bytes::from(format!("event: resync\ndata: {{\"lost\":{n}}}\n\n"))
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            },
            _ = tick.tick() => Bytes::from_static(b": keep-alive\n\n"),
        };
        // A frame is sent now: the next heartbeat is due a period from here.
        tick.reset();
        Some((Ok(frame), (l, tick)))
    });
    futures_util::stream::once(async move { Ok(Bytes::from(hello)) }).chain(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heartbeat_beats_within_the_idle_timeout() {
        assert_eq!(heartbeat(Duration::from_secs(120)), HEARTBEAT);
        assert_eq!(heartbeat(Duration::from_secs(4)), Duration::from_secs(2));
        assert_eq!(heartbeat(Duration::ZERO), Duration::from_millis(50));
    }

    #[test]
    fn tickets_depend_on_the_token_and_the_process_and_are_not_the_token() {
        let (a, b) = (Events::default(), Events::default());
        assert_eq!(a.ticket("t"), a.ticket("t"));
        assert_ne!(a.ticket("t"), a.ticket("u"));
        assert_ne!(a.ticket("t"), b.ticket("t"));
        assert!(!a.ticket("s3cret").contains("s3cret"));
        assert_eq!(a.ticket("t").len(), 64);
    }
}
