//! The background task that finishes operations at their deadlines (mini-redis's expiry task is the model): it
//! sleeps until the earliest deadline on provmock's clock, or until woken because an operation was scheduled or the
//! clock moved, then finishes everything that is due.

use std::time::Duration;

use crate::app::App;
use crate::world::ops::Outcome;

/// Finishes every operation that is due now; returns how long until the next deadline (None: nothing scheduled,
/// or the clock is frozen and only a clock move can make anything due).
pub fn run_due(app: &App) -> Option<Duration> {
    let now = app.clock.now_unpinned();
    run_due_at(app, now).1
}

/// Finishes every operation due at `now`; returns how many finished and the wait until the next deadline.
pub fn run_due_at(app: &App, now: chrono::DateTime<chrono::Utc>) -> (usize, Option<Duration>) {
    let mut st = app.lock();
    let due = st.ops.due(now);
    for name in &due {
        st.finish_operation(name, Outcome::Succeed, now);
    }
    crate::observe::events::operations_finished(&app.events, &st.ops, &due);
    let Some(next) = st.ops.next_deadline() else {
        return (due.len(), None);
    };
    if app.clock.is_frozen() {
        return (due.len(), None);
    }
    (
        due.len(),
        Some((next - now).to_std().unwrap_or(Duration::ZERO)),
    )
}

pub async fn run(app: App) {
    loop {
        let wait = match app.persist.get() {
            None => run_due(&app),
            Some(p) => {
                // With a data dir, finishing operations is a change like any other: in turn, and logged.
                let turn = p.turn.read().await;
                if p.ready(&*app).is_err() {
                    // The data dir cannot be written: nothing finishes until it can (retried each second).
                    drop(turn);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                let now = app.clock.now_unpinned();
                let (_, wait) = run_due_at(&app, now);
                let sealed = p.seal(&*app, false);
                drop(turn);
                if sealed.durable().await.is_err() {
                    // Undone: the operations are pending again and are retried.
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                wait
            }
        };
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
