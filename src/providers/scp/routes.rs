//! SCP over REST: `POST /v1/accounts` (Cloud Control), `GET /v1/organization-accounts[/{id}]` (Organization) and the
//! version list at `GET /`, its routes declared once: method, path template, an RPC name (SCP has no gRPC; the names
//! are provmock's, for fault rules and the journal), whether it may change the world, and its REST handler, inline
//! over the helpers below the table (SCP's headers, signature inputs, bodies and answers). Rules live in
//! `service.rs` and `accounts.rs`.
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode};
use serde_json::json;

use super::accounts::{self, ListQuery};
use super::auth::{Credentials, Signed, Versioned};
use super::{service, versions};
use crate::error::{ApiError, ApiResult, json_response};
use crate::providers::{Handler, RestRequest, Route, call};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "",
        rpc: "scp.cloudcontrol.AccountFactory/ListVersions",
        writes: false,
        handler: Handler::Raw(|r| {
            let base = format!("{}://{}", r.scheme, r.authority().unwrap_or("localhost"));
            // guess: one base URL serves both services; `/` lists Cloud Control's versions (the account factory).
            let list = versions::list("cloudcontrol", &base);
            Ok(json_response(StatusCode::OK, &list))
        }),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "v1/accounts",
        rpc: "scp.cloudcontrol.AccountFactory/CreateAccount",
        writes: true,
        handler: Handler::Raw(|r| {
            let account = parse_body(&r.body).and_then(service::NewAccount::try_from);
            let created = call(
                &r.app,
                &r.caller,
                signed(r, account),
                service::create_account,
            )?;
            let body =
                json!({"account_id": created.body.account_id, "job_id": created.body.job_id});
            let resp = json_response(StatusCode::CREATED, &body);
            Ok(with_warning(resp, created.warning))
        }),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "v1/organization-accounts",
        rpc: "scp.organization.Accounts/ListAccounts",
        writes: false,
        handler: Handler::Raw(|r| {
            let page = usize_param(r, "page", 0, usize::MAX / 2);
            // guess: at most 1000 per page.
            let size = usize_param(r, "size", 20, 1000);
            let query = page.and_then(|page| {
                accounts::ListAccounts::try_from(ListQuery {
                    page,
                    size: size?.max(1),
                    sort: r.query.text(&["sort"]),
                    name: r.query.text(&["name"]),
                    email: r.query.text(&["email"]),
                    parent_unit_id: r.query.text(&["parent_unit_id"]),
                })
            });
            let v = call(&r.app, &r.caller, signed(r, query), accounts::list_accounts)?;
            Ok(versioned(StatusCode::OK, v))
        }),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "v1/organization-accounts/{id}",
        rpc: "scp.organization.Accounts/GetAccount",
        writes: false,
        handler: Handler::Raw(|r| {
            let req = signed(r, Ok(r.var("id")));
            let v = call(&r.app, &r.caller, req, accounts::get_account)?;
            Ok(versioned(StatusCode::OK, v))
        }),
        grpc: None,
    },
];

fn header(r: &RestRequest, name: &str) -> Option<String> {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

/// What the signature is checked against: the `Scp-*` headers and the URL as the client addressed it.
fn credentials(r: &RestRequest) -> Credentials {
    let host = r.authority().unwrap_or("localhost");
    Credentials {
        access_key: header(r, "scp-accesskey"),
        signature: header(r, "scp-signature"),
        timestamp: header(r, "scp-timestamp"),
        client_type: header(r, "scp-clienttype"),
        account_id: header(r, "scp-accountid"),
        url: super::signature::rebuild_url(r.scheme, host, &r.raw_path, r.raw_query.as_deref()),
        method: r.method.as_str().to_string(),
        skew: r.app.config.scp_skew,
    }
}

/// The request with the version header and the credentials SCP checks before it.
fn signed<Q>(r: &RestRequest, req: ApiResult<Q>) -> Signed<Q> {
    Signed {
        api_version: header(r, "scp-api-version"),
        credentials: credentials(r),
        req,
    }
}

/// A versioned answer: its body, and the `Warning` header of a deprecated version.
fn versioned(status: StatusCode, v: Versioned<serde_json::Value>) -> Response {
    with_warning(json_response(status, &v.body), v.warning)
}

fn with_warning(mut resp: Response, warning: Option<String>) -> Response {
    if let Some(w) = warning.and_then(|w| HeaderValue::from_str(&w).ok()) {
        resp.headers_mut().insert(http::header::WARNING, w);
    }
    resp
}

/// A CreateAccount body: required, JSON.
fn parse_body(body: &[u8]) -> ApiResult<service::CreateAccountRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_field(
            "body",
            "a JSON request body is required",
        ));
    }
    crate::request::decode_json(body, "invalid request body:")
}

/// A non-negative integer query parameter, at most `max`; `default` when absent.
fn usize_param(r: &RestRequest, name: &str, default: usize, max: usize) -> ApiResult<usize> {
    match r.query.get(&[name]) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<usize>().map(|n| n.min(max)).map_err(|_| {
            ApiError::invalid_field(name, format!("`{v}` is not a non-negative integer"))
        }),
    }
}
