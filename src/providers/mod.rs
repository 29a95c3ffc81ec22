//! The API families. Each method is implemented once in a `service.rs` (a `service/` directory, by method group,
//! for Channel and Yandex). Each family declares its routes once, as data, in its `routes.rs` (for Channel a
//! `routes/` directory, a file per method group, joined into one table): method, template, RPC name, whether it
//! writes, the REST handler and, for Channel and Yandex, the gRPC binding of the RPC ([`binding`]: a closure over
//! the service function, turned into a plain `fn` by `grpc!`). The REST handlers are inline closures in the entry,
//! over the family's small helpers (Channel's `routes/bind.rs`, Yandex's `rest.rs`, those below the table for Cloud
//! Identity and SCP); an RPC served on two paths shares a named fn next to its entries, and a long handler
//! (Yandex's `UpdateUser`) is a named fn in the helpers. So adding an RPC touches its family's route table, its
//! service and its tests, nothing else. This module holds what all adapters share: the parsed REST request, the
//! lookup of a request in its family's table ([`Routed`], and [`grpc_route`] for gRPC methods) and the REST entry
//! point.
//!
//! The Google families' service functions are `fn(&mut Ctx, Request) -> ApiResult<Response>` ([`ctx`]): the adapter
//! binds path, query and body into the request message, [`serve`] parses it into the service's request type
//! (`TryFrom`, domain types from `google::names`, outside the lock), then [`call`] locks once, pins "now", runs the
//! service, unlocks and does what the service left for after the lock (waking the operation completer). SCP and
//! Yandex services take the same `Ctx`; what those families check before reading a request travels with it,
//! parsed outside the lock too: SCP's API version and signature (`scp::auth::Signed`), Yandex's caller
//! (`yandex::iam::Checked`, which answers what parsing found wrong only once the caller is authorized). Yandex's
//! endpoint discovery alone takes no lock: it reads the listeners, not the world.

pub mod binding;
pub mod ctx;
pub mod google;
pub mod scp;
pub mod yandex;

use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};

pub use self::binding::GrpcFn;
pub use self::ctx::{Ctx, call, serve};
use self::google::Version;
use crate::app::App;
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::request::{Caller, Query, RestPath};
use crate::route::{self, Found, Vars};

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
    /// What the route's template captured.
    pub vars: Vars,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub caller: Caller,
    pub request_id: Option<String>,
}

impl RestRequest {
    /// A variable the route's template captured (`parent`, `name`, …), its segments joined with `/`.
    pub fn var(&self, name: &str) -> String {
        self.vars.get(&self.path, name)
    }

    /// The API version the path starts with (`v1` when it names none).
    pub fn version(&self) -> Version {
        self.path
            .segments
            .first()
            .and_then(|s| Version::parse(s))
            .unwrap_or(Version::V1)
    }

    /// The host (and port) the client addressed: HTTP/2's `:authority` (HTTP/2 sends no `Host`), else `Host`.
    pub fn authority(&self) -> Option<&str> {
        self.uri_authority.as_ref().map(|a| a.as_str()).or_else(|| {
            self.headers
                .get(http::header::HOST)
                .and_then(|v| v.to_str().ok())
        })
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

/// What a family's route does with a request: answer JSON (Google and Yandex), or build the whole response (SCP
/// sets its own status and headers).
#[derive(Clone, Copy)]
pub enum Handler {
    Json(fn(&RestRequest) -> ApiResult<google::JsonBody>),
    Raw(fn(&RestRequest) -> ApiResult<Response>),
}

/// A route of one of the families' tables: its REST handler and, for an RPC served over gRPC, its gRPC binding.
pub type Route = crate::route::Route<Handler, GrpcFn>;

/// Every family's route table, with how many leading segments (the API versions it serves) come before its
/// templates.
pub fn tables() -> [(Family, &'static [Route]); 4] {
    [
        (Family::Channel, &google::channel::routes::ROUTES),
        (Family::CloudIdentity, google::cloudidentity::routes::ROUTES),
        (Family::Scp, scp::routes::ROUTES),
        (Family::Yandex, yandex::routes::ROUTES),
    ]
}

/// A REST request looked up once, before it is served: the family (by the cheap pick of [`Family::of_path`]), the
/// parsed path and the route of that family's table it matched. Fault rules, the journal, the data dir's sync and
/// the dispatch all read it.
pub struct Routed {
    pub family: Family,
    path: ApiResult<RestPath>,
    found: Found<'static, Handler, GrpcFn>,
}

impl Routed {
    pub fn new(method: &Method, raw_path: &str) -> Routed {
        let family = Family::of_path(raw_path);
        let path = RestPath::parse(raw_path);
        let found = match &path {
            Ok(p) => {
                let first = p.segments.first().and_then(|s| Version::parse(s));
                match (family, first) {
                    (Family::Channel, Some(Version::V1 | Version::V1alpha1)) => {
                        route::find(&google::channel::routes::ROUTES, method, p, 1)
                    }
                    (Family::CloudIdentity, Some(Version::V1 | Version::V1beta1)) => {
                        route::find(google::cloudidentity::routes::ROUTES, method, p, 1)
                    }
                    (Family::Scp, _) => route::find(scp::routes::ROUTES, method, p, 0),
                    (Family::Yandex, _) => route::find(yandex::routes::ROUTES, method, p, 0),
                    _ => Found::Nothing,
                }
            }
            Err(_) => Found::Nothing,
        };
        Routed {
            family,
            path,
            found,
        }
    }

    /// The matched route.
    pub fn route(&self) -> Option<&'static Route> {
        match &self.found {
            Found::Route(r, _) => Some(r),
            _ => None,
        }
    }

    /// The RPC the request stands for (`package.Service/Method`), as fault rules name it.
    pub fn rpc(&self) -> Option<&'static str> {
        self.route().map(|r| r.rpc)
    }

    /// Whether serving it may change the world: what its route says; a request no route takes changes nothing.
    pub fn writes(&self) -> bool {
        self.route().is_some_and(|r| r.writes)
    }
}

/// The route of a gRPC method (`/package.Service/Method`): the entry of its family's table with that RPC name and
/// a gRPC binding. `None` is a method provmock does not serve.
pub fn grpc_route(path: &str) -> Option<&'static Route> {
    let rpc = path.strip_prefix('/').unwrap_or(path);
    let table: &'static [Route] = match Family::of_grpc_path(path) {
        Family::Yandex => yandex::routes::ROUTES,
        _ => &google::channel::routes::ROUTES,
    };
    table.iter().find(|r| r.grpc.is_some() && r.rpc == rpc)
}

/// The REST entry point for every family: serves the route the request was looked up to ([`Routed`]), or answers
/// why none takes it. The body was read (bounded) by the caller.
pub async fn rest(
    app: App,
    parts: http::request::Parts,
    body: Bytes,
    scheme: &'static str,
    routed: Routed,
) -> Response {
    let raw_path = parts.uri.path().to_string();
    let family = routed.family;
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let path = match routed.path {
        Ok(p) => p,
        Err(e) => return e.render(family, request_id.as_deref()),
    };
    let (handler, vars) = match &routed.found {
        Found::Route(route, vars) => (Some(&route.handler), *vars),
        _ => (None, Vars::default()),
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
        vars,
        query: Query::parse(parts.uri.query()),
        headers: parts.headers,
        body,
        request_id,
    };
    let result = match (handler, routed.found) {
        (Some(Handler::Json(h)), _) => h(&r).map(google::ok_json),
        (Some(Handler::Raw(h)), _) => h(&r),
        (None, Found::WrongMethod(allowed)) => Err(method_not_allowed(&r, &allowed)),
        (None, _) => Err(unrouted(&r, family)),
    };
    result.unwrap_or_else(|e| e.render(family, r.request_id.as_deref()))
}

/// Why no route takes a request: 404 ROUTE_NOT_FOUND, or UNIMPLEMENTED where provmock knows the API but does not
/// serve it (Cloud Identity's other versions and APIs, Yandex IdP's other methods).
fn unrouted(r: &RestRequest, family: Family) -> ApiError {
    let version = r.path.segments.first().and_then(|s| Version::parse(s));
    match (family, version) {
        (Family::CloudIdentity, Some(Version::V1 | Version::V1beta1)) => route_not_found(r),
        (Family::CloudIdentity, _) => ApiError::unimplemented(format!(
            "the {} API is not implemented by this provmock build ({} {})",
            family.name(),
            r.method,
            r.raw_path
        )),
        (Family::Yandex, _) => yandex::rest::unrouted(r),
        _ => route_not_found(r),
    }
}
