//! Channel's order routes (`orders/`): entitlements (list, create, get, their changes), the entitlement changes
//! that answer an operation (a body naming the entitlement, `name` from the path), and transfers.
use http::Method;

use super::bind::{PAGING, body, known, operation, page_size, reply};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::binding::grpc;
use crate::providers::google::channel::orders;
use crate::providers::google::lro;
use crate::providers::{Handler, Route, serve};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/customers/*}:transferEntitlements",
        rpc: "google.cloud.channel.v1.CloudChannelService/TransferEntitlements",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::TransferEntitlementsRequest = body(r)?;
            req.parent = r.var("parent");
            operation(r, req, orders::transfer_entitlements)
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::TransferEntitlementsRequest| {
                serve(app, caller, req, orders::transfer_entitlements)
                    .map(|op| lro::operation_proto(&op))
            }
        ),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/customers/*}:transferEntitlementsToGoogle",
        rpc: "google.cloud.channel.v1.CloudChannelService/TransferEntitlementsToGoogle",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::TransferEntitlementsToGoogleRequest = body(r)?;
            req.parent = r.var("parent");
            operation(r, req, orders::transfer_entitlements_to_google)
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::TransferEntitlementsToGoogleRequest| {
                serve(app, caller, req, orders::transfer_entitlements_to_google)
                    .map(|op| lro::operation_proto(&op))
            }
        ),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*/customers/*}/entitlements",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListEntitlements",
        writes: false,
        handler: Handler::Json(|r| {
            r.query.check_known(PAGING)?;
            let req = pb::ListEntitlementsRequest {
                parent: r.var("parent"),
                page_size: page_size(&r.query)?,
                page_token: r.query.page_token(),
            };
            reply(r, req, orders::list_entitlements)
        }),
        grpc: grpc!(Channel, pb::ListEntitlementsRequest => orders::list_entitlements),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/customers/*}/entitlements",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateEntitlement",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::CreateEntitlementRequest = body(r)?;
            req.parent = r.var("parent");
            operation(r, req, orders::create_entitlement)
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::CreateEntitlementRequest| {
            serve(app, caller, req, orders::create_entitlement).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/customers/*/entitlements/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetEntitlement",
        writes: false,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let name = r.var("name");
            reply(
                r,
                pb::GetEntitlementRequest { name },
                orders::get_entitlement,
            )
        }),
        grpc: grpc!(Channel, pb::GetEntitlementRequest => orders::get_entitlement),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*/customers/*/entitlements/*}:listEntitlementChanges",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListEntitlementChanges",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            q.check_known(&known(&["filter"]))?;
            let req = pb::ListEntitlementChangesRequest {
                parent: r.var("parent"),
                page_size: page_size(q)?,
                page_token: q.page_token(),
                filter: q.text(&["filter"]),
            };
            reply(r, req, orders::list_entitlement_changes)
        }),
        grpc: grpc!(Channel, pb::ListEntitlementChangesRequest => orders::list_entitlement_changes),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:changeParameters",
        rpc: "google.cloud.channel.v1.CloudChannelService/ChangeParameters",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::ChangeParametersRequest = body(r)?;
            req.name = r.var("name");
            operation(r, req, orders::change_parameters)
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::ChangeParametersRequest| {
            serve(app, caller, req, orders::change_parameters).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:changeRenewalSettings",
        rpc: "google.cloud.channel.v1.CloudChannelService/ChangeRenewalSettings",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::ChangeRenewalSettingsRequest = body(r)?;
            req.name = r.var("name");
            operation(r, req, orders::change_renewal_settings)
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::ChangeRenewalSettingsRequest| {
                serve(app, caller, req, orders::change_renewal_settings)
                    .map(|op| lro::operation_proto(&op))
            }
        ),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:changeOffer",
        rpc: "google.cloud.channel.v1.CloudChannelService/ChangeOffer",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::ChangeOfferRequest = body(r)?;
            req.name = r.var("name");
            operation(r, req, orders::change_offer)
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::ChangeOfferRequest| {
            serve(app, caller, req, orders::change_offer).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:startPaidService",
        rpc: "google.cloud.channel.v1.CloudChannelService/StartPaidService",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::StartPaidServiceRequest = body(r)?;
            req.name = r.var("name");
            operation(r, req, orders::start_paid_service)
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::StartPaidServiceRequest| {
            serve(app, caller, req, orders::start_paid_service).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:suspend",
        rpc: "google.cloud.channel.v1.CloudChannelService/SuspendEntitlement",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::SuspendEntitlementRequest = body(r)?;
            req.name = r.var("name");
            operation(r, req, orders::suspend_entitlement)
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::SuspendEntitlementRequest| {
                serve(app, caller, req, orders::suspend_entitlement)
                    .map(|op| lro::operation_proto(&op))
            }
        ),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:activate",
        rpc: "google.cloud.channel.v1.CloudChannelService/ActivateEntitlement",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::ActivateEntitlementRequest = body(r)?;
            req.name = r.var("name");
            operation(r, req, orders::activate_entitlement)
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::ActivateEntitlementRequest| {
                serve(app, caller, req, orders::activate_entitlement)
                    .map(|op| lro::operation_proto(&op))
            }
        ),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:cancel",
        rpc: "google.cloud.channel.v1.CloudChannelService/CancelEntitlement",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::CancelEntitlementRequest = body(r)?;
            req.name = r.var("name");
            operation(r, req, orders::cancel_entitlement)
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::CancelEntitlementRequest| {
            serve(app, caller, req, orders::cancel_entitlement).map(|op| lro::operation_proto(&op))
        }),
    },
];
