//! Yandex over REST: `/organization-manager/v1/idp/...`, `/operations/{id}[:cancel]`, `/endpoints`, `/iam/v1/tokens`,
//! with Yandex's JSON conventions (camelCase out, snake_case accepted, int64 as strings, enums by name): what the
//! handlers inline in `routes.rs` share, `UpdateUser`'s handler, and the answer when no route takes a request.

use super::service;
use crate::error::{ApiError, ApiResult};
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::google::{JsonBody, parse_body, proto_json};
use crate::providers::{Ctx, RestRequest, route_not_found, serve};
use crate::world::ops::Operation;

/// A query parameter by either of its names (camelCase, snake_case); empty when absent.
pub fn query(r: &RestRequest, camel: &str, snake: &str) -> String {
    r.query.get(&[camel, snake]).unwrap_or("").to_string()
}

/// `pageSize` (or `page_size`); 0 when absent.
pub fn page_size(r: &RestRequest) -> ApiResult<i64> {
    match r.query.get(&["pageSize", "page_size"]) {
        None | Some("") => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::invalid_field("page_size", format!("`{v}` is not an integer"))),
    }
}

/// A message in Yandex's REST JSON.
pub fn json<T: serde::Serialize>(msg: &T) -> JsonBody {
    proto_json(msg).into()
}

/// Serves a request message built from the REST request; the answer in Yandex's REST JSON.
pub fn reply<P, Q, R: serde::Serialize>(
    r: &RestRequest,
    req: P,
    service: impl FnOnce(&mut Ctx<'_>, Q) -> ApiResult<R>,
) -> ApiResult<JsonBody>
where
    Q: TryFrom<P, Error = ApiError>,
{
    Ok(json(&serve(&r.app, &r.caller, req, service)?))
}

/// Serves a request message with a method that starts an operation; the operation in Yandex's REST JSON.
pub fn operation<P, Q>(
    r: &RestRequest,
    req: P,
    service: impl FnOnce(&mut Ctx<'_>, Q) -> ApiResult<Operation>,
) -> ApiResult<JsonBody>
where
    Q: TryFrom<P, Error = ApiError>,
{
    let op = serve(&r.app, &r.caller, req, service)?;
    Ok(service::operation_json(&op).into())
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

/// `UpdateUser`: the update mask may come in the body or, as `updateMask`, in the query.
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
    operation(r, req, service::update_user)
}
