//! What a service function gets: a narrow context instead of the whole [`App`].
//!
//! [`call`] is the one place that serves a method, for REST and gRPC alike: the request was parsed (into domain
//! types, outside the lock) by the adapter; `call` takes the lock **once**, pins "now", runs the service function
//! on a [`Ctx`], releases the lock and only then does what the service asked to be done after it (wake the
//! operation completer). A service function never sees the App, never locks and never reads the clock.

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::config::AuthMode;
use crate::error::ApiResult;
use crate::request::Caller;
use crate::world::ops::Operation;
use crate::world::state::State;

/// Everything a service function may use: who calls, the one "now" of the request, the configuration it reads,
/// and the state (world, operations, ids) under the lock the dispatcher holds.
pub struct Ctx<'a> {
    pub caller: &'a Caller,
    /// Read once, right after the lock was taken: every timestamp a request writes is this one.
    pub now: DateTime<Utc>,
    /// `--auth`.
    pub auth: AuthMode,
    pub st: &'a mut State,
    /// What to do once the lock is released.
    pub after: After,
}

impl Ctx<'_> {
    /// Whether `--auth strict` is on.
    pub fn strict(&self) -> bool {
        self.auth == AuthMode::Strict
    }
}

/// What a service asked to be done after the lock is released.
#[derive(Debug, Default)]
pub struct After {
    wake: bool,
}

impl After {
    /// Stores a new operation under its kind's policy, finishing it at once when the policy is `immediate`; else
    /// the completer is woken once the lock is released. Called as `ctx.after.schedule(st, op, ctx.now)`, so a
    /// service may hold its borrow of the state.
    pub fn schedule(&mut self, st: &mut State, op: Operation, now: DateTime<Utc>) {
        self.wake |= st.schedule(op, now);
    }
}

/// Serves one method: the lock taken once, "now" pinned, the service run, the lock released, then its
/// after-actions.
pub fn call<Q, R>(
    app: &App,
    caller: &Caller,
    req: Q,
    service: impl FnOnce(&mut Ctx<'_>, Q) -> ApiResult<R>,
) -> ApiResult<R> {
    let after = {
        let mut st = app.lock();
        let mut ctx = Ctx {
            caller,
            now: app.clock.now(),
            auth: app.config.auth,
            st: &mut st,
            after: After::default(),
        };
        let out = service(&mut ctx, req);
        (out, ctx.after)
    };
    let (out, after) = after;
    if after.wake {
        app.wake.notify_one();
    }
    out
}

/// [`call`], after parsing the wire request into the service's own request type (`TryFrom`, outside the lock): the
/// whole of "parse → lock → run → unlock → after" for an adapter that only binds path, query and body.
pub fn serve<P, Q, R>(
    app: &App,
    caller: &Caller,
    req: P,
    service: impl FnOnce(&mut Ctx<'_>, Q) -> ApiResult<R>,
) -> ApiResult<R>
where
    Q: TryFrom<P, Error = crate::error::ApiError>,
{
    let parsed = Q::try_from(req)?;
    call(app, caller, parsed, service)
}

/// Work a service leaves for after the lock is released, on what it took from the state (an `Arc` of the
/// catalog, say): the adapter runs it with `call(…).and_then(Later::run)`.
pub struct Later<R>(Box<dyn FnOnce() -> ApiResult<R> + Send>);

impl<R> Later<R> {
    pub fn new(work: impl FnOnce() -> ApiResult<R> + Send + 'static) -> Later<R> {
        Later(Box::new(work))
    }

    pub fn run(self) -> ApiResult<R> {
        (self.0)()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::Family;
    use crate::world::World;
    use crate::world::ids::Ids;
    use crate::world::ops::{Ops, Policy};

    fn state(policy: Policy) -> State {
        State {
            world: World::default(),
            ops: Ops::new(policy),
            ids: Ids::new(Some(1)),
            replaced: None,
        }
    }

    #[test]
    fn an_immediate_operation_finishes_under_the_lock_and_wakes_nobody() {
        let mut st = state(Policy::Immediate);
        let now = Utc::now();
        let mut after = After::default();
        after.schedule(
            &mut st,
            Operation::new("operations/a".into(), Family::Channel, "k", now),
            now,
        );
        assert!(st.ops.ops.get("operations/a").is_some_and(|o| o.done));
        assert!(!after.wake);
    }

    #[test]
    fn a_delayed_operation_wakes_the_completer_after_the_lock() {
        let mut st = state(Policy::AfterMs(1000));
        let now = Utc::now();
        let mut after = After::default();
        after.schedule(
            &mut st,
            Operation::new("operations/b".into(), Family::Channel, "k", now),
            now,
        );
        assert!(st.ops.ops.get("operations/b").is_some_and(|o| !o.done));
        assert!(after.wake);
    }
}
