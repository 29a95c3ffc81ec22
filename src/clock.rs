//! The one source of "now". Real time, real time shifted by an offset, or frozen at an instant. Every timestamp,
//! operation deadline, token expiry and SCP version date reads it, so a test that moves the clock moves all of them.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum ClockMode {
    /// The system clock.
    Real,
    /// The system clock plus a fixed offset (milliseconds).
    Offset { offset_ms: i64 },
    /// Time stands still at `at` until moved.
    Frozen { at: DateTime<Utc> },
}

/// Why a std `Mutex`: the critical sections are a few field reads, never held across an `.await`.
#[derive(Debug)]
pub struct Clock {
    mode: Mutex<ClockMode>,
    /// Woken whenever the clock is moved, so the operation completer re-reads its deadlines.
    pub(crate) changed: Notify,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new(ClockMode::Real)
    }
}

impl Clock {
    pub fn new(mode: ClockMode) -> Self {
        Clock {
            mode: Mutex::new(mode),
            changed: Notify::new(),
        }
    }

    /// "Now" for the current request: pinned once when the request arrives (so every timestamp one request writes is
    /// the same instant, and a replayed request writes exactly what the original wrote), else the clock's time.
    pub fn now(&self) -> DateTime<Utc> {
        PINNED
            .try_with(|t| *t)
            .unwrap_or_else(|_| self.now_unpinned())
    }

    /// The clock's own time, ignoring a request's pinned instant.
    pub fn now_unpinned(&self) -> DateTime<Utc> {
        match self.mode() {
            ClockMode::Real => Utc::now(),
            ClockMode::Offset { offset_ms } => Utc::now() + Duration::milliseconds(offset_ms),
            ClockMode::Frozen { at } => at,
        }
    }

    pub fn mode(&self) -> ClockMode {
        *self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_frozen(&self) -> bool {
        matches!(self.mode(), ClockMode::Frozen { .. })
    }

    /// Freezes the clock at `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.replace(ClockMode::Frozen { at });
    }

    /// Makes the clock run from `at` onwards (real time plus an offset).
    pub fn start_at(&self, at: DateTime<Utc>) {
        let offset_ms = (at - Utc::now()).num_milliseconds();
        self.replace(ClockMode::Offset { offset_ms });
    }

    /// Moves the clock forward (or back, with a negative duration) in whatever mode it is.
    pub fn advance(&self, by: Duration) {
        let next = match self.mode() {
            ClockMode::Real => ClockMode::Offset {
                offset_ms: by.num_milliseconds(),
            },
            ClockMode::Offset { offset_ms } => ClockMode::Offset {
                offset_ms: offset_ms + by.num_milliseconds(),
            },
            ClockMode::Frozen { at } => ClockMode::Frozen { at: at + by },
        };
        self.replace(next);
    }

    /// Back to the system clock.
    pub fn reset(&self) {
        self.replace(ClockMode::Real);
    }

    /// Puts the clock back in a saved mode (data dir restore).
    pub fn restore(&self, mode: ClockMode) {
        self.replace(mode);
    }

    fn replace(&self, mode: ClockMode) {
        *self.mode.lock().unwrap_or_else(|e| e.into_inner()) = mode;
        self.changed.notify_waiters();
        self.changed.notify_one();
    }
}

tokio::task_local! {
    static PINNED: DateTime<Utc>;
}

/// Runs `fut` with "now" pinned at `at` (see [`Clock::now`]).
pub async fn pinned<F: std::future::Future>(at: DateTime<Utc>, fut: F) -> F::Output {
    PINNED.scope(at, fut).await
}

/// RFC 3339 with `Z`, as Google's and Yandex's clients require.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("time");
        let clock = Clock::default();
        clock.set(at);
        assert_eq!(clock.now(), at);
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now(), at + Duration::seconds(90));
        assert_eq!(rfc3339(clock.now()), "2026-01-01T00:01:30Z");
    }

    #[test]
    fn advancing_a_real_clock_offsets_it() {
        let clock = Clock::default();
        clock.advance(Duration::days(400));
        let diff = clock.now() - Utc::now();
        assert!(
            diff > Duration::days(399) && diff < Duration::days(401),
            "{diff}"
        );
        clock.reset();
        assert!((clock.now() - Utc::now()).num_seconds().abs() < 5);
    }
}
