//! gRPC plumbing shared by every family: one dispatch by path to the gRPC binding of the RPC's route (the families'
//! route tables carry them, `providers::binding`), server reflection, UNIMPLEMENTED naming the RPC for methods we
//! declare but do not serve, decode failures turned into INVALID_ARGUMENT, and panics turned into INTERNAL.

use axum::{Router, body::Body, extract::Request, response::Response};

use crate::app::App;
use crate::error::ApiError;
use crate::family::Family;

/// tonic reports a request message it cannot decode (or a malformed gRPC frame) as INTERNAL; it is the client's
/// fault, so it becomes INVALID_ARGUMENT with a `BadRequest` detail, in the family's format.
fn client_fault_as_invalid_argument(resp: Response, rpc: &str, family: Family) -> Response {
    let headers = resp.headers();
    if headers.get("grpc-status").and_then(|v| v.to_str().ok()) != Some("13") {
        return resp;
    }
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .map(|m| {
            percent_encoding::percent_decode_str(m)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    let client_fault = [
        "failed to decode Protobuf message",
        "protocol error",
        "Unexpected EOF",
    ]
    .iter()
    .any(|p| message.starts_with(p));
    if !client_fault {
        return resp;
    }
    let rpc = rpc.replace('/', ".");
    ApiError::invalid_argument(format!(
        "the request message of `{rpc}` is not a valid protobuf message: {message}"
    ))
    .with_violation("request", message)
    .to_tonic(family)
    .into_http::<Body>()
}

/// The services that are not in a route table: server reflection, v1 and v1alpha.
#[derive(Clone)]
struct Services {
    app: App,
    reflection_v1: tonic_reflection::pb::v1::server_reflection_server::ServerReflectionServer<
        crate::reflection::v1::ReflectionV1,
    >,
    reflection_v1alpha:
        tonic_reflection::pb::v1alpha::server_reflection_server::ServerReflectionServer<
            crate::reflection::v1alpha::ReflectionV1alpha,
        >,
}

/// Calls a tonic service (whose error type is `Infallible`) and gives its answer an axum body.
async fn call<S>(svc: &S, req: Request) -> Response
where
    S: tower::Service<
            Request,
            Response = http::Response<tonic::body::Body>,
            Error = std::convert::Infallible,
        > + Clone,
{
    use tower::ServiceExt;
    match svc.clone().oneshot(req).await {
        Ok(resp) => resp.map(Body::new),
        Err(never) => match never {},
    }
}

impl Services {
    fn new(app: &App) -> Services {
        Services {
            app: app.clone(),
            reflection_v1: crate::reflection::server_v1(),
            reflection_v1alpha: crate::reflection::server_v1alpha(),
        }
    }

    async fn handle(&self, req: Request) -> Response {
        use tonic::server::NamedService;
        let path = req.uri().path();
        if let Some(route) = crate::providers::grpc_route(path)
            && let Some(bind) = route.grpc
        {
            let family = Family::of_grpc_path(path);
            let resp = bind(self.app.clone(), req).await;
            return client_fault_as_invalid_argument(resp, route.rpc, family);
        }
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        fn is<T: NamedService>(_: &T, service: &str) -> bool {
            T::NAME == service
        }
        if is(&self.reflection_v1, service) {
            call(&self.reflection_v1, req).await
        } else if is(&self.reflection_v1alpha, service) {
            call(&self.reflection_v1alpha, req).await
        } else {
            unimplemented(path)
        }
    }
}

pub fn router(app: App) -> Router {
    let services = Services::new(&app);
    Router::new().fallback(move |req: Request| {
        let services = services.clone();
        async move { services.handle(req).await }
    })
}

/// Yandex RPCs carry `x-request-id` and `x-server-trace-id` in the response *headers*, success and error alike, as
/// Yandex's front end does: the Node SDK builds its `ApiError` (with `requestId` and `serverTraceId`) only from
/// headers that arrive before the status. tonic answers errors "trailers-only" (status in the one header block),
/// so an error answer is split into headers and a trailer block holding the status.
pub fn yandex_headers(resp: Response, request_id: &http::HeaderValue) -> Response {
    use futures_util::stream;
    use http_body::Frame;
    let (mut parts, body) = resp.into_parts();
    let trace = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = http::HeaderValue::from_str(&trace) {
        parts.headers.insert("x-server-trace-id", v);
    }
    parts.headers.insert("x-request-id", request_id.clone());
    if !parts.headers.contains_key("grpc-status") {
        return Response::from_parts(parts, body);
    }
    let mut trailers = http::HeaderMap::new();
    for name in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        if let Some(v) = parts.headers.remove(name) {
            trailers.insert(name, v);
        }
    }
    let frames = stream::once(async move {
        Ok::<_, std::convert::Infallible>(Frame::<bytes::Bytes>::trailers(trailers))
    });
    Response::from_parts(parts, Body::new(http_body_util::StreamBody::new(frames)))
}

fn unimplemented(path: &str) -> Response {
    let rpc = path.trim_start_matches('/').replace('/', ".");
    let err = ApiError::unimplemented(format!("RPC `{rpc}` is not implemented by provmock"));
    err.to_tonic(Family::of_grpc_path(path)).into_http::<Body>()
}

/// What a panic inside a gRPC call answers (`server::Surface::dispatch` catches it).
pub fn panic_to_internal() -> Response {
    let err = ApiError::internal(
        "provmock hit an internal error handling this call (a bug: please report it)",
    );
    err.to_tonic(Family::Channel).into_http::<Body>()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use prost::Message;

    use super::*;

    /// Every `/package.Service/Method` path our protos declare, read from the embedded descriptor set.
    fn declared_methods() -> HashSet<String> {
        let mut out = HashSet::new();
        let fds = prost_types::FileDescriptorSet::decode(crate::proto::DESCRIPTOR_SET)
            .expect("descriptor set");
        for file in fds.file {
            let pkg = file.package.unwrap_or_default();
            for svc in file.service {
                let name = svc.name.unwrap_or_default();
                for m in svc.method {
                    out.insert(format!("/{pkg}.{name}/{}", m.name.unwrap_or_default()));
                }
            }
        }
        out
    }

    #[test]
    fn a_panic_becomes_an_internal_grpc_status_not_a_dropped_connection() {
        let resp = panic_to_internal();
        assert_eq!(
            resp.status(),
            http::StatusCode::OK,
            "gRPC errors travel as HTTP 200 with grpc-status"
        );
        assert_eq!(
            resp.headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok()),
            Some("13")
        );
    }

    #[test]
    fn unserved_methods_name_the_rpc() {
        let resp = unimplemented("/google.cloud.channel.v1.CloudChannelService/ListSkuGroups");
        assert_eq!(
            resp.headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok()),
            Some("12")
        );
        let msg = resp
            .headers()
            .get("grpc-message")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(msg.contains("ListSkuGroups"), "{msg}");
    }

    fn served(path: &str) -> bool {
        crate::providers::grpc_route(path).is_some()
    }

    #[test]
    fn every_served_method_is_declared_in_the_descriptor_set() {
        let m = declared_methods();
        for (_, table) in crate::providers::tables() {
            for route in table.iter().filter(|r| r.grpc.is_some()) {
                let path = format!("/{}", route.rpc);
                assert!(m.contains(&path), "{path} is served but not declared");
                assert!(served(&path));
            }
        }
        assert!(!served(
            "/google.cloud.channel.v1.CloudChannelService/ListSkuGroups"
        ));
    }
}
