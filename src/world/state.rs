//! Everything behind the App's one lock: the world, the operations and the id generator, and what finishing an
//! operation does to them (its action applied or undone, its result recorded).

use crate::error::{ApiError, ApiResult};
use crate::world::World;
use crate::world::ids::Ids;
use crate::world::ops::{Operation, Ops, Outcome};

/// Everything behind the lock.
#[derive(Debug)]
pub struct State {
    pub world: World,
    pub ops: Ops,
    pub ids: Ids,
    /// Set (with a data dir) when a control call replaced whole parts of the world — a reset, a state import:
    /// the data dir then writes a snapshot instead of a change record, and this is what to go back to if it can't.
    pub replaced: Option<Box<Saved>>,
}

/// The state as it was before a replacement.
#[derive(Debug)]
pub struct Saved {
    pub world: World,
    pub ops: Ops,
    pub ids: Ids,
}

impl State {
    /// Stores a new operation under its kind's policy, finishing it at once when the policy is `immediate`. Says
    /// whether the completer must be woken (the operation waits for a deadline).
    pub fn schedule(&mut self, op: Operation, now: chrono::DateTime<chrono::Utc>) -> bool {
        let name = op.name.clone();
        if self.ops.insert(op, now) {
            self.finish_operation(&name, Outcome::Succeed, now);
            false
        } else {
            true
        }
    }

    /// Finishes a pending operation: applies its action (or rolls it back on failure) and records the result.
    pub fn finish_operation(
        &mut self,
        name: &str,
        outcome: Outcome,
        now: chrono::DateTime<chrono::Utc>,
    ) {
        let Some(action) = self
            .ops
            .ops
            .get(name)
            .filter(|o| !o.done)
            .map(|o| o.action.clone())
        else {
            return;
        };
        let result = match (outcome, &action) {
            (Outcome::Succeed, Some(a)) => a.apply(&mut self.world, &mut self.ids, name, now),
            (Outcome::Succeed, None) => Ok(None),
            (Outcome::Fail(err), action) => {
                if let Some(a) = action {
                    a.undo(&mut self.world, name, now);
                }
                Err(err)
            }
        };
        self.ops.mark_done(name, result, now);
    }

    /// Looks an operation up for a read, counting the read for `after_polls` policies.
    pub fn read_operation(
        &mut self,
        name: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> ApiResult<Operation> {
        if !self.ops.ops.contains_key(name) {
            return Err(ApiError::not_found(format!("operation `{name}` not found")));
        }
        if self.ops.count_poll(name) {
            self.finish_operation(name, Outcome::Succeed, now);
        }
        self.ops
            .ops
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("operation `{name}` not found")))
    }
}
