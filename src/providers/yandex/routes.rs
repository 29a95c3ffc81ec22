//! Yandex Cloud's REST routes, declared once: method, path template, the RPC it stands for (also its gRPC method,
//! which fault rules and the journal name it by), whether it may change the world (reading an operation can finish
//! it, and cancelling is a GET), its REST handler (inline, over the helpers of `rest.rs`; `UpdateUser`'s, longer,
//! is there) and its gRPC binding, both over the same service function.
use http::Method;

use super::{discovery, iam, rest, service};
use crate::proto::yandex::cloud::endpoint as endpb;
use crate::proto::yandex::cloud::iam::v1 as iampb;
use crate::proto::yandex::cloud::operation as oppb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::binding::grpc;
use crate::providers::google::parse_body;
use crate::providers::{Handler, Route, serve};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/users",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/List",
        writes: false,
        handler: Handler::Json(|r| {
            let req = pb::ListUsersRequest {
                userpool_id: rest::query(r, "userpoolId", "userpool_id"),
                page_size: rest::page_size(r)?,
                page_token: rest::query(r, "pageToken", "page_token"),
                filter: rest::query(r, "filter", "filter"),
            };
            rest::reply(r, req, service::list_users)
        }),
        grpc: grpc!(Yandex, pb::ListUsersRequest => service::list_users),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Create",
        writes: true,
        handler: Handler::Json(|r| {
            rest::operation(
                r,
                parse_body::<pb::CreateUserRequest>(&r.body)?,
                service::create_user,
            )
        }),
        grpc: grpc!(Yandex, |app, caller, req: pb::CreateUserRequest| {
            serve(app, caller, req, service::create_user).map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Get",
        writes: false,
        handler: Handler::Json(|r| {
            let user_id = r.var("user_id");
            rest::reply(r, pb::GetUserRequest { user_id }, service::get_user)
        }),
        grpc: grpc!(Yandex, pb::GetUserRequest => service::get_user),
    },
    Route {
        method: Method::PATCH,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Update",
        writes: true,
        handler: Handler::Json(rest::update_user),
        grpc: grpc!(Yandex, |app, caller, req: pb::UpdateUserRequest| {
            serve(app, caller, req, service::update_user).map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::DELETE,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Delete",
        writes: true,
        handler: Handler::Json(|r| {
            let user_id = r.var("user_id");
            rest::operation(r, pb::DeleteUserRequest { user_id }, service::delete_user)
        }),
        grpc: grpc!(Yandex, |app, caller, req: pb::DeleteUserRequest| {
            serve(app, caller, req, service::delete_user).map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users/{user_id}:suspend",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Suspend",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::SuspendUserRequest = parse_body(&r.body)?;
            req.user_id = r.var("user_id");
            rest::operation(r, req, service::suspend_user)
        }),
        grpc: grpc!(Yandex, |app, caller, req: pb::SuspendUserRequest| {
            serve(app, caller, req, service::suspend_user).map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users/{user_id}:reactivate",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Reactivate",
        writes: true,
        handler: Handler::Json(|r| {
            let user_id = r.var("user_id");
            rest::operation(
                r,
                pb::ReactivateUserRequest { user_id },
                service::reactivate_user,
            )
        }),
        grpc: grpc!(Yandex, |app, caller, req: pb::ReactivateUserRequest| {
            serve(app, caller, req, service::reactivate_user)
                .map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/userpools",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/List",
        writes: false,
        handler: Handler::Json(|r| {
            let req = pb::ListUserpoolsRequest {
                organization_id: rest::query(r, "organizationId", "organization_id"),
                page_size: rest::page_size(r)?,
                page_token: rest::query(r, "pageToken", "page_token"),
                filter: rest::query(r, "filter", "filter"),
            };
            rest::reply(r, req, service::list_userpools)
        }),
        grpc: grpc!(Yandex, pb::ListUserpoolsRequest => service::list_userpools),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/userpools",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Create",
        writes: true,
        handler: Handler::Json(|r| {
            rest::operation(
                r,
                parse_body::<pb::CreateUserpoolRequest>(&r.body)?,
                service::create_userpool,
            )
        }),
        grpc: grpc!(Yandex, |app, caller, req: pb::CreateUserpoolRequest| {
            serve(app, caller, req, service::create_userpool)
                .map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/userpools/{userpool_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Get",
        writes: false,
        handler: Handler::Json(|r| {
            let userpool_id = r.var("userpool_id");
            rest::reply(
                r,
                pb::GetUserpoolRequest { userpool_id },
                service::get_userpool,
            )
        }),
        grpc: grpc!(Yandex, pb::GetUserpoolRequest => service::get_userpool),
    },
    Route {
        method: Method::DELETE,
        template: "organization-manager/v1/idp/userpools/{userpool_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Delete",
        writes: true,
        handler: Handler::Json(|r| {
            let userpool_id = r.var("userpool_id");
            rest::operation(
                r,
                pb::DeleteUserpoolRequest { userpool_id },
                service::delete_userpool,
            )
        }),
        grpc: grpc!(Yandex, |app, caller, req: pb::DeleteUserpoolRequest| {
            serve(app, caller, req, service::delete_userpool)
                .map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "operations/{operation_id}",
        rpc: "yandex.cloud.operation.OperationService/Get",
        writes: true,
        handler: Handler::Json(|r| {
            let operation_id = r.var("operation_id");
            rest::operation(
                r,
                oppb::GetOperationRequest { operation_id },
                service::get_operation,
            )
        }),
        grpc: grpc!(Yandex, |app, caller, req: oppb::GetOperationRequest| {
            serve(app, caller, req, service::get_operation).map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "operations/{operation_id}:cancel",
        rpc: "yandex.cloud.operation.OperationService/Cancel",
        writes: true,
        handler: Handler::Json(|r| {
            let operation_id = r.var("operation_id");
            rest::operation(
                r,
                oppb::CancelOperationRequest { operation_id },
                service::cancel_operation,
            )
        }),
        grpc: grpc!(Yandex, |app, caller, req: oppb::CancelOperationRequest| {
            serve(app, caller, req, service::cancel_operation)
                .map(|op| service::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "endpoints",
        rpc: "yandex.cloud.endpoint.ApiEndpointService/List",
        writes: false,
        handler: Handler::Json(|r| Ok(rest::json(&discovery::list(&discovery::address(&r.app))))),
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
        handler: Handler::Json(|r| {
            let addr = discovery::address(&r.app);
            Ok(rest::json(&discovery::get(
                &addr,
                &r.var("api_endpoint_id"),
            )?))
        }),
        grpc: grpc!(Yandex, |app, _caller, req: endpb::GetApiEndpointRequest| {
            discovery::get(&discovery::address(app), &req.api_endpoint_id)
        }),
    },
    Route {
        method: Method::POST,
        template: "iam/v1/tokens",
        rpc: "yandex.cloud.iam.v1.IamTokenService/Create",
        writes: true,
        handler: Handler::Json(|r| {
            rest::reply(
                r,
                parse_body::<iampb::CreateIamTokenRequest>(&r.body)?,
                iam::create_token,
            )
        }),
        grpc: grpc!(Yandex, iampb::CreateIamTokenRequest => iam::create_token),
    },
];
