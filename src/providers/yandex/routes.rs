//! Yandex Cloud's REST routes, declared once: method, path template, the RPC it stands for (also its gRPC method,
//! which fault rules and the journal name it by), whether it may change the world (reading an operation can finish
//! it, and cancelling is a GET), its REST handler in `rest.rs`, and its gRPC binding over the same service function.
use http::Method;

use super::service::{self, operation};
use super::{discovery, iam, rest};
use crate::proto::yandex::cloud::endpoint as endpb;
use crate::proto::yandex::cloud::iam::v1 as iampb;
use crate::proto::yandex::cloud::operation as oppb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::binding::grpc;
use crate::providers::{Handler, Route, serve};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/users",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/List",
        writes: false,
        handler: Handler::Json(rest::list_users),
        grpc: grpc!(Yandex, pb::ListUsersRequest => service::list_users),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Create",
        writes: true,
        handler: Handler::Json(rest::create_user),
        grpc: grpc!(Yandex, |app, caller, req: pb::CreateUserRequest| {
            operation(serve(app, caller, req, service::create_user))
        }),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Get",
        writes: false,
        handler: Handler::Json(rest::get_user),
        grpc: grpc!(Yandex, pb::GetUserRequest => service::get_user),
    },
    Route {
        method: Method::PATCH,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Update",
        writes: true,
        handler: Handler::Json(rest::update_user),
        grpc: grpc!(Yandex, |app, caller, req: pb::UpdateUserRequest| {
            operation(serve(app, caller, req, service::update_user))
        }),
    },
    Route {
        method: Method::DELETE,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Delete",
        writes: true,
        handler: Handler::Json(rest::delete_user),
        grpc: grpc!(Yandex, |app, caller, req: pb::DeleteUserRequest| {
            operation(serve(app, caller, req, service::delete_user))
        }),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users/{user_id}:suspend",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Suspend",
        writes: true,
        handler: Handler::Json(rest::suspend_user),
        grpc: grpc!(Yandex, |app, caller, req: pb::SuspendUserRequest| {
            operation(serve(app, caller, req, service::suspend_user))
        }),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users/{user_id}:reactivate",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Reactivate",
        writes: true,
        handler: Handler::Json(rest::reactivate_user),
        grpc: grpc!(Yandex, |app, caller, req: pb::ReactivateUserRequest| {
            operation(serve(app, caller, req, service::reactivate_user))
        }),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/userpools",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/List",
        writes: false,
        handler: Handler::Json(rest::list_userpools),
        grpc: grpc!(Yandex, pb::ListUserpoolsRequest => service::list_userpools),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/userpools",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Create",
        writes: true,
        handler: Handler::Json(rest::create_userpool),
        grpc: grpc!(Yandex, |app, caller, req: pb::CreateUserpoolRequest| {
            operation(serve(app, caller, req, service::create_userpool))
        }),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/userpools/{userpool_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Get",
        writes: false,
        handler: Handler::Json(rest::get_userpool),
        grpc: grpc!(Yandex, pb::GetUserpoolRequest => service::get_userpool),
    },
    Route {
        method: Method::DELETE,
        template: "organization-manager/v1/idp/userpools/{userpool_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Delete",
        writes: true,
        handler: Handler::Json(rest::delete_userpool),
        grpc: grpc!(Yandex, |app, caller, req: pb::DeleteUserpoolRequest| {
            operation(serve(app, caller, req, service::delete_userpool))
        }),
    },
    Route {
        method: Method::GET,
        template: "operations/{operation_id}",
        rpc: "yandex.cloud.operation.OperationService/Get",
        writes: true,
        handler: Handler::Json(rest::get_operation),
        grpc: grpc!(Yandex, |app, caller, req: oppb::GetOperationRequest| {
            operation(serve(app, caller, req, service::get_operation))
        }),
    },
    Route {
        method: Method::GET,
        template: "operations/{operation_id}:cancel",
        rpc: "yandex.cloud.operation.OperationService/Cancel",
        writes: true,
        handler: Handler::Json(rest::cancel_operation),
        grpc: grpc!(Yandex, |app, caller, req: oppb::CancelOperationRequest| {
            operation(serve(app, caller, req, service::cancel_operation))
        }),
    },
    Route {
        method: Method::GET,
        template: "endpoints",
        rpc: "yandex.cloud.endpoint.ApiEndpointService/List",
        writes: false,
        handler: Handler::Json(rest::list_endpoints),
        grpc: grpc!(
            Yandex,
            |app, _caller, _req: endpb::ListApiEndpointsRequest| {
                Ok(discovery::list(&discovery::address(app)))
            }
        ),
    },
    Route {
        method: Method::GET,
        template: "endpoints/{api_endpoint_id}",
        rpc: "yandex.cloud.endpoint.ApiEndpointService/Get",
        writes: false,
        handler: Handler::Json(rest::get_endpoint),
        grpc: grpc!(Yandex, |app, _caller, req: endpb::GetApiEndpointRequest| {
            discovery::get(&discovery::address(app), &req.api_endpoint_id)
        }),
    },
    Route {
        method: Method::POST,
        template: "iam/v1/tokens",
        rpc: "yandex.cloud.iam.v1.IamTokenService/Create",
        writes: true,
        handler: Handler::Json(rest::create_token),
        grpc: grpc!(Yandex, iampb::CreateIamTokenRequest => iam::create_token),
    },
];
