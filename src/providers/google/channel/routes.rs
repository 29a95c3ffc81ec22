//! Cloud Channel's REST routes, declared once: method, AIP-127 template (after the version, `v1` or `v1alpha1`), the
//! RPC it stands for (also its gRPC method, which fault rules and the journal name it by), whether it may change
//! the world (reading an operation can finish it, so those write), its REST handler in `rest.rs` / `rest_orders.rs`,
//! and the gRPC binding of its RPC (on the RPC's first route) over the same service function.
use http::Method;

use pbjson_types::Empty;

use super::{catalog, orders, partner_links, rest, rest_orders, service};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::proto::google::longrunning as lropb;
use crate::providers::binding::grpc;
use crate::providers::ctx::Later;
use crate::providers::google::{Version, lro};
use crate::providers::{Handler, Route, call, serve};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}:checkCloudIdentityAccountsExist",
        rpc: "google.cloud.channel.v1.CloudChannelService/CheckCloudIdentityAccountsExist",
        writes: false,
        handler: Handler::Json(rest::check_cloud_identity_accounts_exist),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::CheckCloudIdentityAccountsExistRequest| {
                serve(
                    app,
                    caller,
                    (req, Version::V1),
                    service::check_cloud_identity_accounts_exist,
                )
            }
        ),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListCustomers",
        writes: false,
        handler: Handler::Json(rest::list_customers),
        grpc: grpc!(Channel, pb::ListCustomersRequest => service::list_customers),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateCustomer",
        writes: true,
        handler: Handler::Json(rest::create_customer),
        grpc: grpc!(Channel, pb::CreateCustomerRequest => service::create_customer),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*/channelPartnerLinks/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListCustomers",
        writes: false,
        handler: Handler::Json(rest::list_customers),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/channelPartnerLinks/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateCustomer",
        writes: true,
        handler: Handler::Json(rest::create_customer),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}/customers:import",
        rpc: "google.cloud.channel.v1.CloudChannelService/ImportCustomer",
        writes: true,
        handler: Handler::Json(rest::import_customer),
        grpc: grpc!(Channel, pb::ImportCustomerRequest => service::import_customer),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/channelPartnerLinks/*}/customers:import",
        rpc: "google.cloud.channel.v1.CloudChannelService/ImportCustomer",
        writes: true,
        handler: Handler::Json(rest::import_customer),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetCustomer",
        writes: false,
        handler: Handler::Json(rest::get_customer),
        grpc: grpc!(Channel, pb::GetCustomerRequest => service::get_customer),
    },
    Route {
        method: Method::PATCH,
        template: "{name=accounts/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/UpdateCustomer",
        writes: true,
        handler: Handler::Json(rest::update_customer),
        grpc: grpc!(Channel, pb::UpdateCustomerRequest => service::update_customer),
    },
    Route {
        method: Method::DELETE,
        template: "{name=accounts/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/DeleteCustomer",
        writes: true,
        handler: Handler::Json(rest::delete_customer),
        grpc: grpc!(Channel, |app, caller, req: pb::DeleteCustomerRequest| {
            serve(app, caller, req, service::delete_customer).map(|()| Empty {})
        }),
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/channelPartnerLinks/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetCustomer",
        writes: false,
        handler: Handler::Json(rest::get_customer),
        grpc: None,
    },
    Route {
        method: Method::PATCH,
        template: "{name=accounts/*/channelPartnerLinks/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/UpdateCustomer",
        writes: true,
        handler: Handler::Json(rest::update_customer),
        grpc: None,
    },
    Route {
        method: Method::DELETE,
        template: "{name=accounts/*/channelPartnerLinks/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/DeleteCustomer",
        writes: true,
        handler: Handler::Json(rest::delete_customer),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "{customer=accounts/*/customers/*}:provisionCloudIdentity",
        rpc: "google.cloud.channel.v1.CloudChannelService/ProvisionCloudIdentity",
        writes: true,
        handler: Handler::Json(rest::provision_cloud_identity),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::ProvisionCloudIdentityRequest| {
                serve(app, caller, req, service::provision_cloud_identity)
                    .map(|op| lro::operation_proto(&op))
            }
        ),
    },
    Route {
        method: Method::GET,
        template: "operations",
        rpc: "google.longrunning.Operations/ListOperations",
        writes: false,
        handler: Handler::Json(rest::list_operations),
        grpc: grpc!(Channel, |app, caller, req: lropb::ListOperationsRequest| {
            lro::list_operations_proto(app, caller, req)
        }),
    },
    Route {
        method: Method::GET,
        template: "{name=operations/**}",
        rpc: "google.longrunning.Operations/GetOperation",
        writes: true,
        handler: Handler::Json(rest::get_operation),
        grpc: grpc!(Channel, |app, caller, req: lropb::GetOperationRequest| {
            call(app, caller, &*req.name, lro::get_operation).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::DELETE,
        template: "{name=operations/**}",
        rpc: "google.longrunning.Operations/DeleteOperation",
        writes: true,
        handler: Handler::Json(rest::delete_operation),
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
        handler: Handler::Json(rest::cancel_operation),
        grpc: grpc!(
            Channel,
            |app, caller, req: lropb::CancelOperationRequest| {
                call(app, caller, &*req.name, lro::cancel_operation).map(|()| Empty {})
            }
        ),
    },
    Route {
        method: Method::GET,
        template: "products",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListProducts",
        writes: false,
        handler: Handler::Json(rest_orders::list_products),
        grpc: grpc!(Channel, |app, caller, req: pb::ListProductsRequest| {
            serve(app, caller, req, catalog::list_products).and_then(Later::run)
        }),
    },
    Route {
        method: Method::GET,
        template: "{parent=products/*}/skus",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListSkus",
        writes: false,
        handler: Handler::Json(rest_orders::list_skus),
        grpc: grpc!(Channel, |app, caller, req: pb::ListSkusRequest| {
            serve(app, caller, req, catalog::list_skus).and_then(Later::run)
        }),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*}/offers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListOffers",
        writes: false,
        handler: Handler::Json(rest_orders::list_offers),
        grpc: grpc!(Channel, |app, caller, req: pb::ListOffersRequest| {
            serve(app, caller, req, catalog::list_offers).and_then(Later::run)
        }),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}:listTransferableSkus",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListTransferableSkus",
        writes: false,
        handler: Handler::Json(rest_orders::list_transferable_skus),
        grpc: grpc!(Channel, pb::ListTransferableSkusRequest => catalog::list_transferable_skus),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}:listTransferableOffers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListTransferableOffers",
        writes: false,
        handler: Handler::Json(rest_orders::list_transferable_offers),
        grpc: grpc!(Channel, pb::ListTransferableOffersRequest => catalog::list_transferable_offers),
    },
    Route {
        method: Method::GET,
        template: "{customer=accounts/*/customers/*}:listPurchasableSkus",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListPurchasableSkus",
        writes: false,
        handler: Handler::Json(rest_orders::list_purchasable_skus),
        grpc: grpc!(Channel, pb::ListPurchasableSkusRequest => catalog::list_purchasable_skus),
    },
    Route {
        method: Method::GET,
        template: "{customer=accounts/*/customers/*}:listPurchasableOffers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListPurchasableOffers",
        writes: false,
        handler: Handler::Json(rest_orders::list_purchasable_offers),
        grpc: grpc!(Channel, pb::ListPurchasableOffersRequest => catalog::list_purchasable_offers),
    },
    Route {
        method: Method::GET,
        template: "{customer=accounts/*/customers/*}:queryEligibleBillingAccounts",
        rpc: "google.cloud.channel.v1.CloudChannelService/QueryEligibleBillingAccounts",
        writes: false,
        handler: Handler::Json(rest_orders::query_eligible_billing_accounts),
        grpc: grpc!(Channel, pb::QueryEligibleBillingAccountsRequest => catalog::query_eligible_billing_accounts),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/customers/*}:transferEntitlements",
        rpc: "google.cloud.channel.v1.CloudChannelService/TransferEntitlements",
        writes: true,
        handler: Handler::Json(rest_orders::transfer_entitlements),
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
        handler: Handler::Json(rest_orders::transfer_entitlements_to_google),
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
        handler: Handler::Json(rest_orders::list_entitlements),
        grpc: grpc!(Channel, pb::ListEntitlementsRequest => orders::list_entitlements),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/customers/*}/entitlements",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateEntitlement",
        writes: true,
        handler: Handler::Json(rest_orders::create_entitlement),
        grpc: grpc!(Channel, |app, caller, req: pb::CreateEntitlementRequest| {
            serve(app, caller, req, orders::create_entitlement).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/customers/*/entitlements/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetEntitlement",
        writes: false,
        handler: Handler::Json(rest_orders::get_entitlement),
        grpc: grpc!(Channel, pb::GetEntitlementRequest => orders::get_entitlement),
    },
    Route {
        method: Method::GET,
        template: "{entitlement=accounts/*/customers/*/entitlements/*}:lookupOffer",
        rpc: "google.cloud.channel.v1.CloudChannelService/LookupOffer",
        writes: false,
        handler: Handler::Json(rest_orders::lookup_offer),
        grpc: grpc!(Channel, pb::LookupOfferRequest => catalog::lookup_offer),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*/customers/*/entitlements/*}:listEntitlementChanges",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListEntitlementChanges",
        writes: false,
        handler: Handler::Json(rest_orders::list_entitlement_changes),
        grpc: grpc!(Channel, pb::ListEntitlementChangesRequest => orders::list_entitlement_changes),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:changeParameters",
        rpc: "google.cloud.channel.v1.CloudChannelService/ChangeParameters",
        writes: true,
        handler: Handler::Json(rest_orders::change_parameters),
        grpc: grpc!(Channel, |app, caller, req: pb::ChangeParametersRequest| {
            serve(app, caller, req, orders::change_parameters).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:changeRenewalSettings",
        rpc: "google.cloud.channel.v1.CloudChannelService/ChangeRenewalSettings",
        writes: true,
        handler: Handler::Json(rest_orders::change_renewal_settings),
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
        handler: Handler::Json(rest_orders::change_offer),
        grpc: grpc!(Channel, |app, caller, req: pb::ChangeOfferRequest| {
            serve(app, caller, req, orders::change_offer).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:startPaidService",
        rpc: "google.cloud.channel.v1.CloudChannelService/StartPaidService",
        writes: true,
        handler: Handler::Json(rest_orders::start_paid_service),
        grpc: grpc!(Channel, |app, caller, req: pb::StartPaidServiceRequest| {
            serve(app, caller, req, orders::start_paid_service).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::POST,
        template: "{name=accounts/*/customers/*/entitlements/*}:suspend",
        rpc: "google.cloud.channel.v1.CloudChannelService/SuspendEntitlement",
        writes: true,
        handler: Handler::Json(rest_orders::suspend_entitlement),
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
        handler: Handler::Json(rest_orders::activate_entitlement),
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
        handler: Handler::Json(rest_orders::cancel_entitlement),
        grpc: grpc!(Channel, |app, caller, req: pb::CancelEntitlementRequest| {
            serve(app, caller, req, orders::cancel_entitlement).map(|op| lro::operation_proto(&op))
        }),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*}/channelPartnerLinks",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListChannelPartnerLinks",
        writes: false,
        handler: Handler::Json(rest_orders::list_channel_partner_links),
        grpc: grpc!(Channel, pb::ListChannelPartnerLinksRequest => partner_links::list_channel_partner_links),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}/channelPartnerLinks",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateChannelPartnerLink",
        writes: true,
        handler: Handler::Json(rest_orders::create_channel_partner_link),
        grpc: grpc!(Channel, pb::CreateChannelPartnerLinkRequest => partner_links::create_channel_partner_link),
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/channelPartnerLinks/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetChannelPartnerLink",
        writes: false,
        handler: Handler::Json(rest_orders::get_channel_partner_link),
        grpc: grpc!(Channel, pb::GetChannelPartnerLinkRequest => partner_links::get_channel_partner_link),
    },
    Route {
        method: Method::PATCH,
        template: "{name=accounts/*/channelPartnerLinks/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/UpdateChannelPartnerLink",
        writes: true,
        handler: Handler::Json(rest_orders::update_channel_partner_link),
        grpc: grpc!(Channel, pb::UpdateChannelPartnerLinkRequest => partner_links::update_channel_partner_link),
    },
];
