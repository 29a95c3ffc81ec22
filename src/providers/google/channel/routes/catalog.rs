//! Channel's catalog routes (`catalog.rs`): products, SKUs and offers (the catalog reads render outside the lock:
//! their service returns a `Later`), what a customer can transfer or buy, eligible billing accounts, and the offer
//! of an entitlement.
use http::Method;

use super::bind::{body, bool_param, enum_param, json, known, page_size, reply};
use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::binding::grpc;
use crate::providers::ctx::Later;
use crate::providers::google::channel::catalog;
use crate::providers::{Handler, Route, serve};
use crate::request::Query;

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "products",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListProducts",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            q.check_known(&known(&["account", "languageCode", "language_code"]))?;
            let req = pb::ListProductsRequest {
                account: q.text(&["account"]),
                page_size: page_size(q)?,
                page_token: q.page_token(),
                language_code: q.text(&["languageCode", "language_code"]),
            };
            let resp =
                serve(&r.app, &r.caller, req, catalog::list_products).and_then(Later::run)?;
            Ok(json(r, &resp))
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::ListProductsRequest| {
            serve(app, caller, req, catalog::list_products).and_then(Later::run)
        }),
    },
    Route {
        method: Method::GET,
        template: "{parent=products/*}/skus",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListSkus",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            q.check_known(&known(&["account", "languageCode", "language_code"]))?;
            let req = pb::ListSkusRequest {
                parent: r.var("parent"),
                account: q.text(&["account"]),
                page_size: page_size(q)?,
                page_token: q.page_token(),
                language_code: q.text(&["languageCode", "language_code"]),
            };
            let resp = serve(&r.app, &r.caller, req, catalog::list_skus).and_then(Later::run)?;
            Ok(json(r, &resp))
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::ListSkusRequest| {
            serve(app, caller, req, catalog::list_skus).and_then(Later::run)
        }),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*}/offers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListOffers",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            q.check_known(&known(&[
                "filter",
                "languageCode",
                "language_code",
                "showFutureOffers",
                "show_future_offers",
            ]))?;
            let req = pb::ListOffersRequest {
                parent: r.var("parent"),
                page_size: page_size(q)?,
                page_token: q.page_token(),
                filter: q.text(&["filter"]),
                language_code: q.text(&["languageCode", "language_code"]),
                show_future_offers: bool_param(q, &["showFutureOffers", "show_future_offers"])?,
            };
            let resp = serve(&r.app, &r.caller, req, catalog::list_offers).and_then(Later::run)?;
            Ok(json(r, &resp))
        }),
        grpc: grpc!(Channel, |app, caller, req: pb::ListOffersRequest| {
            serve(app, caller, req, catalog::list_offers).and_then(Later::run)
        }),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}:listTransferableSkus",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListTransferableSkus",
        writes: false,
        handler: Handler::Json(|r| {
            let mut req: pb::ListTransferableSkusRequest = body(r)?;
            req.parent = r.var("parent");
            reply(r, req, catalog::list_transferable_skus)
        }),
        grpc: grpc!(Channel, pb::ListTransferableSkusRequest => catalog::list_transferable_skus),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}:listTransferableOffers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListTransferableOffers",
        writes: false,
        handler: Handler::Json(|r| {
            let mut req: pb::ListTransferableOffersRequest = body(r)?;
            req.parent = r.var("parent");
            reply(r, req, catalog::list_transferable_offers)
        }),
        grpc: grpc!(Channel, pb::ListTransferableOffersRequest => catalog::list_transferable_offers),
    },
    Route {
        method: Method::GET,
        template: "{customer=accounts/*/customers/*}:listPurchasableSkus",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListPurchasableSkus",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            let req = pb::ListPurchasableSkusRequest {
                purchase_option: sku_purchase(q)?,
                customer: r.var("customer"),
                page_size: page_size(q)?,
                page_token: q.page_token(),
                language_code: q.text(&["languageCode", "language_code"]),
            };
            reply(r, req, catalog::list_purchasable_skus)
        }),
        grpc: grpc!(Channel, pb::ListPurchasableSkusRequest => catalog::list_purchasable_skus),
    },
    Route {
        method: Method::GET,
        template: "{customer=accounts/*/customers/*}:listPurchasableOffers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListPurchasableOffers",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            let req = pb::ListPurchasableOffersRequest {
                purchase_option: offer_purchase(q)?,
                customer: r.var("customer"),
                page_size: page_size(q)?,
                page_token: q.page_token(),
                language_code: q.text(&["languageCode", "language_code"]),
            };
            reply(r, req, catalog::list_purchasable_offers)
        }),
        grpc: grpc!(Channel, pb::ListPurchasableOffersRequest => catalog::list_purchasable_offers),
    },
    Route {
        method: Method::GET,
        template: "{customer=accounts/*/customers/*}:queryEligibleBillingAccounts",
        rpc: "google.cloud.channel.v1.CloudChannelService/QueryEligibleBillingAccounts",
        writes: false,
        handler: Handler::Json(|r| {
            r.query.check_known(&["skus"])?;
            let skus = r.query.0.iter().filter(|(k, _)| k == "skus");
            let req = pb::QueryEligibleBillingAccountsRequest {
                customer: r.var("customer"),
                skus: skus.map(|(_, v)| v.clone()).collect(),
            };
            reply(r, req, catalog::query_eligible_billing_accounts)
        }),
        grpc: grpc!(Channel, pb::QueryEligibleBillingAccountsRequest => catalog::query_eligible_billing_accounts),
    },
    Route {
        method: Method::GET,
        template: "{entitlement=accounts/*/customers/*/entitlements/*}:lookupOffer",
        rpc: "google.cloud.channel.v1.CloudChannelService/LookupOffer",
        writes: false,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let entitlement = r.var("entitlement");
            reply(
                r,
                pb::LookupOfferRequest { entitlement },
                catalog::lookup_offer,
            )
        }),
        grpc: grpc!(Channel, pb::LookupOfferRequest => catalog::lookup_offer),
    },
];

fn both_purchase_options() -> ApiError {
    ApiError::invalid_argument("createEntitlementPurchase and changeOfferPurchase are exclusive")
        .with_violation("purchaseOption", "both purchase options were set")
}

/// ListPurchasableSkus's query (after checking it names only what the method knows): its purchase option.
fn sku_purchase(q: &Query) -> ApiResult<Option<pb::list_purchasable_skus_request::PurchaseOption>> {
    use pb::list_purchasable_skus_request::{
        ChangeOfferPurchase, CreateEntitlementPurchase, PurchaseOption,
        change_offer_purchase::ChangeType,
    };
    q.check_known(&known(&[
        "createEntitlementPurchase.product",
        "create_entitlement_purchase.product",
        "changeOfferPurchase.entitlement",
        "change_offer_purchase.entitlement",
        "changeOfferPurchase.changeType",
        "change_offer_purchase.change_type",
        "languageCode",
        "language_code",
    ]))?;
    let product = q.get(&[
        "createEntitlementPurchase.product",
        "create_entitlement_purchase.product",
    ]);
    let entitlement = q.get(&[
        "changeOfferPurchase.entitlement",
        "change_offer_purchase.entitlement",
    ]);
    let change_type = enum_param(
        q,
        &[
            "changeOfferPurchase.changeType",
            "change_offer_purchase.change_type",
        ],
        |s| ChangeType::from_str_name(s).map(|t| t as i32),
    )?;
    Ok(match (product, entitlement) {
        (Some(_), Some(_)) => return Err(both_purchase_options()),
        (Some(p), None) => Some(PurchaseOption::CreateEntitlementPurchase(
            CreateEntitlementPurchase {
                product: p.to_string(),
            },
        )),
        (None, Some(e)) => Some(PurchaseOption::ChangeOfferPurchase(ChangeOfferPurchase {
            entitlement: e.to_string(),
            change_type,
        })),
        (None, None) => None,
    })
}

/// ListPurchasableOffers's query (after checking it names only what the method knows): its purchase option.
fn offer_purchase(
    q: &Query,
) -> ApiResult<Option<pb::list_purchasable_offers_request::PurchaseOption>> {
    use pb::list_purchasable_offers_request::{
        ChangeOfferPurchase, CreateEntitlementPurchase, PurchaseOption,
    };
    q.check_known(&known(&[
        "createEntitlementPurchase.sku",
        "create_entitlement_purchase.sku",
        "createEntitlementPurchase.billingAccount",
        "create_entitlement_purchase.billing_account",
        "changeOfferPurchase.entitlement",
        "change_offer_purchase.entitlement",
        "changeOfferPurchase.newSku",
        "change_offer_purchase.new_sku",
        "changeOfferPurchase.billingAccount",
        "change_offer_purchase.billing_account",
        "languageCode",
        "language_code",
    ]))?;
    let sku = q.get(&[
        "createEntitlementPurchase.sku",
        "create_entitlement_purchase.sku",
    ]);
    let create_billing = q.get(&[
        "createEntitlementPurchase.billingAccount",
        "create_entitlement_purchase.billing_account",
    ]);
    let entitlement = q.get(&[
        "changeOfferPurchase.entitlement",
        "change_offer_purchase.entitlement",
    ]);
    let create = sku.is_some() || create_billing.is_some();
    Ok(match (create, entitlement) {
        (true, Some(_)) => return Err(both_purchase_options()),
        (true, None) => Some(PurchaseOption::CreateEntitlementPurchase(
            CreateEntitlementPurchase {
                sku: sku.unwrap_or("").to_string(),
                billing_account: create_billing.unwrap_or("").to_string(),
            },
        )),
        (false, Some(e)) => Some(PurchaseOption::ChangeOfferPurchase(ChangeOfferPurchase {
            entitlement: e.to_string(),
            new_sku: q.text(&[
                "changeOfferPurchase.newSku",
                "change_offer_purchase.new_sku",
            ]),
            billing_account: q.text(&[
                "changeOfferPurchase.billingAccount",
                "change_offer_purchase.billing_account",
            ]),
        })),
        (false, None) => None,
    })
}
