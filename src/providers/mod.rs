//! The API families. Each method is implemented once in a `service.rs`; `rest.rs` and `grpc.rs` are thin adapters.
//! This module holds what all REST adapters share: the parsed request, the entry point that picks the family by
//! path, and the operation hooks the engine calls when an operation finishes.

pub mod google;
pub mod scp;
pub mod yandex;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use self::google::{Caller, Query, RestPath, Version};
use crate::app::{App, State};
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::ops::{AnyJson, Operation};

/// Largest request body accepted (1 MiB); larger ones get 413 in the family's envelope.
pub const BODY_LIMIT: usize = 1 << 20;

/// A REST request, parsed once for every adapter.
pub struct RestRequest {
    pub app: App,
    pub method: Method,
    pub raw_path: String,
    /// The raw (still percent-encoded) query string, as clients sign it.
    pub raw_query: Option<String>,
    /// `http` or `https`: which listener the request came in on.
    pub scheme: &'static str,
    /// HTTP/2's `:authority` (HTTP/1.1 requests carry `Host` instead): see [`RestRequest::authority`].
    pub uri_authority: Option<http::uri::Authority>,
    pub path: RestPath,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub caller: Caller,
    pub request_id: Option<String>,
}

impl RestRequest {
    /// The host (and port) the client addressed: HTTP/2's `:authority` (HTTP/2 sends no `Host`), else `Host`.
    pub fn authority(&self) -> Option<&str> {
        self.uri_authority.as_ref().map(|a| a.as_str()).or_else(|| {
            self.headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
        })
    }

    /// 405 in the family's envelope unless the method is one of `allowed`.
    pub fn allow(&self, allowed: &[Method]) -> ApiResult<()> {
        if allowed.contains(&self.method) {
            Ok(())
        } else {
            Err(method_not_allowed(self, allowed))
        }
    }
}

/// guess: Google's front ends answer an unknown method on a known path with 404 or 405 depending on the product;
/// we answer 405 with an `Allow` list in the message and status UNIMPLEMENTED.
pub fn method_not_allowed(r: &RestRequest, allowed: &[Method]) -> ApiError {
    let list: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    ApiError::new(
        Code::Unimplemented,
        format!(
            "method {} is not allowed on {} (allowed: {})",
            r.method,
            r.raw_path,
            list.join(", ")
        ),
    )
    .with_reason("METHOD_NOT_ALLOWED")
    .with_http_status(StatusCode::METHOD_NOT_ALLOWED)
}

pub fn route_not_found(r: &RestRequest) -> ApiError {
    let verb = r
        .path
        .verb
        .as_deref()
        .map(|v| format!(" (custom verb `:{v}`)"))
        .unwrap_or_default();
    ApiError::not_found(format!("no route for {} {}{verb}", r.method, r.raw_path))
        .with_reason("ROUTE_NOT_FOUND")
}

/// The REST entry point for every family: parses the path and query once, dispatches, renders. The body was read
/// (bounded) by the caller.
pub async fn rest(
    app: App,
    parts: http::request::Parts,
    body: Bytes,
    scheme: &'static str,
) -> Response {
    let raw_path = parts.uri.path().to_string();
    let family = Family::of_path(&raw_path);
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let path = match RestPath::parse(&raw_path) {
        Ok(p) => p,
        Err(e) => return e.render(family, request_id.as_deref()),
    };
    let r = RestRequest {
        caller: Caller::from_headers(&parts.headers),
        app,
        method: parts.method,
        raw_path,
        raw_query: parts.uri.query().map(str::to_string),
        scheme,
        uri_authority: parts.uri.authority().cloned(),
        path,
        query: Query::parse(parts.uri.query()),
        headers: parts.headers,
        body,
        request_id,
    };
    let result = match family {
        Family::Scp => scp::rest::route(&r),
        _ => dispatch(&r, family).map(google::ok_json),
    };
    result.unwrap_or_else(|e| e.render(family, r.request_id.as_deref()))
}

fn dispatch(r: &RestRequest, family: Family) -> ApiResult<google::JsonBody> {
    let version = r.path.segments.first().and_then(|s| Version::parse(s));
    match (family, version) {
        (Family::Channel, Some(v @ (Version::V1 | Version::V1alpha1))) => {
            google::channel::rest::route(r, v)
        }
        (Family::CloudIdentity, Some(v @ (Version::V1 | Version::V1beta1))) => {
            google::cloudidentity::rest::route(r, v).map(Into::into)
        }
        (Family::Yandex, _) => yandex::rest::route(r).map(Into::into),
        (Family::CloudIdentity, _) => Err(ApiError::unimplemented(format!(
            "the {} API is not implemented by this provmock build ({} {})",
            family.name(),
            r.method,
            r.raw_path
        ))),
        _ => Err(route_not_found(r)),
    }
}

/// Decodes JSON, naming the field path of the first problem (`customer.domain`, or `body` for the document itself).
/// Each family phrases the error its own way with `prefix`.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8], prefix: &str) -> ApiResult<T> {
    // Valid bodies (nearly all of them) take the plain decoder; only a failure is decoded again with the path
    // tracking that names the field, which costs a wrapper per value.
    // Arrays where an object belongs are refused at any depth (serde's derived structs would take `[]` as a
    // struct of defaults).
    if let Ok(v) = crate::json_strict::from_slice(bytes) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(crate::json_strict::ObjectsOnly::new(de)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        ApiError::invalid_argument(format!("{prefix} {inner} (at `{field}`)"))
            .with_violation(field, inner)
    })
}

/// Reads a body of at most [`BODY_LIMIT`] bytes within `timeout`: 413 when larger, 408 when it does not arrive in
/// time (a slow or stalled client), 400 when the client breaks off before its end (a half-sent body).
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    timeout: std::time::Duration,
) -> ApiResult<Bytes> {
    use http_body_util::BodyExt;
    let too_large = |n: Option<u64>| {
        let size = n
            .map(|n| format!("{n} bytes"))
            .unwrap_or_else(|| "more than the limit".to_string());
        ApiError::invalid_argument(format!(
            "request body of {size} exceeds the {BODY_LIMIT}-byte limit"
        ))
        .with_reason("REQUEST_TOO_LARGE")
        .with_http_status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large(declared));
    }
    // Most reads (GET) have no body: no timer for them.
    if http_body::Body::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let collect = http_body_util::Limited::new(body, BODY_LIMIT).collect();
    match tokio::time::timeout(timeout, collect).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(None)),
        Ok(Err(e)) => Err(ApiError::invalid_argument(format!(
            "the request body broke off before its end: {e}"
        ))
        .with_reason("INCOMPLETE_BODY")),
        // guess: Google's front ends answer a stalled upload with 408; the code is DEADLINE_EXCEEDED.
        Err(_) => Err(ApiError::new(
            Code::DeadlineExceeded,
            format!(
                "the request body did not arrive within {:?} (--body-timeout)",
                timeout
            ),
        )
        .with_reason("REQUEST_TIMEOUT")
        .with_http_status(StatusCode::REQUEST_TIMEOUT)),
    }
}

/// Called by the operation engine when an operation succeeds: applies its action to the world.
pub fn complete_operation(
    st: &mut State,
    op: &Operation,
    now: DateTime<Utc>,
) -> ApiResult<Option<AnyJson>> {
    match op.kind.as_str() {
        google::channel::service::PROVISION_KIND => {
            google::channel::service::complete_provision(st, op, now)
        }
        k if google::channel::orders::KINDS.contains(&k) => {
            google::channel::orders::complete_order(st, op, now)
        }
        scp::service::CREATE_KIND => scp::service::complete_create(st, op, now),
        yandex::service::CREATE_USER_KIND => yandex::service::complete_create_user(st, op, now),
        yandex::service::CREATE_POOL_KIND => yandex::service::complete_create_pool(st, op, now),
        _ => Ok(op.response.clone()),
    }
}

/// Called by the operation engine when an operation fails or is cancelled: undoes what its start reserved.
pub fn abort_operation(st: &mut State, op: &Operation, _err: &ApiError, now: DateTime<Utc>) {
    match op.kind.as_str() {
        google::channel::service::PROVISION_KIND => {
            google::channel::service::abort_provision(st, op)
        }
        k if google::channel::orders::KINDS.contains(&k) => {
            google::channel::orders::abort_order(st, op)
        }
        scp::service::CREATE_KIND => scp::service::abort_create(st, op, now),
        yandex::service::CREATE_USER_KIND | yandex::service::CREATE_POOL_KIND => {
            yandex::service::abort_create(st, op)
        }
        _ => {}
    }
}

pub fn header_str(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static(""))
}
