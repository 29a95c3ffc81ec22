//! Connections: how many are served at once, how long one may sit idle, and the bodies of the errors hyper answers
//! by itself.
//!
//! - [`Gate`]: at most `--max-connections` connections are served (capped below the file-descriptor limit). A few
//!   more ([`OVERFLOW`]) are admitted in a *limited* mode — health answers, everything else gets 503 UNAVAILABLE in
//!   its family's format — for a short while, then closed; past those, a new connection is closed at once. So a
//!   flood of idle sockets cannot exhaust descriptors, and `GET /_mock/health` keeps answering.
//! - [`Watched`]: wraps a connection's socket, noting when bytes last moved (for `--idle-timeout`), and gives hyper's
//!   own answers to unparsable or oversized HTTP/1.1 request heads (400, 414, 431, sent before any handler runs, with
//!   an empty body) a JSON body in Google's envelope (the family is unknown before the path is read).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;
use crate::family::Family;

/// Connections admitted past the limit, in limited mode (health answers, the rest 503).
pub const OVERFLOW: usize = 64;

/// File descriptors kept free for everything that is not a client connection (listeners, data-dir files, logs).
const FD_RESERVE: u64 = 64;

/// What the gate decided for a new connection.
pub enum Admission {
    /// Served normally while the permit lives.
    Normal(OwnedSemaphorePermit),
    /// Over the limit: health answers, the rest 503, closed soon.
    Limited(OwnedSemaphorePermit),
    /// Closed at once.
    Refused,
}

/// Counts open connections against the limit.
pub struct Gate {
    normal: Arc<Semaphore>,
    overflow: Arc<Semaphore>,
    max: usize,
}

impl Gate {
    /// `requested` (`--max-connections`), lowered to what the process's descriptor limit allows.
    pub fn new(requested: usize) -> Gate {
        let max = requested.clamp(1, fd_budget());
        if max < requested {
            tracing::warn!(
                requested,
                max,
                "--max-connections lowered to fit the open-file limit (raise `ulimit -n` for more)"
            );
        }
        Gate {
            normal: Arc::new(Semaphore::new(max)),
            overflow: Arc::new(Semaphore::new(OVERFLOW)),
            max,
        }
    }

    /// The connection limit in force.
    pub fn max(&self) -> usize {
        self.max
    }

    pub fn admit(&self) -> Admission {
        if let Ok(p) = self.normal.clone().try_acquire_owned() {
            return Admission::Normal(p);
        }
        match self.overflow.clone().try_acquire_owned() {
            Ok(p) => Admission::Limited(p),
            Err(_) => Admission::Refused,
        }
    }

    /// Waits (at most `within`) until every admitted connection has closed.
    pub async fn drained(&self, within: Duration) {
        let all = async {
            let _a = self.normal.acquire_many(self.max as u32).await;
            let _b = self.overflow.acquire_many(OVERFLOW as u32).await;
        };
        let _ = tokio::time::timeout(within, all).await;
    }
}

/// How many connections the open-file limit leaves room for.
#[cfg(unix)]
fn fd_budget() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct we pass.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0;
    if !ok || lim.rlim_cur == libc::RLIM_INFINITY {
        return usize::MAX;
    }
    let free = lim
        .rlim_cur
        .saturating_sub(FD_RESERVE + OVERFLOW as u64)
        .max(1);
    usize::try_from(free).unwrap_or(usize::MAX)
}

#[cfg(not(unix))]
fn fd_budget() -> usize {
    usize::MAX
}

/// Raises the soft open-file limit to the hard one (the binary does this at start, as servers commonly do).
#[cfg(unix)]
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write only the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

#[cfg(not(unix))]
pub fn raise_fd_limit() {}

/// Whether a connection moved bytes lately, and how many of its requests are being answered. Reads and writes
/// only bump a counter (no clock read on the I/O path); the idle watch samples it once per timeout.
#[derive(Default)]
pub struct Activity {
    moved: AtomicU64,
    in_flight: AtomicUsize,
}

/// Marks a request in flight on its connection while alive.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

impl Activity {
    fn touch(&self) {
        self.moved.fetch_add(1, Ordering::Relaxed);
    }

    pub fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// Resolves once a whole `timeout` went by with no bytes moving and no request in flight (so an idle
    /// connection is closed between one and two timeouts after it went quiet).
    pub async fn idle(&self, timeout: Duration) {
        let mut seen = self.moved.load(Ordering::Relaxed);
        loop {
            tokio::time::sleep(timeout).await;
            let now = self.moved.load(Ordering::Relaxed);
            // A handler still working (a latency fault, a slow lock) is not idleness.
            if now == seen && self.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            seen = now;
        }
    }
}

/// A socket that notes its activity and fills in the bodies of hyper's automatic error answers.
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
    /// A replacement answer being written: the bytes and how many are out.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Watched {
            inner,
            activity,
            pending: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> Watched<S> {
    /// Writes the replacement answer for a head of `len` bytes; `Ready(Ok(len))` once all of it is out.
    fn poll_pending(&mut self, cx: &mut Context<'_>, len: usize) -> Poll<io::Result<usize>> {
        while let Some((bytes, done)) = &mut self.pending {
            if *done == bytes.len() {
                self.pending = None;
                return Poll::Ready(Ok(len));
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
            self.activity.touch();
        }
        Poll::Ready(Ok(len))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none()
            && let Some(answer) = auto_error_answer(buf)
        {
            this.pending = Some((answer, 0));
        }
        if this.pending.is_some() {
            return this.poll_pending(cx, buf.len());
        }
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        if n > 0 {
            this.activity.touch();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let mut nonempty = bufs.iter().filter(|b| !b.is_empty());
        if this.pending.is_none()
            && let (Some(only), None) = (nonempty.next(), nonempty.next())
            && let Some(answer) = auto_error_answer(only)
        {
            this.pending = Some((answer, 0));
        }
        if this.pending.is_some() {
            let len = bufs.iter().map(|b| b.len()).sum();
            return this.poll_pending(cx, len);
        }
        let n = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs))?;
        if n > 0 {
            this.activity.touch();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pending.is_some() {
            ready!(this.poll_pending(cx, 0))?;
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pending.is_some() {
            ready!(this.poll_pending(cx, 0))?;
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// hyper answers a request head it cannot parse or that exceeds its limits by itself, before any handler runs:
/// `HTTP/1.1 400|414|431 …` with `content-length: 0`. Our own answers always carry a body, so such a head is
/// hyper's; this returns the same answer with a JSON body saying what was wrong, and `connection: close` (hyper
/// closes the connection after it).
pub fn auto_error_answer(head: &[u8]) -> Option<Vec<u8>> {
    if !head.starts_with(b"HTTP/1.1 4") || head.len() < 12 || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    if !lower
        .windows(b"\r\ncontent-length: 0\r\n".len())
        .any(|w| w == b"\r\ncontent-length: 0\r\n")
    {
        return None;
    }
    let (status, reason, message) = match &head[9..12] {
        b"400" => (
            "400 Bad Request",
            "MALFORMED_REQUEST",
            "the request is not valid HTTP/1.1 (request line or a header could not be parsed)",
        ),
        b"414" => (
            "414 URI Too Long",
            "URI_TOO_LONG",
            "the request URI exceeds the 65 534-byte limit",
        ),
        b"431" => (
            "431 Request Header Fields Too Large",
            "REQUEST_HEADERS_TOO_LARGE",
            "the request head exceeds provmock's limits (at most 100 headers and 64 KiB of request line and headers)",
        ),
        _ => return None,
    };
    let mut err = ApiError::invalid_argument(message).with_reason(reason);
    if let Ok(code) = http::StatusCode::from_bytes(&head[9..12]) {
        err = err.with_http_status(code);
    }
    let body = serde_json::to_vec(&err.body_json(Family::Channel, None)).unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_empty_431_gets_a_google_envelope() {
        let head =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = auto_error_answer(head).expect("rewritten");
        let text = String::from_utf8(out).expect("utf-8");
        let (h, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(h.starts_with("HTTP/1.1 431 "), "{h}");
        assert!(
            h.contains(&format!("content-length: {}", body.len())),
            "{h}"
        );
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(v["error"]["code"], 431);
        assert_eq!(v["error"]["status"], "INVALID_ARGUMENT");
    }

    #[test]
    fn answers_with_a_body_and_other_statuses_pass_untouched() {
        assert!(
            auto_error_answer(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n").is_none()
        );
        assert!(
            auto_error_answer(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n").is_none()
        );
        assert!(auto_error_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(
            auto_error_answer(b"\x00\x00\x12\x04\x00").is_none(),
            "h2 frames"
        );
        assert!(
            auto_error_answer(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n").is_some()
        );
    }
}
