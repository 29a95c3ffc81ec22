//! Yandex over REST: `/organization-manager/v1/idp/...`, `/operations/{id}[:cancel]`, `/endpoints`, `/iam/v1/tokens`,
//! with Yandex's JSON conventions (camelCase out, snake_case accepted, int64 as strings, enums by name).

use http::Method;
use serde_json::Value;

use super::{discovery, iam, service};
use crate::error::{ApiError, ApiResult};
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::google::{parse_body, proto_json};
use crate::providers::{RestRequest, method_not_allowed, route_not_found};

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

pub fn route(r: &RestRequest) -> ApiResult<Value> {
    let segs = r.path.segs();
    let verb = r.path.verb.as_deref();
    let (app, caller) = (&r.app, &r.caller);
    let op = |res: ApiResult<crate::ops::Operation>| res.map(|o| service::operation_json(&o));
    match (segs.as_slice(), verb) {
        (["organization-manager", "v1", "idp", "users"], None) => match r.method {
            Method::GET => {
                let req = pb::ListUsersRequest {
                    userpool_id: q(r, "userpoolId", "userpool_id").to_string(),
                    page_size: page_size(r)?,
                    page_token: q(r, "pageToken", "page_token").to_string(),
                    filter: q(r, "filter", "filter").to_string(),
                };
                Ok(proto_json(&service::list_users(app, caller, req)?))
            }
            Method::POST => op(service::create_user(app, caller, parse_body(&r.body)?)),
            _ => Err(method_not_allowed(r, &[Method::GET, Method::POST])),
        },
        (["organization-manager", "v1", "idp", "users", id], None) => match r.method {
            Method::GET => Ok(proto_json(&service::get_user(
                app,
                caller,
                pb::GetUserRequest {
                    user_id: id.to_string(),
                },
            )?)),
            Method::PATCH => {
                let mut req: pb::UpdateUserRequest = parse_body(&r.body)?;
                req.user_id = id.to_string();
                if req.update_mask.is_none()
                    && let Some(m) = r.query.get(&["updateMask", "update_mask"])
                {
                    req.update_mask = Some(pbjson_types::FieldMask {
                        paths: m.split(',').map(|p| p.trim().to_string()).collect(),
                    });
                }
                op(service::update_user(app, caller, req))
            }
            Method::DELETE => op(service::delete_user(
                app,
                caller,
                pb::DeleteUserRequest {
                    user_id: id.to_string(),
                },
            )),
            _ => Err(method_not_allowed(
                r,
                &[Method::GET, Method::PATCH, Method::DELETE],
            )),
        },
        (["organization-manager", "v1", "idp", "users", id], Some("suspend")) => {
            r.allow(&[Method::POST])?;
            let mut req: pb::SuspendUserRequest = parse_body(&r.body)?;
            req.user_id = id.to_string();
            op(service::suspend_user(app, caller, req))
        }
        (["organization-manager", "v1", "idp", "users", id], Some("reactivate")) => {
            r.allow(&[Method::POST])?;
            op(service::reactivate_user(
                app,
                caller,
                pb::ReactivateUserRequest {
                    user_id: id.to_string(),
                },
            ))
        }
        (["organization-manager", "v1", "idp", "userpools"], None) => match r.method {
            Method::GET => {
                let req = pb::ListUserpoolsRequest {
                    organization_id: q(r, "organizationId", "organization_id").to_string(),
                    page_size: page_size(r)?,
                    page_token: q(r, "pageToken", "page_token").to_string(),
                    filter: q(r, "filter", "filter").to_string(),
                };
                Ok(proto_json(&service::list_userpools(app, caller, req)?))
            }
            Method::POST => op(service::create_userpool(app, caller, parse_body(&r.body)?)),
            _ => Err(method_not_allowed(r, &[Method::GET, Method::POST])),
        },
        (["organization-manager", "v1", "idp", "userpools", id], None) => match r.method {
            Method::GET => Ok(proto_json(&service::get_userpool(
                app,
                caller,
                pb::GetUserpoolRequest {
                    userpool_id: id.to_string(),
                },
            )?)),
            Method::DELETE => op(service::delete_userpool(
                app,
                caller,
                pb::DeleteUserpoolRequest {
                    userpool_id: id.to_string(),
                },
            )),
            _ => Err(method_not_allowed(r, &[Method::GET, Method::DELETE])),
        },
        (["organization-manager", "v1", "idp", ..], _) => Err(ApiError::unimplemented(format!(
            "{} {} is not implemented by provmock (served: users Create/Get/List/Update/Delete/Suspend/Reactivate, userpools Create/Get/List/Delete)",
            r.method, r.raw_path
        ))),
        (["operations", id], None) => {
            r.allow(&[Method::GET])?;
            op(service::get_operation(app, caller, id))
        }
        (["operations", id], Some("cancel")) => {
            r.allow(&[Method::GET])?;
            op(service::cancel_operation(app, caller, id))
        }
        (["endpoints"], None) => {
            r.allow(&[Method::GET])?;
            Ok(proto_json(&discovery::list(app)))
        }
        (["endpoints", id], None) => {
            r.allow(&[Method::GET])?;
            Ok(proto_json(&discovery::get(app, id)?))
        }
        (["iam", "v1", "tokens"], None) => {
            r.allow(&[Method::POST])?;
            Ok(proto_json(&iam::create_token(app, parse_body(&r.body)?)?))
        }
        _ => Err(route_not_found(r)),
    }
}
