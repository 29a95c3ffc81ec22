//! The steering calls of the control plane: operation policies, faults, the clock, the journal, state import and
//! per-family reset.

use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::observe::faults::RuleSpec;
use crate::observe::journal::Filter;
use crate::request::Query;
use crate::world::Document;
use crate::world::ops::Policy;

pub type Reply = ApiResult<(StatusCode, Value)>;

fn ok(v: Value) -> Reply {
    Ok((StatusCode::OK, v))
}

/// Parses a control body strictly (unknown fields are errors), naming the path of a problem.
pub fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let text = if bytes.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        bytes
    };
    crate::request::decode_json(text, "invalid body:")
}

// ---------- operation policies ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyBody {
    /// An operation kind (`channel.provisionCloudIdentity`, `scp.createAccount`, `yandex.createUser`, …); absent or
    /// `*` sets the default for every kind.
    #[serde(default)]
    kind: Option<String>,
    policy: Policy,
}

pub fn get_policy(app: &App) -> Reply {
    let st = app.lock();
    ok(json!({"default": st.ops.default_policy, "kinds": st.ops.policies}))
}

pub fn put_policy(app: &App, bytes: &[u8]) -> Reply {
    let b: PolicyBody = body(bytes)?;
    if let Policy::AfterPolls(0) = b.policy {
        return Err(ApiError::invalid_field(
            "policy.after_polls",
            "must be at least 1",
        ));
    }
    let mut st = app.lock();
    match b.kind.as_deref() {
        None | Some("*") | Some("") => {
            st.ops.default_policy = b.policy;
            st.ops.policies.clear();
        }
        Some(kind) => {
            st.ops.policies.insert(kind.to_string(), b.policy);
        }
    }
    let out = json!({"default": st.ops.default_policy, "kinds": st.ops.policies});
    ok(out)
}

pub fn reset_policy(app: &App) -> Reply {
    let mut st = app.lock();
    st.ops.default_policy = Policy::from_delay(app.config.lro_delay);
    st.ops.policies.clear();
    ok(json!({"default": st.ops.default_policy, "kinds": {}}))
}

// ---------- faults ----------

pub fn list_faults(app: &App) -> Reply {
    app.with_faults(|f| ok(json!({"rules": f.list()})))
}

pub fn add_fault(app: &App, bytes: &[u8]) -> Reply {
    let spec: RuleSpec = body(bytes)?;
    let rule = app.with_faults(|f| f.add(spec))?;
    Ok((
        StatusCode::CREATED,
        serde_json::to_value(rule).unwrap_or_default(),
    ))
}

pub fn delete_faults(app: &App, id: Option<&str>) -> Reply {
    app.with_faults(|f| match id {
        None => {
            f.clear();
            ok(json!({}))
        }
        Some(id) if f.remove(id) => ok(json!({})),
        Some(id) => Err(ApiError::not_found(format!("fault rule `{id}` not found"))),
    })
}

// ---------- clock ----------

pub fn get_clock(app: &App) -> Reply {
    ok(json!({"now": rfc3339(app.clock.now_unpinned()), "mode": app.clock.mode()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClock {
    now: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

pub fn set_clock(app: &App, bytes: &[u8]) -> Reply {
    let b: SetClock = body(bytes)?;
    app.clock.set(b.now);
    get_clock(app)
}

pub fn advance_clock(app: &App, bytes: &[u8]) -> Reply {
    let b: Advance = body(bytes)?;
    if !b.seconds.is_finite() || b.seconds.abs() > 1e11 {
        return Err(ApiError::invalid_field(
            "seconds",
            format!("{} is not a usable number of seconds", b.seconds),
        ));
    }
    app.clock
        .advance(chrono::Duration::microseconds((b.seconds * 1e6) as i64));
    get_clock(app)
}

pub fn real_clock(app: &App) -> Reply {
    app.clock.reset();
    get_clock(app)
}

// ---------- journal ----------

pub fn journal(app: &App, q: &Query, count_only: bool) -> Reply {
    let f = Filter::parse(q)?;
    let journal = || app.journal.lock().unwrap_or_else(|e| e.into_inner());
    if count_only {
        return ok(json!({"count": journal().count(&f)}));
    }
    let limit = match q.get(&["limit"]) {
        None | Some("") => 1000,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ApiError::invalid_field("limit", format!("`{v}` is not a number")))?,
    };
    // Copied out under the lock, rendered (bodies parsed and redacted) after it: requests journal meanwhile.
    let entries = journal().query(&f, limit);
    ok(json!({"entries": entries}))
}

pub fn clear_journal(app: &App) -> Reply {
    app.journal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    ok(json!({}))
}

// ---------- state and reset ----------

/// `PUT /_mock/state`: replaces the world (and operations) with a document validated like fixtures; a bad document
/// is 400 with the path of the problem and changes nothing.
pub fn put_state(app: &App, bytes: &[u8]) -> Reply {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::invalid_argument("state body is not UTF-8"))?;
    let doc = Document::parse(text).map_err(|e| {
        ApiError::invalid_argument(format!("invalid state at `{}`: {}", e.path, e.problem))
            .with_violation(e.path, e.problem)
    })?;
    app.replace_state(&doc).map_err(|e| {
        ApiError::invalid_argument(format!("invalid state at `{}`: {}", e.path, e.problem))
            .with_violation(e.path, e.problem)
    })?;
    ok(json!({"status": "replaced"}))
}

pub fn reset(app: &App, q: &Query) -> Reply {
    match q.get(&["family"]).filter(|f| !f.is_empty()) {
        None => app
            .reset()
            .map_err(|e| ApiError::internal(format!("fixtures no longer load: {e}")))?,
        Some(f) => {
            let family = Family::parse(f)
                .filter(|f| *f != Family::Mock)
                .ok_or_else(|| {
                    ApiError::invalid_field("family", format!("unknown family `{f}`"))
                })?;
            app.reset_family(family)
                .map_err(|e| ApiError::internal(format!("fixtures no longer load: {e}")))?;
        }
    }
    ok(json!({"status": "reset"}))
}
