//! Cloud Identity over REST (user invitations: `/v1/customers/…/userinvitations…`, and the same under `/v1beta1/`),
//! its routes declared once: method, AIP-127 template (after the version), RPC name (fault rules and the journal
//! name requests by it), whether it may change the world, and its REST handler, inline over the service functions
//! and the few helpers below the table. Parsing and rendering only; no business rule lives here.
use http::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::service;
use crate::family::Family;
use crate::providers::google::{JsonBody, enums_to_int, lro, parse_body};
use crate::providers::{Handler, RestRequest, Route, call, serve};
use crate::world::ops::Operation;

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "customers/{customer}/userinvitations",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/ListUserInvitations",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            q.check_known(&[
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
                page_size: q.int(&["pageSize", "page_size"])?,
                page_token: q.page_token(),
                filter: q.text(&["filter"]),
                order_by: q.text(&["orderBy", "order_by"]),
            };
            let resp = serve(&r.app, &r.caller, req, service::list)?.finish();
            let mut out = json!({});
            if !resp.invitations.is_empty() {
                let all = resp.invitations.iter().map(service::invitation_json);
                out["userInvitations"] = all.collect();
            }
            if !resp.next_page_token.is_empty() {
                out["nextPageToken"] = resp.next_page_token.into();
            }
            Ok(render(r, out))
        }),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "customers/{customer}/userinvitations/{email}",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/GetUserInvitation",
        writes: false,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let inv = call(&r.app, &r.caller, key(r), service::get)?;
            Ok(render(r, service::invitation_json(&inv)))
        }),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "customers/{customer}/userinvitations/{email}:isInvitableUser",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/IsInvitableUser",
        writes: false,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let yes = call(&r.app, &r.caller, key(r), service::is_invitable_user)?;
            Ok(json!({"isInvitableUser": yes}).into())
        }),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "customers/{customer}/userinvitations/{email}:send",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/SendUserInvitation",
        writes: true,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let _: EmptyRequest = parse_body(&r.body)?;
            let op = call(&r.app, &r.caller, key(r), service::send)?;
            Ok(operation(r, &op))
        }),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "customers/{customer}/userinvitations/{email}:cancel",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/CancelUserInvitation",
        writes: true,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let _: EmptyRequest = parse_body(&r.body)?;
            let op = call(&r.app, &r.caller, key(r), service::cancel)?;
            Ok(operation(r, &op))
        }),
        grpc: None,
    },
];

/// send and cancel take an empty message (`{}` or no body); unknown fields are INVALID_ARGUMENT.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyRequest {}

/// The invitation the path names.
fn key(r: &RestRequest) -> service::InvitationKey {
    service::InvitationKey::parse(&r.var("customer"), r.var("email"))
}

/// An answer, enums as numbers when the query asks.
fn render(r: &RestRequest, mut v: Value) -> JsonBody {
    if r.query.enums_as_int() {
        enums_to_int(&mut v);
    }
    v.into()
}

/// An operation in Google's REST JSON, under the request's API version.
fn operation(r: &RestRequest, op: &Operation) -> JsonBody {
    lro::operation_json(
        op,
        Family::CloudIdentity,
        r.version(),
        r.query.enums_as_int(),
    )
    .into()
}
