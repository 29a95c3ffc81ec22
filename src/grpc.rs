//! gRPC plumbing shared by every family: the tonic services as one axum router, server reflection, the caller's
//! bearer token, UNIMPLEMENTED naming the RPC for methods we do not serve, and panics turned into INTERNAL.

use axum::{Router, body::Body, extract::Request, response::Response};

use crate::app::App;
use crate::error::ApiError;
use crate::family::Family;
use crate::proto;
use crate::proto::google::cloud::channel::v1 as chpb;
use crate::proto::yandex::cloud as ycloud;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as yidp;
use crate::providers::google::channel::grpc::{ChannelGrpc, OperationsGrpc};
use crate::providers::yandex::grpc as yg;

/// Whether provmock answers a gRPC method: it is the RPC of a route in its family's table (Channel's, Yandex's).
/// Our protos declare every RPC of the services we serve (so reflection shows them all); the others answer
/// UNIMPLEMENTED naming the RPC.
fn served(path: &str) -> bool {
    crate::providers::grpc_route(path).is_some()
}

/// tonic reports a request message it cannot decode (or a malformed gRPC frame) as INTERNAL; it is the client's
/// fault, so it becomes INVALID_ARGUMENT with a `BadRequest` detail, in the family's format.
fn client_fault_as_invalid_argument(resp: Response, path: &str) -> Response {
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
    let rpc = path.trim_start_matches('/').replace('/', ".");
    ApiError::invalid_argument(format!(
        "the request message of `{rpc}` is not a valid protobuf message: {message}"
    ))
    .with_violation("request", message)
    .to_tonic(Family::of_grpc_path(path))
    .into_http::<Body>()
}

/// Every tonic service provmock serves, called by the service name in the path: one `match` instead of axum's
/// router around tonic's router around each service (two routers and their boxed futures on every call).
#[derive(Clone)]
struct Services {
    channel: chpb::cloud_channel_service_server::CloudChannelServiceServer<ChannelGrpc>,
    operations: proto::google::longrunning::operations_server::OperationsServer<OperationsGrpc>,
    users: yidp::user_service_server::UserServiceServer<yg::Users>,
    userpools: yidp::userpool_service_server::UserpoolServiceServer<yg::Userpools>,
    yandex_operations:
        ycloud::operation::operation_service_server::OperationServiceServer<yg::Operations>,
    endpoints:
        ycloud::endpoint::api_endpoint_service_server::ApiEndpointServiceServer<yg::Endpoints>,
    iam_tokens: ycloud::iam::v1::iam_token_service_server::IamTokenServiceServer<yg::IamTokens>,
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
        let max = crate::request::BODY_LIMIT;
        Services {
            channel: chpb::cloud_channel_service_server::CloudChannelServiceServer::new(
                ChannelGrpc(app.clone()),
            )
            .max_decoding_message_size(max),
            operations: proto::google::longrunning::operations_server::OperationsServer::new(
                OperationsGrpc(app.clone()),
            )
            .max_decoding_message_size(max),
            users: yidp::user_service_server::UserServiceServer::new(yg::Users(app.clone()))
                .max_decoding_message_size(max),
            userpools: yidp::userpool_service_server::UserpoolServiceServer::new(yg::Userpools(
                app.clone(),
            ))
            .max_decoding_message_size(max),
            yandex_operations:
                ycloud::operation::operation_service_server::OperationServiceServer::new(
                    yg::Operations(app.clone()),
                ),
            endpoints: ycloud::endpoint::api_endpoint_service_server::ApiEndpointServiceServer::new(
                yg::Endpoints(app.clone()),
            ),
            iam_tokens: ycloud::iam::v1::iam_token_service_server::IamTokenServiceServer::new(
                yg::IamTokens(app.clone()),
            ),
            reflection_v1: crate::reflection::server_v1(),
            reflection_v1alpha: crate::reflection::server_v1alpha(),
        }
    }

    async fn handle(&self, req: Request) -> Response {
        use tonic::server::NamedService;
        let path = req.uri().path();
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        fn is<T: NamedService>(_: &T, service: &str) -> bool {
            T::NAME == service
        }
        let reflection = service.starts_with("grpc.reflection.");
        if !reflection && !served(path) {
            return unimplemented(path);
        }
        let path = path.to_string();
        let resp = if is(&self.channel, service) {
            call(&self.channel, req).await
        } else if is(&self.operations, service) {
            call(&self.operations, req).await
        } else if is(&self.users, service) {
            call(&self.users, req).await
        } else if is(&self.userpools, service) {
            call(&self.userpools, req).await
        } else if is(&self.yandex_operations, service) {
            call(&self.yandex_operations, req).await
        } else if is(&self.endpoints, service) {
            call(&self.endpoints, req).await
        } else if is(&self.iam_tokens, service) {
            call(&self.iam_tokens, req).await
        } else if is(&self.reflection_v1, service) {
            call(&self.reflection_v1, req).await
        } else if is(&self.reflection_v1alpha, service) {
            call(&self.reflection_v1alpha, req).await
        } else {
            return unimplemented(&path);
        };
        client_fault_as_invalid_argument(resp, &path)
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
        let fds =
            prost_types::FileDescriptorSet::decode(proto::DESCRIPTOR_SET).expect("descriptor set");
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

    #[test]
    fn every_served_method_is_declared_in_the_descriptor_set() {
        let m = declared_methods();
        for (family, table) in crate::providers::tables() {
            if !matches!(family, Family::Channel | Family::Yandex) {
                continue;
            }
            for route in table {
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
