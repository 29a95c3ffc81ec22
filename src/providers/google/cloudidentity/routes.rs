//! Cloud Identity's REST routes (user invitations), declared once: method, AIP-127 template (after the version, `v1`
//! or `v1beta1`), RPC name (fault rules and the journal name requests by it), whether it may change the world, and
//! its handler in `rest.rs`.
use http::Method;

use super::rest;
use crate::providers::{Handler, Route};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "customers/{customer}/userinvitations",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/ListUserInvitations",
        writes: false,
        handler: Handler::Json(rest::list),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "customers/{customer}/userinvitations/{email}",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/GetUserInvitation",
        writes: false,
        handler: Handler::Json(rest::get),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "customers/{customer}/userinvitations/{email}:isInvitableUser",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/IsInvitableUser",
        writes: false,
        handler: Handler::Json(rest::is_invitable_user),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "customers/{customer}/userinvitations/{email}:send",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/SendUserInvitation",
        writes: true,
        handler: Handler::Json(rest::send),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "customers/{customer}/userinvitations/{email}:cancel",
        rpc: "google.apps.cloudidentity.userinvitations.v1.UserInvitationService/CancelUserInvitation",
        writes: true,
        handler: Handler::Json(rest::cancel),
        grpc: None,
    },
];
