//! Channel over REST (`/v1/…` and `/v1alpha1/…`): routes to the service functions. Parsing and rendering only; no
//! business rule lives here.

use http::Method;
use pbjson_types::FieldMask;
use serde_json::json;

use super::service;
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::google::{JsonBody, Version, lro, parse_body, to_json};
use crate::providers::{RestRequest, method_not_allowed};

pub fn route(r: &RestRequest, version: Version) -> ApiResult<JsonBody> {
    let segs = r.path.segs();
    let rest = &segs[1..];
    let verb = r.path.verb.as_deref();
    let ints = r.query.enums_as_int();
    let app = &r.app;
    let caller = &r.caller;
    match (rest, verb) {
        (["accounts", a], Some("checkCloudIdentityAccountsExist")) => {
            r.allow(&[Method::POST])?;
            r.query.check_known(&[])?;
            let mut req: pb::CheckCloudIdentityAccountsExistRequest = parse_body(&r.body)?;
            req.parent = format!("accounts/{a}");
            let resp = service::check_cloud_identity_accounts_exist(app, caller, version, req)?;
            Ok(to_json(&resp, ints))
        }
        (
            ["accounts", _, "customers"] | ["accounts", _, "channelPartnerLinks", _, "customers"],
            None,
        ) => {
            let parent = rest[..rest.len() - 1].join("/");
            match r.method {
                Method::GET => {
                    r.query.check_known(&[
                        "pageSize",
                        "page_size",
                        "pageToken",
                        "page_token",
                        "filter",
                    ])?;
                    let req = pb::ListCustomersRequest {
                        parent,
                        page_size: r.query.int(&["pageSize", "page_size"])? as i32,
                        page_token: r
                            .query
                            .get(&["pageToken", "page_token"])
                            .unwrap_or("")
                            .to_string(),
                        filter: r.query.get(&["filter"]).unwrap_or("").to_string(),
                    };
                    Ok(to_json(&service::list_customers(app, caller, req)?, ints))
                }
                Method::POST => {
                    r.query.check_known(&[])?;
                    let customer: pb::Customer = parse_body(&r.body)?;
                    let req = pb::CreateCustomerRequest {
                        parent,
                        customer: Some(customer),
                    };
                    Ok(to_json(&service::create_customer(app, caller, req)?, ints))
                }
                _ => Err(method_not_allowed(r, &[Method::GET, Method::POST])),
            }
        }
        (
            ["accounts", _, "customers"] | ["accounts", _, "channelPartnerLinks", _, "customers"],
            Some("import"),
        ) => {
            r.allow(&[Method::POST])?;
            r.query.check_known(&[])?;
            let mut req: pb::ImportCustomerRequest = parse_body(&r.body)?;
            req.parent = rest[..rest.len() - 1].join("/");
            Ok(to_json(&service::import_customer(app, caller, req)?, ints))
        }
        (
            ["accounts", _, "customers", _]
            | ["accounts", _, "channelPartnerLinks", _, "customers", _],
            None,
        ) => {
            let name = rest.join("/");
            match r.method {
                Method::GET => {
                    r.query.check_known(&[])?;
                    Ok(to_json(
                        &service::get_customer(app, caller, pb::GetCustomerRequest { name })?,
                        ints,
                    ))
                }
                Method::PATCH => {
                    r.query.check_known(&["updateMask", "update_mask"])?;
                    let mut customer: pb::Customer = parse_body(&r.body)?;
                    customer.name = name;
                    let update_mask =
                        r.query
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
                    Ok(to_json(&service::update_customer(app, caller, req)?, ints))
                }
                Method::DELETE => {
                    r.query.check_known(&[])?;
                    service::delete_customer(app, caller, pb::DeleteCustomerRequest { name })?;
                    Ok(json!({}).into())
                }
                _ => Err(method_not_allowed(
                    r,
                    &[Method::GET, Method::PATCH, Method::DELETE],
                )),
            }
        }
        (["accounts", _, "customers", _], Some("provisionCloudIdentity")) => {
            r.allow(&[Method::POST])?;
            r.query.check_known(&[])?;
            let mut req: pb::ProvisionCloudIdentityRequest = parse_body(&r.body)?;
            req.customer = rest.join("/");
            let op = service::provision_cloud_identity(app, caller, req)?;
            Ok(lro::operation_json(&op, Family::Channel, version, ints).into())
        }
        (["operations"], None) => {
            r.allow(&[Method::GET])?;
            r.query.check_known(&[
                "filter",
                "pageSize",
                "page_size",
                "pageToken",
                "page_token",
                "name",
            ])?;
            let (ops, next) = lro::list_operations(
                app,
                caller,
                r.query.get(&["filter"]).unwrap_or(""),
                r.query.int(&["pageSize", "page_size"])?,
                r.query.get(&["pageToken", "page_token"]).unwrap_or(""),
            )?;
            let mut out = json!({});
            if !ops.is_empty() {
                out["operations"] = ops
                    .iter()
                    .map(|op| lro::operation_json(op, Family::Channel, version, ints))
                    .collect::<Vec<_>>()
                    .into();
            }
            if !next.is_empty() {
                out["nextPageToken"] = next.into();
            }
            Ok(out.into())
        }
        (["operations", _, ..], None) => {
            let name = rest.join("/");
            r.query.check_known(&[])?;
            match r.method {
                Method::GET => {
                    let op = lro::get_operation(app, caller, &name)?;
                    Ok(lro::operation_json(&op, Family::Channel, version, ints).into())
                }
                Method::DELETE => {
                    lro::delete_operation(app, caller, &name)?;
                    Ok(json!({}).into())
                }
                _ => Err(method_not_allowed(r, &[Method::GET, Method::DELETE])),
            }
        }
        (["operations", _, ..], Some("cancel")) => {
            r.allow(&[Method::POST])?;
            r.query.check_known(&[])?;
            let _: pbjson_types::Empty =
                parse_body(&r.body).or_else(|_| Ok::<_, ApiError>(Default::default()))?;
            lro::cancel_operation(app, caller, &rest.join("/"))?;
            Ok(json!({}).into())
        }
        _ => super::rest_orders::route(r, version),
    }
}
