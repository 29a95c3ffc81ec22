//! Cloud Identity over REST (`/v1/customers/…/userinvitations…`, and the same under `/v1beta1/`): routes to the
//! service functions. Parsing and rendering only; no business rule lives here.

use http::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::service;
use crate::error::ApiResult;
use crate::family::Family;
use crate::providers::google::{Version, enums_to_int, lro, parse_body};
use crate::providers::{RestRequest, method_not_allowed, route_not_found};

/// send and cancel take an empty message (`{}` or no body); unknown fields are INVALID_ARGUMENT.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyRequest {}

pub fn route(r: &RestRequest, version: Version) -> ApiResult<Value> {
    let segs = r.path.segs();
    let rest = &segs[1..];
    let verb = r.path.verb.as_deref();
    let ints = r.query.enums_as_int();
    let app = &r.app;
    let caller = &r.caller;
    let render = |mut v: Value| {
        if ints {
            enums_to_int(&mut v);
        }
        v
    };
    match (rest, verb) {
        (["customers", customer, "userinvitations"], None) => {
            r.allow(&[Method::GET])?;
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
                customer: customer.to_string(),
                page_size: r.query.int(&["pageSize", "page_size"])?,
                page_token: r
                    .query
                    .get(&["pageToken", "page_token"])
                    .unwrap_or("")
                    .to_string(),
                filter: r.query.get(&["filter"]).unwrap_or("").to_string(),
                order_by: r
                    .query
                    .get(&["orderBy", "order_by"])
                    .unwrap_or("")
                    .to_string(),
            };
            let resp = service::list(app, caller, req)?;
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
            Ok(render(out))
        }
        (["customers", customer, "userinvitations", email], None) => {
            r.allow(&[Method::GET])?;
            r.query.check_known(&[])?;
            let inv = service::get(app, caller, customer, email)?;
            Ok(render(service::invitation_json(&inv)))
        }
        (["customers", customer, "userinvitations", email], Some("isInvitableUser")) => {
            r.allow(&[Method::GET])?;
            r.query.check_known(&[])?;
            let yes = service::is_invitable_user(app, caller, customer, email)?;
            Ok(json!({"isInvitableUser": yes}))
        }
        (["customers", customer, "userinvitations", email], Some(v @ ("send" | "cancel"))) => {
            if r.method != Method::POST {
                return Err(method_not_allowed(r, &[Method::POST]));
            }
            r.query.check_known(&[])?;
            let _: EmptyRequest = parse_body(&r.body)?;
            let op = if v == "send" {
                service::send(app, caller, customer, email)?
            } else {
                service::cancel(app, caller, customer, email)?
            };
            Ok(lro::operation_json(
                &op,
                Family::CloudIdentity,
                version,
                ints,
            ))
        }
        _ => Err(route_not_found(r)),
    }
}
