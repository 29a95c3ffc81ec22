//! The middleware every API request passes through (control-plane calls excepted): fault rules and the
//! `x-provmock-fault` header, added latency, and the journal entry once the answer is known.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::faults::{self, Facts};
use super::journal::{Entry, redact_body};
use crate::app::App;
use crate::error::ApiError;
use crate::family::Family;
use crate::providers::google::RestPath;
use crate::providers::read_body;

fn is_grpc(req: &Request) -> bool {
    req.headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/grpc"))
}

fn render(err: &ApiError, family: Family, grpc: bool, request_id: &str) -> Response {
    if grpc {
        err.to_tonic(family).into_http::<Body>()
    } else {
        err.render(family, Some(request_id))
    }
}

pub async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_mock/") {
        return next.run(req).await;
    }
    let started = Instant::now();
    let grpc = is_grpc(&req);
    let family = if grpc {
        Family::of_grpc_path(&path)
    } else {
        Family::of_path(&path)
    };
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let method = req.method().as_str().to_string();
    let (parts, body) = req.into_parts();

    // Buffer the body once (it is at most BODY_LIMIT; larger ones are answered 413 here, in the family's format).
    let bytes = match read_body(&parts.headers, body).await {
        Ok(b) => b,
        Err(e) => return render(&e, family, grpc, &request_id),
    };
    // The RPC name of a REST request matters only to fault rules: classify it only when there are some.
    let rpc = if grpc {
        Some(path.trim_start_matches('/').to_string())
    } else {
        None
    };
    let forced = parts
        .headers
        .get("x-provmock-fault")
        .and_then(|v| v.to_str().ok())
        .map(faults::forced);
    let decision = {
        let mut rules = app.faults.lock().unwrap_or_else(|e| e.into_inner());
        if rules.list().is_empty() {
            faults::Decision::default()
        } else {
            let rpc = rpc.clone().or_else(|| {
                RestPath::parse(&path).ok().and_then(|p| {
                    let segs = p.segs();
                    faults::rest_rpc(family, &method, &segs, p.verb.as_deref())
                })
            });
            rules.decide(&Facts {
                family,
                http_method: &method,
                path: &path,
                rpc,
                headers: &parts.headers,
            })
        }
    };
    if decision.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.latency_ms)).await;
    }
    let not_applied = |mut r: Response| {
        r.extensions_mut().insert(crate::persist::NotApplied);
        r
    };
    let response = match (forced, decision.error) {
        (Some(Ok(err)), _) | (_, Some(err)) => not_applied(render(&err, family, grpc, &request_id)),
        (Some(Err(bad)), _) => not_applied(render(
            &bad.with_reason("BAD_FAULT_HEADER"),
            family,
            grpc,
            &request_id,
        )),
        (None, None) => {
            next.run(Request::from_parts(parts, Body::from(bytes.clone())))
                .await
        }
    };

    let status = if grpc {
        response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    } else {
        response.status().as_u16()
    };
    let body = if grpc {
        serde_json::Value::String(format!("(gRPC, {} bytes)", bytes.len()))
    } else {
        redact_body(&bytes)
    };
    let entry = Entry {
        seq: 0,
        time: app.clock.now(),
        family,
        protocol: if grpc { "grpc" } else { "http" },
        method: if grpc {
            rpc.unwrap_or_default()
        } else {
            method
        },
        path,
        status,
        duration_ms: started.elapsed().as_secs_f64() * 1e3,
        request_id,
        body,
    };
    app.journal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .record(entry);
    response
}
