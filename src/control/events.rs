//! `GET /_mock/events` and `GET /_mock/events:ticket`: the Server-Sent Events stream of change notices (the
//! broadcaster is [`crate::observe::events`]), the cookie an `EventSource` opens it with, and the notices sent after
//! every answered request.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode, header};

use crate::app::App;
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::observe::events::{MAX_LISTENERS, Notice, frames, heartbeat};

/// The events cookie lives this long (seconds); the page asks for a new one when it reconnects.
const COOKIE_MAX_AGE: u64 = 12 * 3600;

/// After a request `Surface` answered (called only while someone listens): a `request` notice for an API request
/// (`changed` when it succeeded and its route writes), a `control` notice for a control call that changed something.
pub fn after_request(
    app: &App,
    method: &Method,
    path: &str,
    family: Family,
    grpc: bool,
    writes: bool,
    response: &Response,
) {
    let control = family == Family::Mock;
    let status = super::observe::answer_status(response, grpc);
    let ok = if grpc {
        status == 0
    } else {
        response.status().is_success()
    };
    if control {
        if *method == Method::GET || !ok {
            return;
        }
        app.events.send(&mut Notice {
            seq: 0,
            kind: "control",
            family: None,
            name: path,
            method: method.as_str(),
            status,
            changed: true,
        });
    } else {
        let rpc_or_method = if grpc { "POST" } else { method.as_str() };
        app.events.send(&mut Notice {
            seq: 0,
            kind: "request",
            family: Some(family),
            name: path,
            method: rpc_or_method,
            status,
            changed: ok && writes,
        });
    }
}

/// `GET /_mock/events`.
pub fn stream(app: &App) -> ApiResult<Response> {
    let Some(listener) = app.events.subscribe() else {
        return Err(ApiError::new(
            Code::ResourceExhausted,
            format!("at most {MAX_LISTENERS} event streams may be open at once"),
        )
        .with_http_status(StatusCode::TOO_MANY_REQUESTS));
    };
    let hello = format!(
        "retry: 2000\nevent: hello\ndata: {{\"seq\":{}}}\n\n",
        app.events.seq()
    );
    let body = Body::from_stream(frames(listener, heartbeat(app.config.idle_timeout), hello));
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

/// `GET /_mock/events:ticket`: with `--control-token`, sets the events cookie (`provmock_events_<port>`, HttpOnly,
/// SameSite=Strict, Path=/_mock/events) an `EventSource` sends, since it cannot send `Authorization`. The cookie holds
/// the events ticket, never the token. Without a control token there is nothing to set.
pub fn ticket(app: &App) -> Response {
    let (body, cookie) = match app.config.control_token.as_deref() {
        None => (serde_json::json!({"cookie": null}), None),
        Some(token) => {
            let name = format!("provmock_events_{}", app.listening().plain_port);
            let cookie = format!(
                "{name}={}; Path=/_mock/events; HttpOnly; SameSite=Strict; Max-Age={COOKIE_MAX_AGE}",
                app.events.ticket(token)
            );
            (
                serde_json::json!({"cookie": name, "max_age": COOKIE_MAX_AGE}),
                HeaderValue::from_str(&cookie).ok(),
            )
        }
    };
    let mut resp = crate::error::json_response(StatusCode::OK, &body);
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = cookie {
        h.insert(header::SET_COOKIE, c);
    }
    resp
}

/// Whether a request to `/_mock/events` carries the events cookie for `control_token` (any cookie named
/// `provmock_events…`, so provmocks on other ports of the same host do not shadow each other's).
pub fn has_ticket(app: &App, headers: &http::HeaderMap, control_token: &str) -> bool {
    let ticket = app.events.ticket(control_token);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(name, value)| {
            name.starts_with("provmock_events") && super::same_secret(value.trim(), &ticket)
        })
}
