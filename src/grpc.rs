//! gRPC plumbing shared by every family: the tonic services as one axum router, server reflection, the caller's
//! bearer token, UNIMPLEMENTED naming the RPC for methods we do not serve, and panics turned into INTERNAL.

use std::collections::HashSet;
use std::sync::OnceLock;

use axum::{Router, body::Body, extract::Request, response::Response};
use prost::Message;

use crate::app::App;
use crate::error::ApiError;
use crate::family::Family;
use crate::proto;
use crate::providers::google::Caller;
use crate::providers::google::channel::grpc::{ChannelGrpc, OperationsGrpc};

/// The bearer token of a gRPC call (`authorization` metadata).
pub fn caller<T>(req: &tonic::Request<T>) -> Caller {
    let bearer = req
        .metadata()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    Caller { bearer }
}

/// The gRPC methods provmock answers. Our protos declare every RPC of the services we serve (so reflection shows
/// them all); the others answer UNIMPLEMENTED naming the RPC.
pub const SERVED: &[&str] = &[
    "/google.cloud.channel.v1.CloudChannelService/ListCustomers",
    "/google.cloud.channel.v1.CloudChannelService/GetCustomer",
    "/google.cloud.channel.v1.CloudChannelService/CheckCloudIdentityAccountsExist",
    "/google.cloud.channel.v1.CloudChannelService/CreateCustomer",
    "/google.cloud.channel.v1.CloudChannelService/UpdateCustomer",
    "/google.cloud.channel.v1.CloudChannelService/DeleteCustomer",
    "/google.cloud.channel.v1.CloudChannelService/ImportCustomer",
    "/google.cloud.channel.v1.CloudChannelService/ProvisionCloudIdentity",
    "/google.cloud.channel.v1.CloudChannelService/ListEntitlements",
    "/google.cloud.channel.v1.CloudChannelService/GetEntitlement",
    "/google.cloud.channel.v1.CloudChannelService/CreateEntitlement",
    "/google.cloud.channel.v1.CloudChannelService/ChangeParameters",
    "/google.cloud.channel.v1.CloudChannelService/ChangeRenewalSettings",
    "/google.cloud.channel.v1.CloudChannelService/ChangeOffer",
    "/google.cloud.channel.v1.CloudChannelService/StartPaidService",
    "/google.cloud.channel.v1.CloudChannelService/SuspendEntitlement",
    "/google.cloud.channel.v1.CloudChannelService/ActivateEntitlement",
    "/google.cloud.channel.v1.CloudChannelService/CancelEntitlement",
    "/google.cloud.channel.v1.CloudChannelService/TransferEntitlements",
    "/google.cloud.channel.v1.CloudChannelService/TransferEntitlementsToGoogle",
    "/google.cloud.channel.v1.CloudChannelService/ListEntitlementChanges",
    "/google.cloud.channel.v1.CloudChannelService/ListTransferableSkus",
    "/google.cloud.channel.v1.CloudChannelService/ListTransferableOffers",
    "/google.cloud.channel.v1.CloudChannelService/LookupOffer",
    "/google.cloud.channel.v1.CloudChannelService/ListProducts",
    "/google.cloud.channel.v1.CloudChannelService/ListSkus",
    "/google.cloud.channel.v1.CloudChannelService/ListOffers",
    "/google.cloud.channel.v1.CloudChannelService/ListPurchasableSkus",
    "/google.cloud.channel.v1.CloudChannelService/ListPurchasableOffers",
    "/google.cloud.channel.v1.CloudChannelService/QueryEligibleBillingAccounts",
    "/google.cloud.channel.v1.CloudChannelService/ListChannelPartnerLinks",
    "/google.cloud.channel.v1.CloudChannelService/GetChannelPartnerLink",
    "/google.cloud.channel.v1.CloudChannelService/CreateChannelPartnerLink",
    "/google.cloud.channel.v1.CloudChannelService/UpdateChannelPartnerLink",
    "/google.longrunning.Operations/ListOperations",
    "/google.longrunning.Operations/GetOperation",
    "/google.longrunning.Operations/DeleteOperation",
    "/google.longrunning.Operations/CancelOperation",
    "/yandex.cloud.organizationmanager.v1.idp.UserService/Get",
    "/yandex.cloud.organizationmanager.v1.idp.UserService/List",
    "/yandex.cloud.organizationmanager.v1.idp.UserService/Create",
    "/yandex.cloud.organizationmanager.v1.idp.UserService/Update",
    "/yandex.cloud.organizationmanager.v1.idp.UserService/Delete",
    "/yandex.cloud.organizationmanager.v1.idp.UserService/Suspend",
    "/yandex.cloud.organizationmanager.v1.idp.UserService/Reactivate",
    "/yandex.cloud.organizationmanager.v1.idp.UserpoolService/Get",
    "/yandex.cloud.organizationmanager.v1.idp.UserpoolService/List",
    "/yandex.cloud.organizationmanager.v1.idp.UserpoolService/Create",
    "/yandex.cloud.organizationmanager.v1.idp.UserpoolService/Delete",
    "/yandex.cloud.operation.OperationService/Get",
    "/yandex.cloud.operation.OperationService/Cancel",
    "/yandex.cloud.endpoint.ApiEndpointService/Get",
    "/yandex.cloud.endpoint.ApiEndpointService/List",
    "/yandex.cloud.iam.v1.IamTokenService/Create",
];

fn served(path: &str) -> bool {
    SERVED.contains(&path)
}

/// Every `/package.Service/Method` path our protos declare, read from the embedded descriptor set.
pub fn declared_methods() -> &'static HashSet<String> {
    static METHODS: OnceLock<HashSet<String>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let mut out = HashSet::new();
        if let Ok(fds) = prost_types::FileDescriptorSet::decode(proto::DESCRIPTOR_SET) {
            for file in fds.file {
                let pkg = file.package.unwrap_or_default();
                for svc in file.service {
                    let name = svc.name.unwrap_or_default();
                    for m in svc.method {
                        out.insert(format!("/{pkg}.{name}/{}", m.name.unwrap_or_default()));
                    }
                }
            }
        }
        out
    })
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

pub fn router(app: App) -> Router {
    let max = crate::providers::BODY_LIMIT;
    let mut routes = tonic::service::Routes::new(
        proto::google::cloud::channel::v1::cloud_channel_service_server::CloudChannelServiceServer::new(ChannelGrpc(app.clone()))
            .max_decoding_message_size(max),
    )
    .add_service(
        proto::google::longrunning::operations_server::OperationsServer::new(OperationsGrpc(app.clone()))
            .max_decoding_message_size(max),
    );
    {
        use crate::proto::yandex::cloud as y;
        use crate::providers::yandex::grpc as yg;
        routes = routes
            .add_service(
                y::organizationmanager::v1::idp::user_service_server::UserServiceServer::new(yg::Users(app.clone()))
                    .max_decoding_message_size(max),
            )
            .add_service(
                y::organizationmanager::v1::idp::userpool_service_server::UserpoolServiceServer::new(yg::Userpools(app.clone()))
                    .max_decoding_message_size(max),
            )
            .add_service(y::operation::operation_service_server::OperationServiceServer::new(yg::Operations(app.clone())))
            .add_service(y::endpoint::api_endpoint_service_server::ApiEndpointServiceServer::new(yg::Endpoints(app.clone())))
            .add_service(y::iam::v1::iam_token_service_server::IamTokenServiceServer::new(yg::IamTokens(app.clone())));
    }
    routes = routes
        .add_service(crate::reflection::server_v1())
        .add_service(crate::reflection::server_v1alpha());
    let tonic_router = routes.into_axum_router();
    let guarded = move |req: Request| {
        let tonic_router = tonic_router.clone();
        async move {
            let path = req.uri().path().to_string();
            let reflection = path.starts_with("/grpc.reflection.");
            if !reflection && !served(&path) {
                return unimplemented(&path);
            }
            use tower::ServiceExt;
            let resp = match tonic_router.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            client_fault_as_invalid_argument(resp, &path)
        }
    };
    Router::new().fallback(guarded)
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
    use super::*;

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
        for path in SERVED {
            assert!(m.contains(*path), "{path} is served but not declared");
        }
        assert!(!served(
            "/google.cloud.channel.v1.CloudChannelService/ListSkuGroups"
        ));
    }
}
