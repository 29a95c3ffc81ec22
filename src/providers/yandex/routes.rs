//! Yandex Cloud's REST routes, declared once: method, path template, the RPC it stands for (also its gRPC method,
//! which fault rules and the journal name it by), whether it may change the world (reading an operation can finish
//! it, and cancelling is a GET), and its handler in `rest.rs`.
use http::Method;

use super::rest;
use crate::providers::{Handler, Route};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/users",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/List",
        writes: false,
        handler: Handler::Json(rest::list_users),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Create",
        writes: true,
        handler: Handler::Json(rest::create_user),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Get",
        writes: false,
        handler: Handler::Json(rest::get_user),
    },
    Route {
        method: Method::PATCH,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Update",
        writes: true,
        handler: Handler::Json(rest::update_user),
    },
    Route {
        method: Method::DELETE,
        template: "organization-manager/v1/idp/users/{user_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Delete",
        writes: true,
        handler: Handler::Json(rest::delete_user),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users/{user_id}:suspend",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Suspend",
        writes: true,
        handler: Handler::Json(rest::suspend_user),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/users/{user_id}:reactivate",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserService/Reactivate",
        writes: true,
        handler: Handler::Json(rest::reactivate_user),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/userpools",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/List",
        writes: false,
        handler: Handler::Json(rest::list_userpools),
    },
    Route {
        method: Method::POST,
        template: "organization-manager/v1/idp/userpools",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Create",
        writes: true,
        handler: Handler::Json(rest::create_userpool),
    },
    Route {
        method: Method::GET,
        template: "organization-manager/v1/idp/userpools/{userpool_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Get",
        writes: false,
        handler: Handler::Json(rest::get_userpool),
    },
    Route {
        method: Method::DELETE,
        template: "organization-manager/v1/idp/userpools/{userpool_id}",
        rpc: "yandex.cloud.organizationmanager.v1.idp.UserpoolService/Delete",
        writes: true,
        handler: Handler::Json(rest::delete_userpool),
    },
    Route {
        method: Method::GET,
        template: "operations/{operation_id}",
        rpc: "yandex.cloud.operation.OperationService/Get",
        writes: true,
        handler: Handler::Json(rest::get_operation),
    },
    Route {
        method: Method::GET,
        template: "operations/{operation_id}:cancel",
        rpc: "yandex.cloud.operation.OperationService/Cancel",
        writes: true,
        handler: Handler::Json(rest::cancel_operation),
    },
    Route {
        method: Method::GET,
        template: "endpoints",
        rpc: "yandex.cloud.endpoint.ApiEndpointService/List",
        writes: false,
        handler: Handler::Json(rest::list_endpoints),
    },
    Route {
        method: Method::GET,
        template: "endpoints/{api_endpoint_id}",
        rpc: "yandex.cloud.endpoint.ApiEndpointService/Get",
        writes: false,
        handler: Handler::Json(rest::get_endpoint),
    },
    Route {
        method: Method::POST,
        template: "iam/v1/tokens",
        rpc: "yandex.cloud.iam.v1.IamTokenService/Create",
        writes: true,
        handler: Handler::Json(rest::create_token),
    },
];
