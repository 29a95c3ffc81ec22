//! What Channel's inline REST handlers share: Channel's query conventions (which parameters a method knows, paging,
//! enums and booleans by name, update masks) and its answers (the response message or the operation in Google's
//! REST JSON, `?$alt=json;enum-encoding=int` honoured). Parsing and rendering only; no business rule lives here.

use pbjson_types::FieldMask;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::providers::google::{JsonBody, lro, parse_body, to_json};
use crate::providers::{Ctx, RestRequest, serve};
use crate::request::Query;
use crate::world::ops::Operation;

/// The paging parameters of a list method.
pub const PAGING: &[&str] = &["pageSize", "page_size", "pageToken", "page_token"];

/// The parameters a list method knows: paging and `extra`.
pub fn known(extra: &[&'static str]) -> Vec<&'static str> {
    PAGING.iter().chain(extra).copied().collect()
}

/// `pageSize` (or `page_size`); 0 when absent.
pub fn page_size(q: &Query) -> ApiResult<i32> {
    Ok(q.int(&["pageSize", "page_size"])? as i32)
}

/// The message a method takes whole as its body; the method knows no query parameter.
pub fn body<T: DeserializeOwned + Default>(r: &RestRequest) -> ApiResult<T> {
    r.query.check_known(&[])?;
    parse_body(&r.body)
}

/// An enum query parameter, by name or number.
pub fn enum_param(
    q: &Query,
    names: &[&str],
    parse: impl Fn(&str) -> Option<i32>,
) -> ApiResult<i32> {
    match q.get(names) {
        None | Some("") => Ok(0),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .ok()
            .or_else(|| parse(v.trim()))
            .ok_or_else(|| {
                ApiError::invalid_field(
                    names[0],
                    format!(
                        "Invalid value at '{}' (TYPE_ENUM), \"{}\"",
                        names[0],
                        crate::error::shown(v)
                    ),
                )
            }),
    }
}

/// A boolean query parameter (`true` / `false`); false when absent.
pub fn bool_param(q: &Query, names: &[&str]) -> ApiResult<bool> {
    match q.get(names) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(ApiError::invalid_field(
            names[0],
            format!(
                "Invalid value at '{}' (TYPE_BOOL), \"{}\"",
                names[0],
                crate::error::shown(v)
            ),
        )),
    }
}

/// A FieldMask in its JSON form (`"a.b, c"`): the paths, trimmed, empty ones dropped.
pub fn mask(m: &str) -> FieldMask {
    FieldMask {
        paths: m
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
    }
}

/// A response message in Google's REST JSON, enums as numbers when the query asks.
pub fn json<T: Serialize>(r: &RestRequest, msg: &T) -> JsonBody {
    to_json(msg, r.query.enums_as_int())
}

/// The empty message (`google.protobuf.Empty`): `{}`.
pub fn empty() -> JsonBody {
    json!({}).into()
}

/// An operation in Google's REST JSON, under the request's API version.
pub fn op_value(r: &RestRequest, op: &Operation) -> serde_json::Value {
    lro::operation_json(op, Family::Channel, r.version(), r.query.enums_as_int())
}

/// [`op_value`], as the answer.
pub fn op_json(r: &RestRequest, op: &Operation) -> JsonBody {
    op_value(r, op).into()
}

/// Serves a request message built from the REST request; the response message in Google's REST JSON.
pub fn reply<P, Q, R: Serialize>(
    r: &RestRequest,
    req: P,
    service: impl FnOnce(&mut Ctx<'_>, Q) -> ApiResult<R>,
) -> ApiResult<JsonBody>
where
    Q: TryFrom<P, Error = ApiError>,
{
    Ok(json(r, &serve(&r.app, &r.caller, req, service)?))
}

/// Serves a request message with a method that starts an operation; the operation in Google's REST JSON.
pub fn operation<P, Q>(
    r: &RestRequest,
    req: P,
    service: impl FnOnce(&mut Ctx<'_>, Q) -> ApiResult<Operation>,
) -> ApiResult<JsonBody>
where
    Q: TryFrom<P, Error = ApiError>,
{
    Ok(op_json(r, &serve(&r.app, &r.caller, req, service)?))
}
