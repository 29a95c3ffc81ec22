//! Channel over REST (`/v1/…` and `/v1alpha1/…`), the customer and operation side: one handler per route of
//! `routes.rs`, over the service functions. Parsing and rendering only; no business rule lives here.

use pbjson_types::FieldMask;
use serde_json::json;

use super::service;
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::google::{JsonBody, lro, parse_body, to_json};
use crate::providers::{RestRequest, call, serve};

fn ints(r: &RestRequest) -> bool {
    r.query.enums_as_int()
}

pub fn check_cloud_identity_accounts_exist(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::CheckCloudIdentityAccountsExistRequest = parse_body(&r.body)?;
    req.parent = r.var("parent");
    let resp = serve(
        &r.app,
        &r.caller,
        (req, r.version()),
        service::check_cloud_identity_accounts_exist,
    )?;
    Ok(to_json(&resp, ints(r)))
}

pub fn list_customers(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query
        .check_known(&["pageSize", "page_size", "pageToken", "page_token", "filter"])?;
    let req = pb::ListCustomersRequest {
        parent: r.var("parent"),
        page_size: r.query.int(&["pageSize", "page_size"])? as i32,
        page_token: r.query.page_token(),
        filter: r.query.text(&["filter"]),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, service::list_customers)?,
        ints(r),
    ))
}

pub fn create_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let customer: pb::Customer = parse_body(&r.body)?;
    let req = pb::CreateCustomerRequest {
        parent: r.var("parent"),
        customer: Some(customer),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, service::create_customer)?,
        ints(r),
    ))
}

pub fn import_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::ImportCustomerRequest = parse_body(&r.body)?;
    req.parent = r.var("parent");
    Ok(to_json(
        &serve(&r.app, &r.caller, req, service::import_customer)?,
        ints(r),
    ))
}

pub fn get_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let req = pb::GetCustomerRequest {
        name: r.var("name"),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, service::get_customer)?,
        ints(r),
    ))
}

pub fn update_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&["updateMask", "update_mask"])?;
    let mut customer: pb::Customer = parse_body(&r.body)?;
    customer.name = r.var("name");
    let update_mask = r
        .query
        .get(&["updateMask", "update_mask"])
        .map(|m| FieldMask {
            paths: m
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
        });
    let req = pb::UpdateCustomerRequest {
        customer: Some(customer),
        update_mask,
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, service::update_customer)?,
        ints(r),
    ))
}

pub fn delete_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let req = pb::DeleteCustomerRequest {
        name: r.var("name"),
    };
    serve(&r.app, &r.caller, req, service::delete_customer)?;
    Ok(json!({}).into())
}

pub fn provision_cloud_identity(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::ProvisionCloudIdentityRequest = parse_body(&r.body)?;
    req.customer = r.var("customer");
    let op = serve(&r.app, &r.caller, req, service::provision_cloud_identity)?;
    Ok(lro::operation_json(&op, Family::Channel, r.version(), ints(r)).into())
}

pub fn list_operations(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[
        "filter",
        "pageSize",
        "page_size",
        "pageToken",
        "page_token",
        "name",
    ])?;
    let req = lro::ListOperations {
        filter: r.query.get(&["filter"]).unwrap_or(""),
        page_size: r.query.int(&["pageSize", "page_size"])?,
        page_token: r.query.get(&["pageToken", "page_token"]).unwrap_or(""),
    };
    let (ops, next) = call(&r.app, &r.caller, req, lro::list_operations)?;
    let mut out = json!({});
    if !ops.is_empty() {
        out["operations"] = ops
            .iter()
            .map(|op| lro::operation_json(op, Family::Channel, r.version(), ints(r)))
            .collect::<Vec<_>>()
            .into();
    }
    if !next.is_empty() {
        out["nextPageToken"] = next.into();
    }
    Ok(out.into())
}

pub fn get_operation(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let op = call(&r.app, &r.caller, &*r.var("name"), lro::get_operation)?;
    Ok(lro::operation_json(&op, Family::Channel, r.version(), ints(r)).into())
}

pub fn delete_operation(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    call(&r.app, &r.caller, &*r.var("name"), lro::delete_operation)?;
    Ok(json!({}).into())
}

pub fn cancel_operation(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let _: pbjson_types::Empty =
        parse_body(&r.body).or_else(|_| Ok::<_, ApiError>(Default::default()))?;
    call(&r.app, &r.caller, &*r.var("name"), lro::cancel_operation)?;
    Ok(json!({}).into())
}
