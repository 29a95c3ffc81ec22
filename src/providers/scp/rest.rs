//! SCP over REST: `POST /v1/accounts` (Cloud Control), `GET /v1/organization-accounts[/{id}]` (Organization) and the
//! version list at `GET /` — one handler per route of `routes.rs`. Headers and bodies are parsed here; rules live
//! in `service.rs`.

use axum::response::Response;
use http::{HeaderValue, StatusCode};
use serde_json::json;

use super::accounts::{self, ListQuery};
use super::auth::{Credentials, Signed, Versioned};
use super::{service, versions};
use crate::error::{ApiError, ApiResult, json_response};
use crate::providers::{RestRequest, call};

fn header(r: &RestRequest, name: &str) -> Option<String> {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

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

fn versioned(status: StatusCode, v: Versioned<serde_json::Value>) -> Response {
    with_warning(json_response(status, &v.body), v.warning)
}

fn with_warning(mut resp: Response, warning: Option<String>) -> Response {
    if let Some(w) = warning.and_then(|w| HeaderValue::from_str(&w).ok()) {
        resp.headers_mut().insert(http::header::WARNING, w);
    }
    resp
}

fn parse_body(body: &[u8]) -> ApiResult<service::CreateAccountRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_field(
            "body",
            "a JSON request body is required",
        ));
    }
    crate::request::decode_json(body, "invalid request body:")
}

fn usize_param(r: &RestRequest, name: &str, default: usize, max: usize) -> ApiResult<usize> {
    match r.query.get(&[name]) {
        None | Some("") => Ok(default),
        Some(v) => v.parse::<usize>().map(|n| n.min(max)).map_err(|_| {
            ApiError::invalid_field(name, format!("`{v}` is not a non-negative integer"))
        }),
    }
}

pub fn list_versions(r: &RestRequest) -> ApiResult<Response> {
    let host = r.authority().unwrap_or("localhost");
    // guess: one base URL serves both services; `/` lists Cloud Control's versions (the account factory).
    Ok(json_response(
        StatusCode::OK,
        &versions::list("cloudcontrol", &format!("{}://{host}", r.scheme)),
    ))
}

pub fn create_account(r: &RestRequest) -> ApiResult<Response> {
    let req = signed(
        r,
        parse_body(&r.body).and_then(service::NewAccount::try_from),
    );
    let created = call(&r.app, &r.caller, req, service::create_account)?;
    let body = json!({"account_id": created.body.account_id, "job_id": created.body.job_id});
    Ok(with_warning(
        json_response(StatusCode::CREATED, &body),
        created.warning,
    ))
}

fn list_query(r: &RestRequest) -> ApiResult<accounts::ListAccounts> {
    ListQuery {
        page: usize_param(r, "page", 0, usize::MAX / 2)?,
        // guess: at most 1000 per page.
        size: usize_param(r, "size", 20, 1000)?.max(1),
        sort: r.query.text(&["sort"]),
        name: r.query.text(&["name"]),
        email: r.query.text(&["email"]),
        parent_unit_id: r.query.text(&["parent_unit_id"]),
    }
    .try_into()
}

pub fn list_accounts(r: &RestRequest) -> ApiResult<Response> {
    let req = signed(r, list_query(r));
    let v = call(&r.app, &r.caller, req, accounts::list_accounts)?;
    Ok(versioned(StatusCode::OK, v))
}

pub fn get_account(r: &RestRequest) -> ApiResult<Response> {
    let req = signed(r, Ok(r.var("id")));
    let v = call(&r.app, &r.caller, req, accounts::get_account)?;
    Ok(versioned(StatusCode::OK, v))
}
