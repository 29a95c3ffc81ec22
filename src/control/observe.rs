//! What every API request passes through (control-plane calls excepted), called from `server::Surface::handle`:
//! fault rules and the `x-provmock-fault` header, added latency, and the journal entry once the answer is known.

use std::time::{Duration, Instant};

use axum::response::Response;
use http::request::Parts;
use http::{HeaderValue, Method};

use crate::app::App;
use crate::error::ApiError;
use crate::family::Family;
use crate::observe::faults::{self, Facts};
use crate::observe::journal::{Entry, EntryBody};

/// The error a request must get instead of its answer, if a fault rule or the `x-provmock-fault` header says so;
/// sleeps first for the latency the matching rules add up to. `rpc` is the REST route's RPC name (gRPC calls are
/// named by their path).
pub async fn injected_fault(
    app: &App,
    parts: &Parts,
    path: &str,
    family: Family,
    grpc: bool,
    rpc: Option<&str>,
) -> Option<ApiError> {
    let forced = parts
        .headers
        .get("x-provmock-fault")
        .and_then(|v| v.to_str().ok())
        .map(faults::forced);
    // Most runs have no rules: skip the lock and the classification of the request then.
    let decision = if app.faults_active() {
        let method = parts.method.as_str();
        let rpc = if grpc {
            Some(path.trim_start_matches('/'))
        } else {
            rpc
        };
        app.with_faults(|rules| {
            rules.decide(&Facts {
                family,
                http_method: method,
                path,
                rpc,
                headers: &parts.headers,
            })
        })
    } else {
        faults::Decision::default()
    };
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    match (forced, decision.error) {
        (Some(Ok(err)), _) | (_, Some(err)) => Some(err),
        (Some(Err(bad)), _) => Some(bad.with_reason("BAD_FAULT_HEADER")),
        (None, None) => None,
    }
}

/// What a request was answered: the HTTP status for REST, the gRPC code (from headers) for gRPC.
pub fn answer_status(response: &Response, grpc: bool) -> u16 {
    if grpc {
        response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    } else {
        response.status().as_u16()
    }
}

/// A request on its way through, remembered for its journal entry.
pub struct Seen {
    /// The request's pinned "now": the instant its handler saw, as journaled.
    now: chrono::DateTime<chrono::Utc>,
    started: Instant,
    family: Family,
    grpc: bool,
    method: Method,
    path: String,
    request_id: HeaderValue,
}

impl Seen {
    pub fn start(
        parts: &Parts,
        path: String,
        family: Family,
        grpc: bool,
        request_id: &HeaderValue,
        now: chrono::DateTime<chrono::Utc>,
        started: Instant,
    ) -> Seen {
        Seen {
            now,
            started,
            family,
            grpc,
            method: parts.method.clone(),
            path,
            request_id: request_id.clone(),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Journals the request with its answer: the HTTP status for REST, the gRPC code for gRPC.
    pub fn record(self, app: &App, response: &Response, body: &[u8]) {
        if app.config.journal_size == 0 {
            return;
        }
        let status = answer_status(response, self.grpc);
        let body = if self.grpc {
            EntryBody::Size(body.len())
        } else {
            EntryBody::of_json(body)
        };
        let entry = Entry {
            seq: 0,
            time: self.now,
            family: self.family,
            grpc: self.grpc,
            http_method: self.method,
            path: self.path,
            status,
            duration_ms: self.started.elapsed().as_secs_f64() * 1e3,
            request_id: self.request_id,
            body,
        };
        let evicted = app
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .record(entry);
        drop(evicted);
    }
}
