//! Channel over REST, the order side: catalog, entitlements, transfers and channel partner links — one handler per
//! route of `routes.rs`. Parsing and rendering only, over the service functions in `catalog.rs`, `orders/` and
//! `partner_links.rs`.

use super::{catalog, orders, partner_links};
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::ctx::Later;
use crate::providers::google::{JsonBody, lro, parse_body, to_json};
use crate::providers::{RestRequest, serve};
use crate::request::Query;
use crate::world::ops::Operation;

const PAGING: &[&str] = &["pageSize", "page_size", "pageToken", "page_token"];

fn known(extra: &[&'static str]) -> Vec<&'static str> {
    PAGING.iter().chain(extra).copied().collect()
}

fn page_size(q: &Query) -> ApiResult<i32> {
    Ok(q.int(&["pageSize", "page_size"])? as i32)
}

/// An enum query parameter, by name or number.
fn enum_param(q: &Query, names: &[&str], parse: impl Fn(&str) -> Option<i32>) -> ApiResult<i32> {
    match q.get(names) {
        None | Some("") => Ok(0),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .ok()
            .or_else(|| parse(v.trim()))
            .ok_or_else(|| {
                ApiError::invalid_field(
                    names[0],
                    format!(
                        "Invalid value at '{}' (TYPE_ENUM), \"{}\"",
                        names[0],
                        crate::error::shown(v)
                    ),
                )
            }),
    }
}

fn bool_param(q: &Query, names: &[&str]) -> ApiResult<bool> {
    match q.get(names) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(ApiError::invalid_field(
            names[0],
            format!(
                "Invalid value at '{}' (TYPE_BOOL), \"{}\"",
                names[0],
                crate::error::shown(v)
            ),
        )),
    }
}

fn op_json(r: &RestRequest, op: &Operation) -> JsonBody {
    lro::operation_json(op, Family::Channel, r.version(), r.query.enums_as_int()).into()
}

fn ints(r: &RestRequest) -> bool {
    r.query.enums_as_int()
}

pub fn list_products(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
    q.check_known(&known(&["account", "languageCode", "language_code"]))?;
    let req = pb::ListProductsRequest {
        account: q.text(&["account"]),
        page_size: page_size(q)?,
        page_token: q.page_token(),
        language_code: q.text(&["languageCode", "language_code"]),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::list_products).and_then(Later::run)?,
        ints(r),
    ))
}

pub fn list_skus(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
    q.check_known(&known(&["account", "languageCode", "language_code"]))?;
    let req = pb::ListSkusRequest {
        parent: r.var("parent"),
        account: q.text(&["account"]),
        page_size: page_size(q)?,
        page_token: q.page_token(),
        language_code: q.text(&["languageCode", "language_code"]),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::list_skus).and_then(Later::run)?,
        ints(r),
    ))
}

pub fn list_offers(r: &RestRequest) -> ApiResult<JsonBody> {
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
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::list_offers).and_then(Later::run)?,
        ints(r),
    ))
}

pub fn list_transferable_skus(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::ListTransferableSkusRequest = parse_body(&r.body)?;
    req.parent = r.var("parent");
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::list_transferable_skus)?,
        ints(r),
    ))
}

pub fn list_transferable_offers(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::ListTransferableOffersRequest = parse_body(&r.body)?;
    req.parent = r.var("parent");
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::list_transferable_offers)?,
        ints(r),
    ))
}

pub fn list_purchasable_skus(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
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
    let purchase_option = match (product, entitlement) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_argument(
                "createEntitlementPurchase and changeOfferPurchase are exclusive",
            )
            .with_violation("purchaseOption", "both purchase options were set"));
        }
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
    };
    let req = pb::ListPurchasableSkusRequest {
        purchase_option,
        customer: r.var("customer"),
        page_size: page_size(q)?,
        page_token: q.page_token(),
        language_code: q.text(&["languageCode", "language_code"]),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::list_purchasable_skus)?,
        ints(r),
    ))
}

pub fn list_purchasable_offers(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
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
    let purchase_option = match (create, entitlement) {
        (true, Some(_)) => {
            return Err(ApiError::invalid_argument(
                "createEntitlementPurchase and changeOfferPurchase are exclusive",
            )
            .with_violation("purchaseOption", "both purchase options were set"));
        }
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
    };
    let req = pb::ListPurchasableOffersRequest {
        purchase_option,
        customer: r.var("customer"),
        page_size: page_size(q)?,
        page_token: q.page_token(),
        language_code: q.text(&["languageCode", "language_code"]),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::list_purchasable_offers)?,
        ints(r),
    ))
}

pub fn query_eligible_billing_accounts(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
    q.check_known(&["skus"])?;
    let req = pb::QueryEligibleBillingAccountsRequest {
        customer: r.var("customer"),
        skus: q
            .0
            .iter()
            .filter(|(k, _)| k == "skus")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    Ok(to_json(
        &serve(
            &r.app,
            &r.caller,
            req,
            catalog::query_eligible_billing_accounts,
        )?,
        ints(r),
    ))
}

pub fn transfer_entitlements(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::TransferEntitlementsRequest = parse_body(&r.body)?;
    req.parent = r.var("parent");
    let op = serve(&r.app, &r.caller, req, orders::transfer_entitlements)?;
    Ok(op_json(r, &op))
}

pub fn transfer_entitlements_to_google(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::TransferEntitlementsToGoogleRequest = parse_body(&r.body)?;
    req.parent = r.var("parent");
    let op = serve(
        &r.app,
        &r.caller,
        req,
        orders::transfer_entitlements_to_google,
    )?;
    Ok(op_json(r, &op))
}

pub fn list_entitlements(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
    q.check_known(PAGING)?;
    let req = pb::ListEntitlementsRequest {
        parent: r.var("parent"),
        page_size: page_size(q)?,
        page_token: q.page_token(),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, orders::list_entitlements)?,
        ints(r),
    ))
}

pub fn create_entitlement(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let mut req: pb::CreateEntitlementRequest = parse_body(&r.body)?;
    req.parent = r.var("parent");
    let op = serve(&r.app, &r.caller, req, orders::create_entitlement)?;
    Ok(op_json(r, &op))
}

pub fn get_entitlement(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let req = pb::GetEntitlementRequest {
        name: r.var("name"),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, orders::get_entitlement)?,
        ints(r),
    ))
}

pub fn lookup_offer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let req = pb::LookupOfferRequest {
        entitlement: r.var("entitlement"),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, catalog::lookup_offer)?,
        ints(r),
    ))
}

pub fn list_entitlement_changes(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
    q.check_known(&known(&["filter"]))?;
    let req = pb::ListEntitlementChangesRequest {
        parent: r.var("parent"),
        page_size: page_size(q)?,
        page_token: q.page_token(),
        filter: q.text(&["filter"]),
    };
    Ok(to_json(
        &serve(&r.app, &r.caller, req, orders::list_entitlement_changes)?,
        ints(r),
    ))
}

/// The entitlement changes that answer an operation: a body naming the entitlement (`name`), and the operation.
macro_rules! entitlement_change {
    ($($fn:ident: $req:ident => $service:ident;)*) => {$(
        pub fn $fn(r: &RestRequest) -> ApiResult<JsonBody> {
            r.query.check_known(&[])?;
            let mut req: pb::$req = parse_body(&r.body)?;
            req.name = r.var("name");
            let op = serve(&r.app, &r.caller, req, orders::$service)?;
            Ok(op_json(r, &op))
        }
    )*};
}

entitlement_change! {
    change_parameters: ChangeParametersRequest => change_parameters;
    change_renewal_settings: ChangeRenewalSettingsRequest => change_renewal_settings;
    change_offer: ChangeOfferRequest => change_offer;
    start_paid_service: StartPaidServiceRequest => start_paid_service;
    suspend_entitlement: SuspendEntitlementRequest => suspend_entitlement;
    activate_entitlement: ActivateEntitlementRequest => activate_entitlement;
    cancel_entitlement: CancelEntitlementRequest => cancel_entitlement;
}

pub fn list_channel_partner_links(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
    q.check_known(&known(&["view"]))?;
    let req = pb::ListChannelPartnerLinksRequest {
        parent: r.var("parent"),
        page_size: page_size(q)?,
        page_token: q.page_token(),
        view: view_param(q)?,
    };
    Ok(to_json(
        &serve(
            &r.app,
            &r.caller,
            req,
            partner_links::list_channel_partner_links,
        )?,
        ints(r),
    ))
}

pub fn create_channel_partner_link(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let link: pb::ChannelPartnerLink = parse_body(&r.body)?;
    let req = pb::CreateChannelPartnerLinkRequest {
        parent: r.var("parent"),
        channel_partner_link: Some(link),
    };
    Ok(to_json(
        &serve(
            &r.app,
            &r.caller,
            req,
            partner_links::create_channel_partner_link,
        )?,
        ints(r),
    ))
}

pub fn get_channel_partner_link(r: &RestRequest) -> ApiResult<JsonBody> {
    let q = &r.query;
    q.check_known(&["view"])?;
    let req = pb::GetChannelPartnerLinkRequest {
        name: r.var("name"),
        view: view_param(q)?,
    };
    Ok(to_json(
        &serve(
            &r.app,
            &r.caller,
            req,
            partner_links::get_channel_partner_link,
        )?,
        ints(r),
    ))
}

pub fn update_channel_partner_link(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let req = update_link_request(&r.body, r.var("name"))?;
    Ok(to_json(
        &serve(
            &r.app,
            &r.caller,
            req,
            partner_links::update_channel_partner_link,
        )?,
        ints(r),
    ))
}

/// An UpdateChannelPartnerLinkRequest body. Its `updateMask` is a FieldMask in its JSON form (`"a.b,c"`), which
/// the strict body decoder would take for an object, so it is split off first.
fn update_link_request(
    body: &[u8],
    name: String,
) -> ApiResult<pb::UpdateChannelPartnerLinkRequest> {
    #[derive(serde::Deserialize, Default)]
    struct Body {
        #[serde(default, alias = "channel_partner_link", rename = "channelPartnerLink")]
        link: Option<serde_json::Value>,
        #[serde(default, alias = "update_mask", rename = "updateMask")]
        mask: Option<String>,
    }
    let b: Body = parse_body(body)?;
    let link = match b.link {
        Some(v) => Some(
            parse_body::<pb::ChannelPartnerLink>(v.to_string().as_bytes())
                .map_err(|e| ApiError::invalid_field("channelPartnerLink", e.message))?,
        ),
        None => None,
    };
    Ok(pb::UpdateChannelPartnerLinkRequest {
        name,
        channel_partner_link: link,
        update_mask: b.mask.map(|m| pbjson_types::FieldMask {
            paths: m
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
        }),
    })
}

fn view_param(q: &Query) -> ApiResult<i32> {
    enum_param(q, &["view"], |s| {
        pb::ChannelPartnerLinkView::from_str_name(s).map(|v| v as i32)
    })
}
