//! Long-running operations: one engine for Google `google.longrunning.Operation`, Yandex `Operation` and SCP jobs.
//!
//! An operation is created not done. A completion [`Policy`] (per operation kind, or the default from
//! `--lro-delay`) decides when it finishes: at a deadline on provmock's clock (the background
//! [`crate::app::completer`]), on the Nth read, or only when the control plane says so. Finishing applies the operation's action to the world (see
//! [`crate::world::actions`]) and stores its response or error. Finished operations stay readable.
//!
//! Responses and metadata are stored as proto3 JSON with their full type name ([`AnyJson`]): the REST adapters add
//! `@type`, the gRPC adapters turn them back into `Any` — so one record serves both wire formats and survives an
//! export.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{ApiError, Code, FieldViolation};
use crate::family::Family;
use crate::world::actions::Action;

/// A message in proto3 JSON plus its full proto name (`google.cloud.channel.v1.Customer`). The JSON is kept as its
/// text, not as a `Value` tree: an operation keeps a copy of the resource it made, and thousands of finished
/// operations are kept, so text is about a fifth of the memory, and storing, cloning and forgetting one is a copy
/// of bytes instead of a walk over a tree of maps. It reads and writes as the same JSON as before.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnyJson {
    pub type_name: String,
    value: Box<RawValue>,
}

impl PartialEq for AnyJson {
    /// The same message: equal JSON values (the text may differ in spacing or key order).
    fn eq(&self, other: &Self) -> bool {
        self.type_name == other.type_name
            && (self.value.get() == other.value.get() || self.value() == other.value())
    }
}

impl AnyJson {
    pub fn new(type_name: &str, value: Value) -> Self {
        AnyJson::of(type_name, &value)
    }

    /// A message (a prost type with pbjson's serde) as `type_name`.
    pub fn of<T: Serialize>(type_name: &str, msg: &T) -> Self {
        let value =
            serde_json::value::to_raw_value(msg).unwrap_or_else(|_| RawValue::NULL.to_owned());
        AnyJson {
            type_name: type_name.to_string(),
            value,
        }
    }

    /// `google.protobuf.Empty`.
    pub fn empty() -> Self {
        AnyJson::new(
            crate::world::stored::EMPTY,
            Value::Object(Default::default()),
        )
    }

    /// The message's proto3 JSON, as text.
    pub fn json(&self) -> &str {
        self.value.get()
    }

    /// The message's proto3 JSON, parsed.
    pub fn value(&self) -> Value {
        serde_json::from_str(self.value.get()).unwrap_or(Value::Null)
    }

    /// The message's fields (none when it is not a JSON object).
    pub fn fields(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(self.value.get()).unwrap_or_default()
    }
}

/// An operation's error as stored (the wire form is rendered per family).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredError {
    pub code: Code,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<(String, String)>,
}

impl From<&ApiError> for StoredError {
    fn from(e: &ApiError) -> Self {
        StoredError {
            code: e.code,
            message: e.message.clone(),
            reason: e.reason.as_ref().map(|r| r.to_string()),
            violations: e
                .violations
                .iter()
                .map(|v| (v.field.clone(), v.description.clone()))
                .collect(),
        }
    }
}

impl StoredError {
    pub fn to_api_error(&self) -> ApiError {
        let mut e = ApiError::new(self.code, self.message.clone());
        e.reason = self.reason.clone().map(Into::into);
        e.violations = self
            .violations
            .iter()
            .map(|(f, d)| FieldViolation {
                field: f.clone(),
                description: d.clone(),
            })
            .collect();
        e
    }
}

/// When an operation of a kind finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Returned already done.
    Immediate,
    /// Done this many milliseconds (on provmock's clock) after creation.
    AfterMs(u64),
    /// Done on the Nth read of the operation (Get over REST or gRPC).
    AfterPolls(u32),
    /// Only the control plane finishes it.
    Manual,
}

impl Policy {
    pub fn from_delay(d: std::time::Duration) -> Policy {
        if d.is_zero() {
            Policy::Immediate
        } else {
            Policy::AfterMs(d.as_millis() as u64)
        }
    }
}

/// One operation record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Unique across families: `operations/…` for Channel, the bare id for Yandex, the job id for SCP.
    pub name: String,
    pub family: Family,
    /// `channel.provisionCloudIdentity`, `yandex.createUser`, … (what policies and faults name).
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    pub done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<AnyJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<AnyJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StoredError>,
    /// What finishing applies to the world (dropped once the operation is done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polls_left: Option<u32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    /// The tenant the operation belongs to (Channel: the reseller account id that started it). In strict auth only
    /// principals of that tenant see it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
}

impl Operation {
    pub fn new(name: String, family: Family, kind: &str, now: DateTime<Utc>) -> Self {
        Operation {
            name,
            family,
            kind: kind.to_string(),
            created_at: now,
            modified_at: now,
            done: false,
            metadata: None,
            response: None,
            error: None,
            action: None,
            deadline: None,
            polls_left: None,
            description: String::new(),
            created_by: String::new(),
            owner: String::new(),
        }
    }
}

/// How a pending operation is to end.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Apply the action; its result (or error) becomes the operation's.
    Succeed,
    /// Fail with this error (the action's effects are rolled back by its provider).
    Fail(ApiError),
}

/// The operation store plus the deadline index the completer walks.
#[derive(Debug, Clone)]
pub struct Ops {
    pub ops: crate::world::tracked::Tracked<String, Operation>,
    deadlines: BTreeSet<(DateTime<Utc>, String)>,
    pub policies: BTreeMap<String, Policy>,
    pub default_policy: Policy,
    /// Finished operations, oldest first: only the newest `keep_finished` are kept, so a long run stays small.
    finished: VecDeque<String>,
    pub keep_finished: usize,
}

impl Ops {
    pub fn new(default_policy: Policy) -> Self {
        Ops {
            ops: Default::default(),
            deadlines: BTreeSet::new(),
            policies: BTreeMap::new(),
            default_policy,
            finished: VecDeque::new(),
            keep_finished: crate::config::DEFAULT_KEEP_FINISHED,
        }
    }

    pub fn policy_for(&self, kind: &str) -> Policy {
        self.policies
            .get(kind)
            .copied()
            .unwrap_or(self.default_policy)
    }

    /// Stores a new, not yet done operation and schedules it by its kind's policy. Returns true when the policy
    /// says it must finish at once (the caller finishes it before answering).
    pub fn insert(&mut self, mut op: Operation, now: DateTime<Utc>) -> bool {
        let policy = self.policy_for(&op.kind);
        let immediate = match policy {
            Policy::Immediate => true,
            Policy::AfterMs(ms) => {
                let at = now + Duration::milliseconds(ms as i64);
                op.deadline = Some(at);
                self.deadlines.insert((at, op.name.clone()));
                false
            }
            Policy::AfterPolls(n) => {
                op.polls_left = Some(n.max(1));
                false
            }
            Policy::Manual => false,
        };
        self.ops.insert(op.name.clone(), op);
        immediate
    }

    /// Restores an operation as it was (state import): pending deadlines are rescheduled.
    pub fn restore(&mut self, op: Operation) {
        if let (false, Some(at)) = (op.done, op.deadline) {
            self.deadlines.insert((at, op.name.clone()));
        }
        let done = op.done.then(|| op.name.clone());
        self.ops.insert(op.name.clone(), op);
        if let Some(name) = done {
            self.remember_finished(name);
        }
    }

    /// Rebuilds the deadline index and the finished list from the operations (after a change record was replayed
    /// or undone). Finished operations are remembered oldest first by when they finished.
    pub fn reindex(&mut self) {
        self.deadlines.clear();
        let mut finished = Vec::new();
        for op in self.ops.values() {
            match (op.done, op.deadline) {
                (true, _) => finished.push((op.modified_at, op.name.clone())),
                (false, Some(at)) => {
                    self.deadlines.insert((at, op.name.clone()));
                }
                (false, None) => {}
            }
        }
        finished.sort();
        self.finished = finished.into_iter().map(|(_, n)| n).collect();
    }

    /// Keeps the newest `keep_finished` finished operations; older finished ones are forgotten.
    fn remember_finished(&mut self, name: String) {
        self.finished.push_back(name);
        while self.finished.len() > self.keep_finished {
            if let Some(old) = self.finished.pop_front()
                && self.ops.get(&old).is_some_and(|o| o.done)
            {
                self.ops.remove(&old);
            }
        }
    }

    /// Names of pending operations whose deadline has come.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(first) = self.deadlines.first() {
            if first.0 > now {
                break;
            }
            if let Some((_, name)) = self.deadlines.pop_first() {
                out.push(name);
            }
        }
        out
    }

    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// Counts a read of a pending `after_polls` operation; true when this read finishes it.
    pub fn count_poll(&mut self, name: &str) -> bool {
        match self.ops.get_mut(name) {
            Some(Operation {
                done: false,
                polls_left: Some(n),
                ..
            }) => {
                *n = n.saturating_sub(1);
                *n == 0
            }
            _ => false,
        }
    }

    /// Marks an operation done with its result and drops its deadline.
    pub fn mark_done(
        &mut self,
        name: &str,
        result: Result<Option<AnyJson>, ApiError>,
        now: DateTime<Utc>,
    ) {
        if let Some(op) = self.ops.get_mut(name) {
            if let Some(at) = op.deadline.take() {
                self.deadlines.remove(&(at, name.to_string()));
            }
            op.done = true;
            op.polls_left = None;
            op.modified_at = now;
            op.action = None;
            match result {
                Ok(resp) => op.response = resp.or(op.response.take()),
                Err(e) => {
                    op.response = None;
                    op.error = Some(StoredError::from(&e));
                }
            }
            self.remember_finished(name.to_string());
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Operation> {
        let op = self.ops.remove(name)?;
        if let Some(at) = op.deadline {
            self.deadlines.remove(&(at, name.to_string()));
        }
        Some(op)
    }

    pub fn clear(&mut self) {
        self.ops.clear();
        self.deadlines.clear();
        self.finished.clear();
    }

    pub fn pending(&self) -> impl Iterator<Item = &Operation> {
        self.ops.values().filter(|o| !o.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .expect("time")
    }

    #[test]
    fn after_ms_policy_schedules_a_deadline() {
        let mut ops = Ops::new(Policy::AfterMs(500));
        let now = at("2026-01-01T00:00:00Z");
        assert!(!ops.insert(
            Operation::new("operations/a".into(), Family::Channel, "k", now),
            now
        ));
        assert!(ops.due(now).is_empty());
        assert_eq!(ops.next_deadline(), Some(now + Duration::milliseconds(500)));
        assert_eq!(
            ops.due(now + Duration::seconds(1)),
            vec!["operations/a".to_string()]
        );
        assert_eq!(ops.next_deadline(), None);
    }

    #[test]
    fn per_kind_policies_override_the_default() {
        let mut ops = Ops::new(Policy::AfterMs(500));
        ops.policies.insert("k.manual".into(), Policy::Manual);
        ops.policies.insert("k.polls".into(), Policy::AfterPolls(2));
        ops.policies.insert("k.now".into(), Policy::Immediate);
        let now = at("2026-01-01T00:00:00Z");
        assert!(!ops.insert(
            Operation::new("m".into(), Family::Yandex, "k.manual", now),
            now
        ));
        assert!(!ops.insert(
            Operation::new("p".into(), Family::Yandex, "k.polls", now),
            now
        ));
        assert!(ops.insert(
            Operation::new("i".into(), Family::Yandex, "k.now", now),
            now
        ));
        assert_eq!(ops.next_deadline(), None);
        assert!(!ops.count_poll("p"));
        assert!(ops.count_poll("p"));
    }

    #[test]
    fn only_the_newest_finished_operations_are_kept() {
        let mut ops = Ops::new(Policy::Manual);
        ops.keep_finished = 2;
        let now = at("2026-01-01T00:00:00Z");
        for n in ["a", "b", "c"] {
            ops.insert(Operation::new(n.into(), Family::Yandex, "k", now), now);
        }
        ops.insert(
            Operation::new("pending".into(), Family::Yandex, "k", now),
            now,
        );
        for n in ["a", "b", "c"] {
            ops.mark_done(n, Ok(None), now);
        }
        assert!(!ops.ops.contains_key("a"), "oldest finished forgotten");
        assert!(ops.ops.contains_key("b") && ops.ops.contains_key("c"));
        assert!(
            ops.ops.contains_key("pending"),
            "pending operations are never forgotten"
        );
    }

    #[test]
    fn mark_done_keeps_the_operation_readable_with_its_error() {
        let mut ops = Ops::new(Policy::AfterMs(10));
        let now = at("2026-01-01T00:00:00Z");
        ops.insert(Operation::new("x".into(), Family::Scp, "k", now), now);
        ops.mark_done(
            "x",
            Err(ApiError::new(Code::Cancelled, "cancelled by the caller")),
            now,
        );
        let op = &ops.ops["x"];
        assert!(op.done);
        assert_eq!(op.error.as_ref().map(|e| e.code), Some(Code::Cancelled));
        assert_eq!(ops.next_deadline(), None);
    }
}
