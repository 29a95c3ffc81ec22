//! Channel over REST, the order side: catalog, entitlements, transfers and channel partner links. Parsing and
//! rendering only, over the service functions in `catalog.rs`, `orders.rs` and `partner_links.rs`; `rest.rs` hands
//! every route it does not know to [`route`].

use http::Method;

use super::{catalog, orders, partner_links};
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::ops::Operation;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::google::{JsonBody, Query, Version, lro, parse_body, to_json};
use crate::providers::{RestRequest, method_not_allowed, route_not_found};

const PAGING: &[&str] = &["pageSize", "page_size", "pageToken", "page_token"];

fn known(extra: &[&'static str]) -> Vec<&'static str> {
    PAGING.iter().chain(extra).copied().collect()
}

fn page_size(q: &Query) -> ApiResult<i32> {
    Ok(q.int(&["pageSize", "page_size"])? as i32)
}

fn page_token(q: &Query) -> String {
    q.get(&["pageToken", "page_token"])
        .unwrap_or("")
        .to_string()
}

fn text(q: &Query, names: &[&str]) -> String {
    q.get(names).unwrap_or("").to_string()
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

fn op_json(op: &Operation, version: Version, ints: bool) -> JsonBody {
    lro::operation_json(op, Family::Channel, version, ints).into()
}

pub fn route(r: &RestRequest, version: Version) -> ApiResult<JsonBody> {
    let segs = r.path.segs();
    let rest = &segs[1..];
    let verb = r.path.verb.as_deref();
    let ints = r.query.enums_as_int();
    let app = &r.app;
    let caller = &r.caller;
    let q = &r.query;
    match (rest, verb) {
        (["products"], None) => {
            r.allow(&[Method::GET])?;
            q.check_known(&known(&["account", "languageCode", "language_code"]))?;
            let req = pb::ListProductsRequest {
                account: text(q, &["account"]),
                page_size: page_size(q)?,
                page_token: page_token(q),
                language_code: text(q, &["languageCode", "language_code"]),
            };
            Ok(to_json(&catalog::list_products(app, caller, req)?, ints))
        }
        (["products", _, "skus"], None) => {
            r.allow(&[Method::GET])?;
            q.check_known(&known(&["account", "languageCode", "language_code"]))?;
            let req = pb::ListSkusRequest {
                parent: rest[..2].join("/"),
                account: text(q, &["account"]),
                page_size: page_size(q)?,
                page_token: page_token(q),
                language_code: text(q, &["languageCode", "language_code"]),
            };
            Ok(to_json(&catalog::list_skus(app, caller, req)?, ints))
        }
        (["accounts", _, "offers"], None) => {
            r.allow(&[Method::GET])?;
            q.check_known(&known(&[
                "filter",
                "languageCode",
                "language_code",
                "showFutureOffers",
                "show_future_offers",
            ]))?;
            let req = pb::ListOffersRequest {
                parent: rest[..2].join("/"),
                page_size: page_size(q)?,
                page_token: page_token(q),
                filter: text(q, &["filter"]),
                language_code: text(q, &["languageCode", "language_code"]),
                show_future_offers: bool_param(q, &["showFutureOffers", "show_future_offers"])?,
            };
            Ok(to_json(&catalog::list_offers(app, caller, req)?, ints))
        }
        (["accounts", a], Some("listTransferableSkus")) => {
            r.allow(&[Method::POST])?;
            q.check_known(&[])?;
            let mut req: pb::ListTransferableSkusRequest = parse_body(&r.body)?;
            req.parent = format!("accounts/{a}");
            Ok(to_json(
                &catalog::list_transferable_skus(app, caller, req)?,
                ints,
            ))
        }
        (["accounts", a], Some("listTransferableOffers")) => {
            r.allow(&[Method::POST])?;
            q.check_known(&[])?;
            let mut req: pb::ListTransferableOffersRequest = parse_body(&r.body)?;
            req.parent = format!("accounts/{a}");
            Ok(to_json(
                &catalog::list_transferable_offers(app, caller, req)?,
                ints,
            ))
        }
        (["accounts", _, "customers", _], Some("listPurchasableSkus")) => {
            use pb::list_purchasable_skus_request::{
                ChangeOfferPurchase, CreateEntitlementPurchase, PurchaseOption,
                change_offer_purchase::ChangeType,
            };
            r.allow(&[Method::GET])?;
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
                customer: rest.join("/"),
                page_size: page_size(q)?,
                page_token: page_token(q),
                language_code: text(q, &["languageCode", "language_code"]),
            };
            Ok(to_json(
                &catalog::list_purchasable_skus(app, caller, req)?,
                ints,
            ))
        }
        (["accounts", _, "customers", _], Some("listPurchasableOffers")) => {
            use pb::list_purchasable_offers_request::{
                ChangeOfferPurchase, CreateEntitlementPurchase, PurchaseOption,
            };
            r.allow(&[Method::GET])?;
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
                (false, Some(e)) => {
                    Some(PurchaseOption::ChangeOfferPurchase(ChangeOfferPurchase {
                        entitlement: e.to_string(),
                        new_sku: text(
                            q,
                            &[
                                "changeOfferPurchase.newSku",
                                "change_offer_purchase.new_sku",
                            ],
                        ),
                        billing_account: text(
                            q,
                            &[
                                "changeOfferPurchase.billingAccount",
                                "change_offer_purchase.billing_account",
                            ],
                        ),
                    }))
                }
                (false, None) => None,
            };
            let req = pb::ListPurchasableOffersRequest {
                purchase_option,
                customer: rest.join("/"),
                page_size: page_size(q)?,
                page_token: page_token(q),
                language_code: text(q, &["languageCode", "language_code"]),
            };
            Ok(to_json(
                &catalog::list_purchasable_offers(app, caller, req)?,
                ints,
            ))
        }
        (["accounts", _, "customers", _], Some("queryEligibleBillingAccounts")) => {
            r.allow(&[Method::GET])?;
            q.check_known(&["skus"])?;
            let req = pb::QueryEligibleBillingAccountsRequest {
                customer: rest.join("/"),
                skus: q
                    .0
                    .iter()
                    .filter(|(k, _)| k == "skus")
                    .map(|(_, v)| v.clone())
                    .collect(),
            };
            Ok(to_json(
                &catalog::query_eligible_billing_accounts(app, caller, req)?,
                ints,
            ))
        }
        (["accounts", _, "customers", _], Some("transferEntitlements")) => {
            r.allow(&[Method::POST])?;
            q.check_known(&[])?;
            let mut req: pb::TransferEntitlementsRequest = parse_body(&r.body)?;
            req.parent = rest.join("/");
            let op = orders::transfer_entitlements(app, caller, req)?;
            Ok(op_json(&op, version, ints))
        }
        (["accounts", _, "customers", _], Some("transferEntitlementsToGoogle")) => {
            r.allow(&[Method::POST])?;
            q.check_known(&[])?;
            let mut req: pb::TransferEntitlementsToGoogleRequest = parse_body(&r.body)?;
            req.parent = rest.join("/");
            let op = orders::transfer_entitlements_to_google(app, caller, req)?;
            Ok(op_json(&op, version, ints))
        }
        (["accounts", _, "customers", _, "entitlements"], None) => {
            let parent = rest[..4].join("/");
            match r.method {
                Method::GET => {
                    q.check_known(PAGING)?;
                    let req = pb::ListEntitlementsRequest {
                        parent,
                        page_size: page_size(q)?,
                        page_token: page_token(q),
                    };
                    Ok(to_json(&orders::list_entitlements(app, caller, req)?, ints))
                }
                Method::POST => {
                    q.check_known(&[])?;
                    let mut req: pb::CreateEntitlementRequest = parse_body(&r.body)?;
                    req.parent = parent;
                    let op = orders::create_entitlement(app, caller, req)?;
                    Ok(op_json(&op, version, ints))
                }
                _ => Err(method_not_allowed(r, &[Method::GET, Method::POST])),
            }
        }
        (["accounts", _, "customers", _, "entitlements", _], None) => {
            r.allow(&[Method::GET])?;
            q.check_known(&[])?;
            let req = pb::GetEntitlementRequest {
                name: rest.join("/"),
            };
            Ok(to_json(&orders::get_entitlement(app, caller, req)?, ints))
        }
        (["accounts", _, "customers", _, "entitlements", _], Some(v)) => {
            let name = rest.join("/");
            match v {
                "lookupOffer" => {
                    r.allow(&[Method::GET])?;
                    q.check_known(&[])?;
                    let req = pb::LookupOfferRequest { entitlement: name };
                    Ok(to_json(&catalog::lookup_offer(app, caller, req)?, ints))
                }
                "listEntitlementChanges" => {
                    r.allow(&[Method::GET])?;
                    q.check_known(&known(&["filter"]))?;
                    let req = pb::ListEntitlementChangesRequest {
                        parent: name,
                        page_size: page_size(q)?,
                        page_token: page_token(q),
                        filter: text(q, &["filter"]),
                    };
                    Ok(to_json(
                        &orders::list_entitlement_changes(app, caller, req)?,
                        ints,
                    ))
                }
                _ => {
                    r.allow(&[Method::POST])?;
                    q.check_known(&[])?;
                    let op = entitlement_verb(r, v, name)?;
                    Ok(op_json(&op, version, ints))
                }
            }
        }
        (["accounts", _, "channelPartnerLinks"], None) => {
            let parent = rest[..2].join("/");
            match r.method {
                Method::GET => {
                    q.check_known(&known(&["view"]))?;
                    let req = pb::ListChannelPartnerLinksRequest {
                        parent,
                        page_size: page_size(q)?,
                        page_token: page_token(q),
                        view: view_param(q)?,
                    };
                    Ok(to_json(
                        &partner_links::list_channel_partner_links(app, caller, req)?,
                        ints,
                    ))
                }
                Method::POST => {
                    q.check_known(&[])?;
                    let link: pb::ChannelPartnerLink = parse_body(&r.body)?;
                    let req = pb::CreateChannelPartnerLinkRequest {
                        parent,
                        channel_partner_link: Some(link),
                    };
                    Ok(to_json(
                        &partner_links::create_channel_partner_link(app, caller, req)?,
                        ints,
                    ))
                }
                _ => Err(method_not_allowed(r, &[Method::GET, Method::POST])),
            }
        }
        (["accounts", _, "channelPartnerLinks", _], None) => {
            let name = rest.join("/");
            match r.method {
                Method::GET => {
                    q.check_known(&["view"])?;
                    let req = pb::GetChannelPartnerLinkRequest {
                        name,
                        view: view_param(q)?,
                    };
                    Ok(to_json(
                        &partner_links::get_channel_partner_link(app, caller, req)?,
                        ints,
                    ))
                }
                Method::PATCH => {
                    q.check_known(&[])?;
                    let req = update_link_request(&r.body, name)?;
                    Ok(to_json(
                        &partner_links::update_channel_partner_link(app, caller, req)?,
                        ints,
                    ))
                }
                _ => Err(method_not_allowed(r, &[Method::GET, Method::PATCH])),
            }
        }
        _ => Err(route_not_found(r)),
    }
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

/// The entitlement changes that answer an operation, by custom verb.
fn entitlement_verb(r: &RestRequest, verb: &str, name: String) -> ApiResult<Operation> {
    let (app, caller) = (&r.app, &r.caller);
    match verb {
        "changeParameters" => {
            let mut req: pb::ChangeParametersRequest = parse_body(&r.body)?;
            req.name = name;
            orders::change_parameters(app, caller, req)
        }
        "changeRenewalSettings" => {
            let mut req: pb::ChangeRenewalSettingsRequest = parse_body(&r.body)?;
            req.name = name;
            orders::change_renewal_settings(app, caller, req)
        }
        "changeOffer" => {
            let mut req: pb::ChangeOfferRequest = parse_body(&r.body)?;
            req.name = name;
            orders::change_offer(app, caller, req)
        }
        "startPaidService" => {
            let mut req: pb::StartPaidServiceRequest = parse_body(&r.body)?;
            req.name = name;
            orders::start_paid_service(app, caller, req)
        }
        "suspend" => {
            let mut req: pb::SuspendEntitlementRequest = parse_body(&r.body)?;
            req.name = name;
            orders::suspend_entitlement(app, caller, req)
        }
        "activate" => {
            let mut req: pb::ActivateEntitlementRequest = parse_body(&r.body)?;
            req.name = name;
            orders::activate_entitlement(app, caller, req)
        }
        "cancel" => {
            let mut req: pb::CancelEntitlementRequest = parse_body(&r.body)?;
            req.name = name;
            orders::cancel_entitlement(app, caller, req)
        }
        _ => Err(route_not_found(r)),
    }
}

/// The RPC a custom verb of the order routes stands for (fault rules and the journal name REST requests by it).
pub fn verb_rpc(verb: &str) -> Option<&'static str> {
    Some(match verb {
        "listTransferableSkus" => "ListTransferableSkus",
        "listTransferableOffers" => "ListTransferableOffers",
        "listPurchasableSkus" => "ListPurchasableSkus",
        "listPurchasableOffers" => "ListPurchasableOffers",
        "queryEligibleBillingAccounts" => "QueryEligibleBillingAccounts",
        "transferEntitlements" => "TransferEntitlements",
        "transferEntitlementsToGoogle" => "TransferEntitlementsToGoogle",
        "changeParameters" => "ChangeParameters",
        "changeRenewalSettings" => "ChangeRenewalSettings",
        "changeOffer" => "ChangeOffer",
        "startPaidService" => "StartPaidService",
        "suspend" => "SuspendEntitlement",
        "activate" => "ActivateEntitlement",
        "lookupOffer" => "LookupOffer",
        "listEntitlementChanges" => "ListEntitlementChanges",
        _ => return None,
    })
}

/// The RPC of an order route without a custom verb, from its first, last and last-but-one path segments (after
/// the version) and its HTTP method.
pub fn path_rpc(
    first: Option<&str>,
    last: Option<&str>,
    last_two: Option<&str>,
    method: &str,
) -> Option<&'static str> {
    Some(match (first, last, last_two, method) {
        (Some("products"), Some("products"), _, "GET") => "ListProducts",
        (Some("products"), Some("skus"), _, "GET") => "ListSkus",
        (_, Some("offers"), _, "GET") => "ListOffers",
        (_, Some("entitlements"), _, "GET") => "ListEntitlements",
        (_, Some("entitlements"), _, "POST") => "CreateEntitlement",
        (_, _, Some("entitlements"), "GET") => "GetEntitlement",
        (_, Some("channelPartnerLinks"), _, "GET") => "ListChannelPartnerLinks",
        (_, Some("channelPartnerLinks"), _, "POST") => "CreateChannelPartnerLink",
        (_, _, Some("channelPartnerLinks"), "GET") => "GetChannelPartnerLink",
        (_, _, Some("channelPartnerLinks"), "PATCH") => "UpdateChannelPartnerLink",
        _ => return None,
    })
}
