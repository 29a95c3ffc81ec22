//! The background task that finishes operations at their deadlines (mini-redis's expiry task is the model): it
//! sleeps until the earliest deadline on provmock's clock, or until woken because an operation was scheduled or the
//! clock moved, then finishes everything that is due.

use std::time::Duration;

use crate::app::App;
use crate::ops::Outcome;

/// Finishes every operation that is due now; returns how long until the next deadline (None: nothing scheduled,
/// or the clock is frozen and only a clock move can make anything due).
pub fn run_due(app: &App) -> Option<Duration> {
    let now = app.clock.now();
    let mut st = app.lock();
    for name in st.ops.due(now) {
        st.finish_operation(&name, Outcome::Succeed, now);
    }
    let next = st.ops.next_deadline()?;
    if app.clock.is_frozen() {
        return None;
    }
    Some((next - now).to_std().unwrap_or(Duration::ZERO))
}

pub async fn run(app: App) {
    loop {
        let wait = run_due(&app);
        // A deadline at most a day away; "nothing scheduled" waits for a wake-up alone.
        let sleep = wait
            .unwrap_or(Duration::from_secs(86_400))
            .min(Duration::from_secs(86_400));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = app.wake.notified() => {}
            _ = app.clock.changed.notified() => {}
        }
    }
}
