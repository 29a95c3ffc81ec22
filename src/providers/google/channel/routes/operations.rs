//! Channel's `google.longrunning.Operations` routes (`google::lro`): list, get, delete, cancel. Reading an operation
//! can finish it, so those routes write.
use http::Method;
use pbjson_types::Empty;
use serde_json::json;

use super::bind::{empty, known, op_json, op_value};
use crate::proto::google::longrunning as lropb;
use crate::providers::binding::grpc;
use crate::providers::google::lro;
use crate::providers::{Handler, Route, call};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "operations",
        rpc: "google.longrunning.Operations/ListOperations",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            q.check_known(&known(&["filter", "name"]))?;
            let req = lro::ListOperations {
                filter: q.get(&["filter"]).unwrap_or(""),
                page_size: q.int(&["pageSize", "page_size"])?,
                page_token: q.get(&["pageToken", "page_token"]).unwrap_or(""),
            };
            let (ops, next) = call(&r.app, &r.caller, req, lro::list_operations)?;
            let mut out = json!({});
            if !ops.is_empty() {
                out["operations"] = ops.iter().map(|op| op_value(r, op)).collect();
            }
            if !next.is_empty() {
                out["nextPageToken"] = next.into();
            }
            Ok(out.into())
        }),
        grpc: grpc!(Channel, |app, caller, req: lropb::ListOperationsRequest| {
            lro::list_operations_proto(app, caller, req)
        }),
    },
    Route {
        method: Method::GET,
        template: "{name=operations/**}",
        rpc: "google.longrunning.Operations/GetOperation",
        writes: true,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let op = call(&r.app, &r.caller, &*r.var("name"), lro::get_operation)?;
            Ok(op_json(r, &op))
        }),
        grpc: grpc!(Channel, |app, caller, req: lropb::GetOperationRequest| {
            call(app, caller, &*req.name, lro::get_operation).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::DELETE,
        template: "{name=operations/**}",
        rpc: "google.longrunning.Operations/DeleteOperation",
        writes: true,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            call(&r.app, &r.caller, &*r.var("name"), lro::delete_operation)?;
            Ok(empty())
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: lropb::DeleteOperationRequest| {
                call(app, caller, &*req.name, lro::delete_operation).map(|()| Empty {})
            }
        ),
    },
    Route {
        method: Method::POST,
        template: "{name=operations/**}:cancel",
        rpc: "google.longrunning.Operations/CancelOperation",
        writes: true,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            // The body (a CancelOperationRequest, whose only field is the path's) is not read.
            call(&r.app, &r.caller, &*r.var("name"), lro::cancel_operation)?;
            Ok(empty())
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: lropb::CancelOperationRequest| {
                call(app, caller, &*req.name, lro::cancel_operation).map(|()| Empty {})
            }
        ),
    },
];
