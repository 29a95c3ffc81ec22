//! Cloud Identity over REST (`/v1/customers/…/userinvitations…`, and the same under `/v1beta1/`): one handler per
//! route of `routes.rs`, over the service functions. Parsing and rendering only; no business rule lives here.

use serde::Deserialize;
use serde_json::{Value, json};

use super::service;
use crate::error::ApiResult;
use crate::family::Family;
use crate::providers::google::{JsonBody, enums_to_int, lro, parse_body};
use crate::providers::{RestRequest, call, serve};

/// send and cancel take an empty message (`{}` or no body); unknown fields are INVALID_ARGUMENT.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyRequest {}

/// The invitation the path names.
fn key(r: &RestRequest) -> service::InvitationKey {
    service::InvitationKey::parse(&r.var("customer"), r.var("email"))
}

fn render(r: &RestRequest, mut v: Value) -> JsonBody {
    if r.query.enums_as_int() {
        enums_to_int(&mut v);
    }
    v.into()
}

pub fn list(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[
        "pageSize",
        "page_size",
        "pageToken",
        "page_token",
        "filter",
        "orderBy",
        "order_by",
    ])?;
    let req = service::ListRequest {
        customer: r.var("customer"),
        page_size: r.query.int(&["pageSize", "page_size"])?,
        page_token: r.query.page_token(),
        filter: r.query.text(&["filter"]),
        order_by: r.query.text(&["orderBy", "order_by"]),
    };
    let resp = serve(&r.app, &r.caller, req, service::list)?.finish();
    let mut out = json!({});
    if !resp.invitations.is_empty() {
        out["userInvitations"] = resp
            .invitations
            .iter()
            .map(service::invitation_json)
            .collect::<Vec<_>>()
            .into();
    }
    if !resp.next_page_token.is_empty() {
        out["nextPageToken"] = resp.next_page_token.into();
    }
    Ok(render(r, out))
}

pub fn get(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let inv = call(&r.app, &r.caller, key(r), service::get)?;
    Ok(render(r, service::invitation_json(&inv)))
}

pub fn is_invitable_user(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let yes = call(&r.app, &r.caller, key(r), service::is_invitable_user)?;
    Ok(json!({"isInvitableUser": yes}).into())
}

fn operation(r: &RestRequest, op: &crate::world::ops::Operation) -> JsonBody {
    lro::operation_json(
        op,
        Family::CloudIdentity,
        r.version(),
        r.query.enums_as_int(),
    )
    .into()
}

pub fn send(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let _: EmptyRequest = parse_body(&r.body)?;
    let op = call(&r.app, &r.caller, key(r), service::send)?;
    Ok(operation(r, &op))
}

pub fn cancel(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let _: EmptyRequest = parse_body(&r.body)?;
    let op = call(&r.app, &r.caller, key(r), service::cancel)?;
    Ok(operation(r, &op))
}
