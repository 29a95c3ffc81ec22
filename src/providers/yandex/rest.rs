//! Yandex over REST: `/organization-manager/v1/idp/...`, `/operations/{id}[:cancel]`, `/endpoints`, `/iam/v1/tokens`,
//! with Yandex's JSON conventions (camelCase out, snake_case accepted, int64 as strings, enums by name) — one
//! handler per route of `routes.rs`.

use super::{discovery, iam, service};
use crate::error::{ApiError, ApiResult};
use crate::proto::yandex::cloud::operation as oppb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::google::{JsonBody, parse_body, proto_json};
use crate::providers::{RestRequest, route_not_found, serve};
use crate::world::ops::Operation;

fn q<'a>(r: &'a RestRequest, camel: &str, snake: &str) -> &'a str {
    r.query.get(&[camel, snake]).unwrap_or("")
}

fn page_size(r: &RestRequest) -> ApiResult<i64> {
    match r.query.get(&["pageSize", "page_size"]) {
        None | Some("") => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::invalid_field("page_size", format!("`{v}` is not an integer"))),
    }
}

fn op(res: ApiResult<Operation>) -> ApiResult<JsonBody> {
    res.map(|o| service::operation_json(&o).into())
}

fn json<T: serde::Serialize>(msg: &T) -> JsonBody {
    proto_json(msg).into()
}

/// No route takes the request: UNIMPLEMENTED for IdP methods provmock does not serve, else 404.
pub fn unrouted(r: &RestRequest) -> ApiError {
    if r.path
        .segs()
        .starts_with(&["organization-manager", "v1", "idp"])
    {
        ApiError::unimplemented(format!(
            "{} {} is not implemented by provmock (served: users Create/Get/List/Update/Delete/Suspend/Reactivate, userpools Create/Get/List/Delete)",
            r.method, r.raw_path
        ))
    } else {
        route_not_found(r)
    }
}

pub fn list_users(r: &RestRequest) -> ApiResult<JsonBody> {
    let req = pb::ListUsersRequest {
        userpool_id: q(r, "userpoolId", "userpool_id").to_string(),
        page_size: page_size(r)?,
        page_token: q(r, "pageToken", "page_token").to_string(),
        filter: q(r, "filter", "filter").to_string(),
    };
    Ok(json(&serve(&r.app, &r.caller, req, service::list_users)?))
}

pub fn create_user(r: &RestRequest) -> ApiResult<JsonBody> {
    op(serve(
        &r.app,
        &r.caller,
        parse_body::<pb::CreateUserRequest>(&r.body)?,
        service::create_user,
    ))
}

pub fn get_user(r: &RestRequest) -> ApiResult<JsonBody> {
    let req = pb::GetUserRequest {
        user_id: r.var("user_id"),
    };
    Ok(json(&serve(&r.app, &r.caller, req, service::get_user)?))
}

pub fn update_user(r: &RestRequest) -> ApiResult<JsonBody> {
    let mut req: pb::UpdateUserRequest = parse_body(&r.body)?;
    req.user_id = r.var("user_id");
    if req.update_mask.is_none()
        && let Some(m) = r.query.get(&["updateMask", "update_mask"])
    {
        req.update_mask = Some(pbjson_types::FieldMask {
            paths: m.split(',').map(|p| p.trim().to_string()).collect(),
        });
    }
    op(serve(&r.app, &r.caller, req, service::update_user))
}

pub fn delete_user(r: &RestRequest) -> ApiResult<JsonBody> {
    let req = pb::DeleteUserRequest {
        user_id: r.var("user_id"),
    };
    op(serve(&r.app, &r.caller, req, service::delete_user))
}

pub fn suspend_user(r: &RestRequest) -> ApiResult<JsonBody> {
    let mut req: pb::SuspendUserRequest = parse_body(&r.body)?;
    req.user_id = r.var("user_id");
    op(serve(&r.app, &r.caller, req, service::suspend_user))
}

pub fn reactivate_user(r: &RestRequest) -> ApiResult<JsonBody> {
    let req = pb::ReactivateUserRequest {
        user_id: r.var("user_id"),
    };
    op(serve(&r.app, &r.caller, req, service::reactivate_user))
}

pub fn list_userpools(r: &RestRequest) -> ApiResult<JsonBody> {
    let req = pb::ListUserpoolsRequest {
        organization_id: q(r, "organizationId", "organization_id").to_string(),
        page_size: page_size(r)?,
        page_token: q(r, "pageToken", "page_token").to_string(),
        filter: q(r, "filter", "filter").to_string(),
    };
    Ok(json(&serve(
        &r.app,
        &r.caller,
        req,
        service::list_userpools,
    )?))
}

pub fn create_userpool(r: &RestRequest) -> ApiResult<JsonBody> {
    op(serve(
        &r.app,
        &r.caller,
        parse_body::<pb::CreateUserpoolRequest>(&r.body)?,
        service::create_userpool,
    ))
}

pub fn get_userpool(r: &RestRequest) -> ApiResult<JsonBody> {
    let req = pb::GetUserpoolRequest {
        userpool_id: r.var("userpool_id"),
    };
    Ok(json(&serve(&r.app, &r.caller, req, service::get_userpool)?))
}

pub fn delete_userpool(r: &RestRequest) -> ApiResult<JsonBody> {
    let req = pb::DeleteUserpoolRequest {
        userpool_id: r.var("userpool_id"),
    };
    op(serve(&r.app, &r.caller, req, service::delete_userpool))
}

pub fn get_operation(r: &RestRequest) -> ApiResult<JsonBody> {
    op(serve(
        &r.app,
        &r.caller,
        oppb::GetOperationRequest {
            operation_id: r.var("operation_id"),
        },
        service::get_operation,
    ))
}

pub fn cancel_operation(r: &RestRequest) -> ApiResult<JsonBody> {
    op(serve(
        &r.app,
        &r.caller,
        oppb::CancelOperationRequest {
            operation_id: r.var("operation_id"),
        },
        service::cancel_operation,
    ))
}

pub fn list_endpoints(r: &RestRequest) -> ApiResult<JsonBody> {
    Ok(json(&discovery::list(&discovery::address(&r.app))))
}

pub fn get_endpoint(r: &RestRequest) -> ApiResult<JsonBody> {
    let addr = discovery::address(&r.app);
    Ok(json(&discovery::get(&addr, &r.var("api_endpoint_id"))?))
}

pub fn create_token(r: &RestRequest) -> ApiResult<JsonBody> {
    let req: crate::proto::yandex::cloud::iam::v1::CreateIamTokenRequest = parse_body(&r.body)?;
    Ok(json(&serve(&r.app, &r.caller, req, iam::create_token)?))
}
