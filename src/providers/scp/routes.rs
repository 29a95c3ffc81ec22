//! SCP's REST routes, declared once: method, path template, an RPC name (SCP has no gRPC; the names are provmock's,
//! for fault rules and the journal), whether it may change the world, and its handler in `rest.rs`.
use http::Method;

use super::rest;
use crate::providers::{Handler, Route};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "",
        rpc: "scp.cloudcontrol.AccountFactory/ListVersions",
        writes: false,
        handler: Handler::Raw(rest::list_versions),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "v1/accounts",
        rpc: "scp.cloudcontrol.AccountFactory/CreateAccount",
        writes: true,
        handler: Handler::Raw(rest::create_account),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "v1/organization-accounts",
        rpc: "scp.organization.Accounts/ListAccounts",
        writes: false,
        handler: Handler::Raw(rest::list_accounts),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "v1/organization-accounts/{id}",
        rpc: "scp.organization.Accounts/GetAccount",
        writes: false,
        handler: Handler::Raw(rest::get_account),
        grpc: None,
    },
];
