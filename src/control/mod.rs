//! `/_mock/*`: the control plane tests use to steer provmock. JSON in and out; errors in Google's envelope.
//!
//! | route | what |
//! |---|---|
//! | `GET /_mock/health` | `{"status":"ok", ...}` |
//! | `POST /_mock/reset` | back to the fixtures |
//! | `GET /_mock/state` | the world (and operations) as JSON, secrets hashed |
//! | `GET /_mock/operations` | every operation (`?family=&kind=&done=`) |
//! | `POST /_mock/operations/{name}:complete` / `:fail` | finish one pending operation |
//! | `POST /_mock/operations:flush` | finish every pending operation now |
//! | `GET /_mock/ca.pem` | the CA certificate of the TLS listener |
//! | `POST /_mock/google/consumer-accounts` | `{"email": "..."}`: add an unmanaged consumer account (409 if taken) |
//! | `POST /_mock/invitations/customers/{c}/userinvitations/{email}:accept` / `:decline` | what the invited user does (also `/_mock/invitations/{c}/{email}:accept`) |
//! | `GET /_mock/mail` | every invitation email that would have been sent |
//! | `GET /_mock/ui` | the dashboard ([`ui`]); `GET /_mock/resources` its paged reads; `GET /_mock/events` its live
//! notices ([`events`]) |

pub mod events;
pub mod observe;
pub mod steer;
pub mod ui;

use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::error::{ApiError, ApiResult, Code, json_response};
use crate::family::Family;
use crate::providers::call;
use crate::providers::google::cloudidentity::service as cloudidentity;
use crate::providers::google::names::Email;
use crate::request::{Caller, Query, RestPath};
use crate::world::ops::{Operation, Outcome};

/// Whether a control call may change the world (a data dir syncs those): anything but a read, except the fault
/// rules and the journal, which are not part of the world.
pub fn writes(method: &Method, path: &str) -> bool {
    *method != Method::GET
        && !path.starts_with("/_mock/faults")
        && !path.starts_with("/_mock/journal")
}

/// `--control-token`: when set, every `/_mock/` call but `GET /_mock/health` and `GET /_mock/ca.pem` must carry
/// `Authorization: Bearer TOKEN`; otherwise 401 UNAUTHENTICATED in Google's envelope.
pub fn check_token(
    app: &App,
    method: &Method,
    path: &str,
    headers: &http::HeaderMap,
) -> ApiResult<()> {
    let Some(expected) = app.config.control_token.as_deref() else {
        return Ok(());
    };
    if *method == Method::GET
        && (matches!(path, "/_mock/health" | "/_mock/ca.pem") || ui::is_public(path))
    {
        return Ok(());
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    // An `EventSource` cannot send `Authorization`: the event stream also takes the events cookie.
    if given.is_none()
        && *method == Method::GET
        && path == "/_mock/events"
        && events::has_ticket(app, headers, expected)
    {
        return Ok(());
    }
    match given {
        Some(t) if same_secret(t, expected) => Ok(()),
        Some(_) => Err(ApiError::unauthenticated(
            "the bearer token is not this provmock's control token (--control-token)",
        )
        .with_reason("CONTROL_TOKEN_INVALID")),
        None => Err(ApiError::unauthenticated(format!(
            "this provmock was started with --control-token: {method} {path} needs `Authorization: Bearer <token>`"
        ))
        .with_reason("CONTROL_TOKEN_MISSING")),
    }
}

/// Compares two secrets by their SHA-256 digests, so the time taken says nothing about where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

pub async fn handle(app: App, parts: http::request::Parts, body: bytes::Bytes) -> Response {
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query());
    if path == "/_mock/ca.pem" && parts.method == Method::GET {
        return match app.listening().ca_pem {
            Some(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
            None => {
                ApiError::not_found("no generated CA: the TLS listener is off or uses --tls-cert")
                    .render(Family::Mock, None)
            }
        };
    }
    if parts.method == Method::GET {
        match path.as_str() {
            "/_mock/events" => {
                return events::stream(&app).unwrap_or_else(|e| e.render(Family::Mock, None));
            }
            "/_mock/events:ticket" => return events::ticket(&app),
            _ => {}
        }
        if let Some(resp) = ui::asset(&path) {
            return resp;
        }
    }
    match route(&app, &parts.method, &path, &query, &body) {
        Ok((status, v)) => json_response(status, &v),
        Err(e) => e.render(Family::Mock, None),
    }
}

fn route(
    app: &App,
    method: &Method,
    path: &str,
    query: &Query,
    body: &[u8],
) -> ApiResult<(StatusCode, Value)> {
    let p = RestPath::parse(path)?;
    let segs = p.segs();
    let rest = &segs[1..];
    let ok = |v: Value| Ok((StatusCode::OK, v));
    match (method.clone(), rest, p.verb.as_deref()) {
        (Method::GET, ["health"], None) => ok(health(app)),
        (Method::POST, ["reset"], None) => steer::reset(app, query),
        (Method::GET, ["state"], None) => ok(state(app)),
        (Method::PUT, ["state"], None) => steer::put_state(app, body),
        (Method::GET, ["operations", "policy"], None) => steer::get_policy(app),
        (Method::PUT, ["operations", "policy"], None) => steer::put_policy(app, body),
        (Method::DELETE, ["operations", "policy"], None) => steer::reset_policy(app),
        (Method::GET, ["faults"], None) => steer::list_faults(app),
        (Method::POST, ["faults"], None) => steer::add_fault(app, body),
        (Method::DELETE, ["faults"], None) => steer::delete_faults(app, None),
        (Method::DELETE, ["faults", id], None) => steer::delete_faults(app, Some(id)),
        (Method::GET, ["clock"], None) => steer::get_clock(app),
        (Method::PUT, ["clock"], None) => steer::set_clock(app, body),
        (Method::DELETE, ["clock"], None) => steer::real_clock(app),
        (Method::POST, ["clock"], Some("advance")) => steer::advance_clock(app, body),
        (Method::GET, ["journal"], None) => steer::journal(app, query, false),
        (Method::GET, ["journal"], Some("count")) => steer::journal(app, query, true),
        (Method::DELETE, ["journal"], None) => steer::clear_journal(app),
        (Method::GET, ["operations"], None) => ok(list_operations(app, query)?),
        (Method::POST, ["operations"], Some("flush")) => {
            let n = flush(app);
            ok(json!({"completed": n}))
        }
        (Method::POST, ["operations", _, ..], Some(verb @ ("complete" | "fail"))) => {
            // `/_mock/operations/{name}`: Channel names start with `operations/` themselves, so both
            // `/_mock/operations/provision-1:complete` and `/_mock/operations/operations/provision-1:complete` work.
            let short = rest[1..].join("/");
            let long = rest.join("/");
            let name = if app.lock().ops.ops.contains_key(&short) {
                short
            } else {
                long
            };
            let outcome = if verb == "complete" {
                Outcome::Succeed
            } else {
                Outcome::Fail(fail_error(&name, body)?)
            };
            ok(finish(app, &name, outcome)?)
        }
        (Method::POST, ["google", "consumer-accounts"], None) => {
            let b: ConsumerAccountBody = control_body(body)?;
            let email = Email::parse(b.email, "email")?;
            let a = call(
                app,
                &Caller::default(),
                (email, b.managed),
                cloudidentity::create_consumer_account,
            )?;
            ok(serde_json::to_value(a).unwrap_or_default())
        }
        (
            Method::POST,
            [
                "invitations",
                "customers",
                customer,
                "userinvitations",
                email,
            ]
            | ["invitations", customer, email],
            Some(verb @ ("accept" | "decline")),
        ) => {
            let req = cloudidentity::Respond::parse(customer, email, verb == "accept")?;
            let inv = call(app, &Caller::default(), req, cloudidentity::respond)?;
            ok(cloudidentity::invitation_json(&inv))
        }
        (Method::GET, ["mail"], None) => {
            let mail = call(app, &Caller::default(), (), cloudidentity::mail)?;
            ok(json!({"mail": mail}))
        }
        (Method::GET, ["resources"], None) => ok(ui::resources(app, query)?),
        // The page, its assets and the event stream were served before routing; nothing else is under them.
        (Method::GET, ["ui" | "events", ..], _) => Err(ApiError::not_found(format!(
            "no control route {method} {path}"
        ))),
        (
            _,
            [
                "health" | "reset" | "state" | "operations" | "mail" | "faults" | "clock"
                | "journal" | "resources" | "ui" | "events",
                ..,
            ],
            _,
        )
        | (_, ["google", "consumer-accounts"], _)
        | (_, ["invitations", ..], Some("accept" | "decline")) => Err(ApiError::new(
            Code::Unimplemented,
            format!("method {method} is not allowed on {path}"),
        )
        .with_http_status(StatusCode::METHOD_NOT_ALLOWED)),
        _ => Err(ApiError::not_found(format!(
            "no control route {method} {path}"
        ))),
    }
}

fn health(app: &App) -> Value {
    let l = app.listening();
    let families: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
    json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "families": families,
        "port": l.plain_port,
        "tls_port": l.tls_port,
        "auth": app.config.auth,
        "now": crate::clock::rfc3339(app.clock.now()),
    })
}

fn state(app: &App) -> Value {
    let st = app.lock();
    let doc = st.world.to_document(None);
    let mut v = serde_json::to_value(&doc).unwrap_or_default();
    let ops: Vec<&Operation> = st.ops.ops.values().collect();
    v["operations"] = serde_json::to_value(ops).unwrap_or_default();
    v
}

fn list_operations(app: &App, query: &Query) -> ApiResult<Value> {
    let family =
        match query.get(&["family"]) {
            Some(f) => Some(Family::parse(f).ok_or_else(|| {
                ApiError::invalid_field("family", format!("unknown family `{f}`"))
            })?),
            None => None,
        };
    let kind = query.get(&["kind"]);
    let done = match query.get(&["done"]) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::invalid_field(
                "done",
                format!("`{other}` is not true or false"),
            ));
        }
    };
    let st = app.lock();
    let ops: Vec<&Operation> = st
        .ops
        .ops
        .values()
        .filter(|o| family.is_none_or(|f| o.family == f))
        .filter(|o| kind.is_none_or(|k| o.kind == k))
        .filter(|o| done.is_none_or(|d| o.done == d))
        .collect();
    Ok(json!({"operations": ops}))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConsumerAccountBody {
    email: String,
    #[serde(default)]
    managed: bool,
}

/// A control-plane JSON body; anything unparsable is INVALID_ARGUMENT.
fn control_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    crate::json_strict::from_slice(body)
        .map_err(|e| ApiError::invalid_argument(format!("invalid request body: {e}")))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FailBody {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
}

fn fail_error(name: &str, body: &[u8]) -> ApiResult<ApiError> {
    let b: FailBody = if body.iter().all(u8::is_ascii_whitespace) {
        FailBody::default()
    } else {
        crate::json_strict::from_slice(body)
            .map_err(|e| ApiError::invalid_argument(format!("invalid fail body: {e}")))?
    };
    let code = match &b.code {
        None => Some(Code::Internal),
        Some(Value::Number(n)) => n.as_i64().and_then(|n| Code::from_i32(n as i32)),
        Some(Value::String(s)) => Code::parse(s),
        _ => None,
    }
    .filter(|c| *c != Code::Ok)
    .ok_or_else(|| {
        ApiError::invalid_field(
            "code",
            format!(
                "`{}` is not an error code",
                b.code.clone().unwrap_or_default()
            ),
        )
    })?;
    Ok(ApiError::new(
        code,
        b.message
            .unwrap_or_else(|| format!("operation `{name}` failed (injected by the test)")),
    ))
}

fn finish(app: &App, name: &str, outcome: Outcome) -> ApiResult<Value> {
    let now = app.clock.now();
    let mut st = app.lock();
    let op = st
        .ops
        .ops
        .get(name)
        .ok_or_else(|| ApiError::not_found(format!("operation `{name}` not found")))?;
    if op.done {
        return Err(ApiError::failed_precondition(format!(
            "operation `{name}` is already done"
        )));
    }
    st.finish_operation(name, outcome, now);
    let op = st.ops.ops.get(name).cloned();
    Ok(serde_json::to_value(op).unwrap_or_default())
}

/// Finishes every pending operation now (as if each deadline had come).
pub fn flush(app: &App) -> usize {
    let now = app.clock.now();
    let mut st = app.lock();
    let names: Vec<String> = st.ops.pending().map(|o| o.name.clone()).collect();
    for n in &names {
        st.finish_operation(n, Outcome::Succeed, now);
    }
    names.len()
}
