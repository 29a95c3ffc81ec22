//! Google long-running operations (`google.longrunning.Operation`): rendering stored operations as REST JSON (with
//! exact `@type`s) and as protos, and the Operations methods (get, list, cancel, delete) that REST and gRPC share.

use serde_json::{Map, Value, json};

use super::{Version, enums_to_int};
use crate::app::App;
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::paging;
use crate::proto::google::longrunning as lropb;
use crate::providers::{Ctx, call};
use crate::request::Caller;
use crate::world::ops::{AnyJson, Operation, Outcome};
use crate::world::stored;

/// The `@type` of a stored message as the given API version names it (v1alpha1 renames Channel's package).
fn type_url(type_name: &str, version: Version) -> String {
    let name = match version {
        Version::V1alpha1 => type_name.replacen(
            "google.cloud.channel.v1.",
            "google.cloud.channel.v1alpha1.",
            1,
        ),
        // guess: v1beta1 serves the same message under its own package name.
        Version::V1beta1 => type_name.replacen(
            "google.apps.cloudidentity.userinvitations.v1.",
            "google.apps.cloudidentity.userinvitations.v1beta1.",
            1,
        ),
        _ => type_name.to_string(),
    };
    format!("type.googleapis.com/{name}")
}

fn any_json(a: &AnyJson, version: Version, enums_as_int: bool) -> Value {
    let mut obj = Map::new();
    obj.insert(
        "@type".into(),
        Value::String(type_url(&a.type_name, version)),
    );
    obj.extend(a.fields());
    let mut v = Value::Object(obj);
    if enums_as_int {
        enums_to_int(&mut v);
    }
    v
}

/// The REST JSON of an operation: `response` and `error` only once done; `error.code` is the rpc code.
pub fn operation_json(
    op: &Operation,
    family: Family,
    version: Version,
    enums_as_int: bool,
) -> Value {
    let mut v = json!({"name": op.name, "done": op.done});
    if let Some(m) = &op.metadata {
        v["metadata"] = any_json(m, version, enums_as_int);
    }
    if op.done {
        if let Some(e) = &op.error {
            let err = e.to_api_error();
            v["error"] = json!({"code": err.code as i32, "message": err.message, "details": err.details_json(family)});
        } else if let Some(r) = &op.response {
            v["response"] = any_json(r, version, enums_as_int);
        } else {
            v["response"] = json!({"@type": "type.googleapis.com/google.protobuf.Empty"});
        }
    }
    v
}

pub fn operation_proto(op: &Operation) -> lropb::Operation {
    let result = if !op.done {
        None
    } else if let Some(e) = &op.error {
        Some(lropb::operation::Result::Error(
            e.to_api_error().to_status_proto(op.family),
        ))
    } else {
        op.response
            .as_ref()
            .and_then(stored::pack)
            .map(lropb::operation::Result::Response)
    };
    lropb::Operation {
        name: op.name.clone(),
        metadata: op.metadata.as_ref().and_then(stored::pack),
        done: op.done,
        result,
    }
}

/// Whether `op` is visible to a caller who may act for `accounts` (`None`: every account, permissive auth).
fn visible(op: &Operation, accounts: Option<&[String]>) -> bool {
    op.family == Family::Channel && accounts.is_none_or(|a| a.contains(&op.owner))
}

/// The Channel operation `name`, if the caller may see it. guess: another tenant's operation answers NOT_FOUND,
/// exactly as a missing one does, so operation names cannot be probed across tenants (the name carries no account
/// to judge a PERMISSION_DENIED by, AIP-211 style).
fn channel_op(ctx: &Ctx<'_>, name: &str) -> ApiResult<()> {
    let accounts = super::channel::service::accounts_of_caller(ctx)?;
    check_name(name)?;
    match ctx.st.ops.ops.get(name) {
        Some(op) if visible(op, accounts.as_deref()) => Ok(()),
        _ => Err(ApiError::not_found(format!("operation `{name}` not found"))
            .with_reason("OPERATION_NOT_FOUND")),
    }
}

fn check_name(name: &str) -> ApiResult<()> {
    match name.strip_prefix("operations/") {
        Some(id) if !id.is_empty() => Ok(()),
        _ => Err(ApiError::invalid_field(
            "name",
            format!("`{name}` is not an operation name (operations/{{id}})"),
        )),
    }
}

pub fn get_operation(ctx: &mut Ctx<'_>, name: &str) -> ApiResult<Operation> {
    channel_op(ctx, name)?;
    ctx.st.read_operation(name, ctx.now)
}

/// A parsed `ListOperations` (its filter is checked once the caller is known).
pub struct ListOperations<'a> {
    pub filter: &'a str,
    pub page_size: i64,
    pub page_token: &'a str,
}

/// Lists Channel operations, oldest name first. `filter` supports `done=true|false` (guess: the docs name no
/// grammar for this method).
pub fn list_operations(
    ctx: &mut Ctx<'_>,
    req: ListOperations<'_>,
) -> ApiResult<(Vec<Operation>, String)> {
    let ListOperations {
        filter,
        page_size,
        page_token,
    } = req;
    let accounts = super::channel::service::accounts_of_caller(ctx)?;
    let st = &*ctx.st;
    let done_filter = match filter.replace(' ', "").as_str() {
        "" => None,
        "done=true" => Some(true),
        "done=false" => Some(false),
        other => {
            return Err(ApiError::invalid_field(
                "filter",
                format!("unsupported filter `{other}` (use done=true or done=false)"),
            ));
        }
    };
    let size = paging::page_size(page_size, 50, 500, "pageSize")?;
    let fp = paging::fingerprint(&["operations", filter]);
    let after = if page_token.is_empty() {
        String::new()
    } else {
        paging::decode(page_token, &fp, "pageToken")?
    };
    let keep = |_: &str, op: &Operation| {
        visible(op, accounts.as_deref()) && done_filter.is_none_or(|d| op.done == d)
    };
    let (page, next) = paging::take_page(
        paging::after(&st.ops.ops, after),
        size,
        &fp,
        keep,
        Operation::clone,
    );
    Ok((page, next))
}

/// `ListOperations` over gRPC, as the route's binding calls it: the request message in, the response message out.
pub fn list_operations_proto(
    app: &App,
    caller: &Caller,
    r: lropb::ListOperationsRequest,
) -> ApiResult<lropb::ListOperationsResponse> {
    let req = ListOperations {
        filter: &r.filter,
        page_size: i64::from(r.page_size),
        page_token: &r.page_token,
    };
    let (ops, next) = call(app, caller, req, list_operations)?;
    Ok(lropb::ListOperationsResponse {
        operations: ops.iter().map(operation_proto).collect(),
        next_page_token: next,
        unreachable: Vec::new(),
    })
}

/// Cancelling a running operation finishes it with CANCELLED; cancelling a finished one changes nothing.
pub fn cancel_operation(ctx: &mut Ctx<'_>, name: &str) -> ApiResult<()> {
    channel_op(ctx, name)?;
    let (st, now) = (&mut *ctx.st, ctx.now);
    let err = ApiError::new(Code::Cancelled, format!("operation `{name}` was cancelled"))
        .with_reason("CANCELLED");
    st.finish_operation(name, Outcome::Fail(err), now);
    Ok(())
}

pub fn delete_operation(ctx: &mut Ctx<'_>, name: &str) -> ApiResult<()> {
    channel_op(ctx, name)?;
    let (st, now) = (&mut *ctx.st, ctx.now);
    // guess: deleting a running operation cancels its work first, so nothing is left half-applied.
    let err = ApiError::new(Code::Cancelled, format!("operation `{name}` was deleted"));
    st.finish_operation(name, Outcome::Fail(err), now);
    st.ops.remove(name);
    Ok(())
}
