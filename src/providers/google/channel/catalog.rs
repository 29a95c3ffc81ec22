//! Cloud Channel's catalog methods, once for REST and gRPC: products and SKUs, the reseller's offers, what a
//! customer may buy (purchasable SKUs and offers, eligible billing accounts), what an unowned customer may bring
//! over (transferable SKUs and offers), and the offer behind an entitlement.

use std::collections::BTreeMap;

use super::service::{self, Parent, authorize, check_parent_exists};
use crate::error::{ApiError, ApiResult, shown};
use crate::paging;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::ctx::Later;
use crate::providers::google::names::{Under, under};
use crate::world::google::{CloudIdentity, Customer, GoogleWorld};
use crate::world::messages::customer_not_found;
use crate::world::orders::Source;
use crate::world::orders::{self, CatalogIndex};
use crate::world::state::State;

under! {
    pb::ListProductsRequest => |r| {
        if r.account.is_empty() {
            Err(ApiError::invalid_field(
                "account",
                "is required (accounts/{account})",
            ))
        } else {
            account_parent(&r.account, "account")
        }
    };
    pb::ListSkusRequest => |r| {
        let product = r.parent.strip_prefix("products/").unwrap_or("");
        if product.is_empty() || product.contains('/') {
            Err(ApiError::invalid_field(
                "parent",
                format!(
                    "`{}` is not products/{{product}} (or products/-)",
                    shown(&r.parent)
                ),
            ))
        } else if r.account.is_empty() {
            Err(ApiError::invalid_field(
                "account",
                "is required (accounts/{account})",
            ))
        } else {
            account_parent(&r.account, "account")
        }
    };
    pb::ListOffersRequest => |r| account_parent(&r.parent, "parent");
    pb::ListPurchasableSkusRequest => |r| direct_customer(&r.customer, "customer");
    pb::ListPurchasableOffersRequest => |r| direct_customer(&r.customer, "customer");
    pb::ListTransferableSkusRequest => |r| account_parent(&r.parent, "parent");
    pb::ListTransferableOffersRequest => |r| account_parent(&r.parent, "parent");
    pb::QueryEligibleBillingAccountsRequest => |r| direct_customer(&r.customer, "customer");
}

/// Pages over an ordered map already holding exactly the items to list.
pub(crate) fn page_of<V, T>(
    map: &BTreeMap<String, V>,
    page_token: &str,
    fingerprint: &str,
    size: usize,
    render: impl FnMut(&V) -> T,
) -> ApiResult<(Vec<T>, String)> {
    let start = if page_token.is_empty() {
        String::new()
    } else {
        paging::decode(page_token, fingerprint, "pageToken")?
    };
    Ok(paging::take_page(
        paging::after(map, start),
        size,
        fingerprint,
        |_, _| true,
        render,
    ))
}

/// `accounts/{a}` (a reseller account, no channel partner link).
pub(crate) fn account_parent(s: &str, field: &str) -> ApiResult<Parent> {
    let p = Parent::parse(s, field)?;
    if p.link.is_some() {
        return Err(ApiError::invalid_field(
            field,
            format!("`{}` is not accounts/{{account}}", shown(s)),
        ));
    }
    Ok(p)
}

/// A direct customer name (`accounts/{a}/customers/{c}`), its parent checked.
pub(crate) fn direct_customer(name: &str, field: &str) -> ApiResult<Parent> {
    let p = service::parse_customer_name(name, field)?;
    if p.link.is_some() {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "`{}` is not accounts/{{account}}/customers/{{customer}}",
                shown(name)
            ),
        ));
    }
    Ok(p)
}

/// The customer `name` of the world, or NOT_FOUND.
pub(crate) fn customer<'a>(st: &'a State, name: &str) -> ApiResult<&'a Customer> {
    st.world
        .google
        .customers
        .get(name)
        .map(|c| &**c)
        .ok_or_else(|| customer_not_found(name))
}

/// Whether an offer's customer constraints admit this customer (type of its Cloud Identity, region of its address).
pub(crate) fn offer_admits(
    offer: &pb::Offer,
    c: &Customer,
    ci: Option<&CloudIdentity>,
) -> Result<(), String> {
    let Some(cons) = offer
        .constraints
        .as_ref()
        .and_then(|k| k.customer_constraints.as_ref())
    else {
        return Ok(());
    };
    if let Some(ci) = ci {
        let t = ci.customer_type.proto() as i32;
        if !cons.allowed_customer_types.is_empty() && !cons.allowed_customer_types.contains(&t) {
            return Err(format!(
                "offer `{}` is not sold to {} customers",
                offer.name,
                ci.customer_type.proto().as_str_name()
            ));
        }
    }
    let region = &c.org_postal_address.region_code;
    if !cons.allowed_regions.is_empty() && !cons.allowed_regions.iter().any(|r| r == region) {
        return Err(format!(
            "offer `{}` is not sold in region `{region}`",
            offer.name
        ));
    }
    Ok(())
}

fn plan_of(o: &pb::Offer) -> pb::PaymentPlan {
    o.plan
        .as_ref()
        .and_then(|p| pb::PaymentPlan::try_from(p.payment_plan).ok())
        .unwrap_or(pb::PaymentPlan::Unspecified)
}

pub fn list_products(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListProductsRequest>,
) -> ApiResult<Later<pb::ListProductsResponse>> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 100, 1000, "pageSize")?;
    let fp = paging::fingerprint(&["products", &req.account]);
    check_parent_exists(st, &parent)?;
    let c = st.world.google.orders.catalog.clone();
    Ok(Later::new(move || {
        let (products, next_page_token) =
            page_of(&c.products, &req.page_token, &fp, size, Clone::clone)?;
        Ok(pb::ListProductsResponse {
            products,
            next_page_token,
        })
    }))
}

pub fn list_skus(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListSkusRequest>,
) -> ApiResult<Later<pb::ListSkusResponse>> {
    let Under { parent, req } = req;
    let product = req.parent.strip_prefix("products/").unwrap_or("");
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 100, 1000, "pageSize")?;
    let fp = paging::fingerprint(&["skus", &req.parent, &req.account]);
    check_parent_exists(st, &parent)?;
    let c = st.world.google.orders.catalog.clone();
    let all = product == "-";
    Ok(Later::new(move || {
        if !all && !c.products.contains_key(&req.parent) {
            return Err(
                ApiError::not_found(format!("product `{}` not found", shown(&req.parent)))
                    .with_reason("PRODUCT_NOT_FOUND"),
            );
        }
        let prefix = format!("{}/skus/", req.parent);
        let of_product: BTreeMap<String, &pb::Sku> = c
            .skus
            .iter()
            .filter(|(name, _)| all || name.starts_with(&prefix))
            .map(|(n, s)| (n.clone(), s))
            .collect();
        let (skus, next_page_token) =
            page_of(&of_product, &req.page_token, &fp, size, |s| (*s).clone())?;
        Ok(pb::ListSkusResponse {
            skus,
            next_page_token,
        })
    }))
}

/// One term of an offers filter: `name`, `sku.name` or `sku.product.name`, `=` or `!=`, a value.
#[derive(Debug)]
struct OfferTerm {
    key: &'static str,
    negated: bool,
    value: String,
}

/// guess: the documented examples (`sku.product.name=products/p1 AND sku.name!=products/p1/skus/s1`,
/// `name=accounts/a1/offers/o1`) are the whole grammar: terms joined by AND, values bare or double-quoted.
fn parse_offer_filter(filter: &str) -> ApiResult<Vec<OfferTerm>> {
    let mut terms = Vec::new();
    if filter.trim().is_empty() {
        return Ok(terms);
    }
    for raw in filter.split(" AND ") {
        let raw = raw.trim();
        let (key, negated, value) = if let Some((k, v)) = raw.split_once("!=") {
            (k, true, v)
        } else if let Some((k, v)) = raw.split_once('=') {
            (k, false, v)
        } else {
            return Err(ApiError::invalid_field(
                "filter",
                format!(
                    "`{}` is not `key=value` or `key!=value` (terms joined by AND)",
                    shown(raw)
                ),
            ));
        };
        let key = match key.trim() {
            "name" => "name",
            "sku.name" => "sku.name",
            "sku.product.name" => "sku.product.name",
            other => {
                return Err(ApiError::invalid_field(
                    "filter",
                    format!(
                        "unknown key `{}`; offers filter by name, sku.name or sku.product.name",
                        shown(other)
                    ),
                ));
            }
        };
        let value = value.trim().trim_matches('"').to_string();
        terms.push(OfferTerm {
            key,
            negated,
            value,
        });
    }
    Ok(terms)
}

pub fn list_offers(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListOffersRequest>,
) -> ApiResult<Later<pb::ListOffersResponse>> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 500, 1000, "pageSize")?;
    let terms = parse_offer_filter(&req.filter)?;
    let fp = paging::fingerprint(&[
        "offers",
        &req.parent,
        &req.filter,
        if req.show_future_offers { "f" } else { "" },
    ]);
    let now = ctx.now;
    check_parent_exists(st, &parent)?;
    let c = st.world.google.orders.catalog.clone();
    Ok(Later::new(move || {
        let account = &parent.account;
        let future = |o: &pb::Offer| {
            o.start_time
                .and_then(|t| t.to_datetime())
                .is_some_and(|t| t > now)
        };
        let matching: BTreeMap<String, pb::Offer> = c
            .offers
            .keys()
            .filter_map(|id| c.offer_for(account, id))
            // guess: future offers are those whose start time is still ahead; only they show with showFutureOffers.
            .filter(|o| future(o) == req.show_future_offers)
            .filter(|o| {
                terms.iter().all(|t| {
                    let sku = o.sku.as_ref();
                    let v = match t.key {
                        "name" => o.name.as_str(),
                        "sku.name" => sku.map(|s| s.name.as_str()).unwrap_or(""),
                        _ => sku
                            .and_then(|s| s.product.as_ref())
                            .map(|p| p.name.as_str())
                            .unwrap_or(""),
                    };
                    (v == t.value) != t.negated
                })
            })
            .map(|o| (o.name.clone(), o))
            .collect();
        let (offers, next_page_token) =
            page_of(&matching, &req.page_token, &fp, size, Clone::clone)?;
        Ok(pb::ListOffersResponse {
            offers,
            next_page_token,
        })
    }))
}

/// SKUs of a product in catalog order: what upgrade and downgrade mean. guess: the docs do not say how Google
/// ranks SKUs; the catalog lists a product's SKUs from the smallest edition to the largest.
fn sku_rank(c: &CatalogIndex, sku: &str) -> usize {
    c.source
        .skus
        .iter()
        .position(|s| s.name == sku)
        .unwrap_or(usize::MAX)
}

/// The SKUs a customer holds through this reseller (any state, being created included).
fn skus_of_customer(g: &GoogleWorld, customer: &str) -> Vec<String> {
    g.orders
        .of_customer(customer)
        .map(|(_, r)| r.sku())
        .collect()
}

pub fn list_purchasable_skus(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListPurchasableSkusRequest>,
) -> ApiResult<pb::ListPurchasableSkusResponse> {
    use pb::list_purchasable_skus_request::PurchaseOption;
    use pb::list_purchasable_skus_request::change_offer_purchase::ChangeType;
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 100, 1000, "pageSize")?;
    let option = req.purchase_option.clone().ok_or_else(|| {
        ApiError::invalid_argument(
            "one of createEntitlementPurchase or changeOfferPurchase is required",
        )
        .with_violation("purchaseOption", "neither purchase option was set")
    })?;
    let g = &st.world.google;
    let c = customer(st, &req.customer)?;
    let ci = c
        .cloud_identity_id
        .as_ref()
        .and_then(|id| g.identities.get(id));
    let cat = &g.orders.catalog;
    let held = skus_of_customer(g, &req.customer);
    let sellable = |sku: &str| {
        cat.offers.values().any(|o| {
            o.sku.as_ref().is_some_and(|s| s.name == sku) && offer_admits(o, c, ci).is_ok()
        })
    };
    let (fp_key, skus): (String, Vec<&pb::Sku>) = match &option {
        PurchaseOption::CreateEntitlementPurchase(p) => {
            let product = p.product.as_str();
            if product != "products/-" && !cat.products.contains_key(product) {
                if !product.starts_with("products/") {
                    return Err(ApiError::invalid_field(
                        "createEntitlementPurchase.product",
                        format!("`{}` is not products/{{product}}", shown(product)),
                    ));
                }
                return Err(
                    ApiError::not_found(format!("product `{}` not found", shown(product)))
                        .with_reason("PRODUCT_NOT_FOUND"),
                );
            }
            let skus = cat
                .skus
                .values()
                .filter(|s| product == "products/-" || orders::product_of_sku(&s.name) == product)
                .filter(|s| !held.contains(&s.name) && sellable(&s.name))
                .collect();
            (format!("create:{product}"), skus)
        }
        PurchaseOption::ChangeOfferPurchase(p) => {
            let r = super::orders::visible_entitlement(st, &p.entitlement, &req.customer).map_err(
                |e| {
                    if e.code == crate::error::Code::InvalidArgument {
                        ApiError::invalid_field("changeOfferPurchase.entitlement", e.message)
                    } else {
                        e
                    }
                },
            )?;
            let current = r.sku();
            let change = match ChangeType::try_from(p.change_type) {
                Ok(ChangeType::Unspecified) | Err(_) => {
                    return Err(ApiError::invalid_field(
                        "changeOfferPurchase.changeType",
                        format!("is required (UPGRADE or DOWNGRADE), got {}", p.change_type),
                    ));
                }
                Ok(t) => t,
            };
            let here = sku_rank(cat, &current);
            let skus = cat
                .skus
                .values()
                .filter(|s| orders::product_of_sku(&s.name) == orders::product_of_sku(&current))
                .filter(|s| s.name != current && sellable(&s.name))
                .filter(|s| {
                    let rank = sku_rank(cat, &s.name);
                    if change == ChangeType::Upgrade {
                        rank > here
                    } else {
                        rank < here
                    }
                })
                .collect();
            (format!("change:{}:{}", p.entitlement, p.change_type), skus)
        }
    };
    let fp = paging::fingerprint(&["purchasableSkus", &req.customer, &fp_key]);
    let map: BTreeMap<String, &pb::Sku> = skus.into_iter().map(|s| (s.name.clone(), s)).collect();
    let (purchasable_skus, next_page_token) =
        page_of(&map, &req.page_token, &fp, size, |s| pb::PurchasableSku {
            sku: Some((*s).clone()),
        })?;
    Ok(pb::ListPurchasableSkusResponse {
        purchasable_skus,
        next_page_token,
    })
}

/// Checks an optional billing account belongs to the reseller.
pub(crate) fn check_billing_account(
    cat: &CatalogIndex,
    account: &str,
    name: &str,
    field: &str,
) -> ApiResult<()> {
    if name.is_empty() {
        return Ok(());
    }
    if !name.starts_with(&format!("accounts/{account}/billingAccounts/"))
        || !cat.billing_accounts.contains_key(name)
    {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "`{}` is not a billing account of `accounts/{account}`",
                shown(name)
            ),
        ));
    }
    Ok(())
}

pub fn list_purchasable_offers(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListPurchasableOffersRequest>,
) -> ApiResult<pb::ListPurchasableOffersResponse> {
    use pb::list_purchasable_offers_request::PurchaseOption;
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 100, 1000, "pageSize")?;
    let option = req.purchase_option.clone().ok_or_else(|| {
        ApiError::invalid_argument(
            "one of createEntitlementPurchase or changeOfferPurchase is required",
        )
        .with_violation("purchaseOption", "neither purchase option was set")
    })?;
    let g = &st.world.google;
    let c = customer(st, &req.customer)?;
    let ci = c
        .cloud_identity_id
        .as_ref()
        .and_then(|id| g.identities.get(id));
    let cat = &g.orders.catalog;
    let account = &parent.account;
    let (fp_key, sku, exclude) = match &option {
        PurchaseOption::CreateEntitlementPurchase(p) => {
            check_billing_account(
                cat,
                account,
                &p.billing_account,
                "createEntitlementPurchase.billingAccount",
            )?;
            if p.sku.is_empty() {
                return Err(ApiError::invalid_field(
                    "createEntitlementPurchase.sku",
                    "is required (products/{product}/skus/{sku})",
                ));
            }
            (
                format!("create:{}:{}", p.sku, p.billing_account),
                p.sku.clone(),
                None,
            )
        }
        PurchaseOption::ChangeOfferPurchase(p) => {
            check_billing_account(
                cat,
                account,
                &p.billing_account,
                "changeOfferPurchase.billingAccount",
            )?;
            let r = super::orders::visible_entitlement(st, &p.entitlement, &req.customer)?;
            let sku = if p.new_sku.is_empty() {
                r.sku()
            } else {
                p.new_sku.clone()
            };
            (
                format!(
                    "change:{}:{}:{}",
                    p.entitlement, p.new_sku, p.billing_account
                ),
                sku,
                Some(r.entitlement.offer.clone()),
            )
        }
    };
    if !cat.skus.contains_key(&sku) {
        return Err(ApiError::invalid_field(
            if matches!(option, PurchaseOption::CreateEntitlementPurchase(_)) {
                "createEntitlementPurchase.sku"
            } else {
                "changeOfferPurchase.newSku"
            },
            format!("`{}` is not a SKU of the catalog", shown(&sku)),
        ));
    }
    let fp = paging::fingerprint(&["purchasableOffers", &req.customer, &fp_key]);
    let map: BTreeMap<String, pb::Offer> = cat
        .offers
        .keys()
        .filter_map(|id| cat.offer_for(account, id))
        .filter(|o| o.sku.as_ref().is_some_and(|s| s.name == sku))
        .filter(|o| offer_admits(o, c, ci).is_ok())
        .filter(|o| exclude.as_deref() != Some(o.name.as_str()))
        .map(|o| (o.name.clone(), o))
        .collect();
    let (purchasable_offers, next_page_token) =
        page_of(&map, &req.page_token, &fp, size, |o| pb::PurchasableOffer {
            offer: Some(o.clone()),
            price_reference_id: String::new(),
        })?;
    Ok(pb::ListPurchasableOffersResponse {
        purchasable_offers,
        next_page_token,
    })
}

#[derive(Debug, Clone)]
pub(crate) struct Transferable {
    pub sku: String,
    pub reason: pb::transfer_eligibility::Reason,
    pub source: Source,
}

/// The SKUs a Cloud Identity holds that reseller `account` could take over: those it holds outside provmock's
/// resellers, and other resellers' entitlements for customers linked to it. SKUs the account already sells it are
/// left out.
pub(crate) fn transferable(
    g: &GoogleWorld,
    ci: &CloudIdentity,
    account: &str,
) -> Vec<Transferable> {
    use pb::transfer_eligibility::Reason;
    let mine = format!("accounts/{account}/");
    let mut own = Vec::new();
    let mut out: BTreeMap<String, Transferable> = BTreeMap::new();
    for c in g.customers_of_identity(&ci.id) {
        for (name, r) in g.orders.of_customer(&c.name) {
            if c.name.starts_with(&mine) {
                own.push(r.sku());
                continue;
            }
            if r.creating {
                continue;
            }
            let suspended = r.entitlement.provisioning_state
                == pb::entitlement::ProvisioningState::Suspended as i32;
            out.insert(
                r.sku(),
                Transferable {
                    sku: r.sku(),
                    reason: if suspended {
                        Reason::SkuSuspended
                    } else {
                        Reason::Unspecified
                    },
                    source: Source::Entitlement { name: name.clone() },
                },
            );
        }
    }
    for h in &ci.held_skus {
        out.entry(h.sku.clone()).or_insert(Transferable {
            sku: h.sku.clone(),
            reason: if h.suspended {
                Reason::SkuSuspended
            } else {
                Reason::Unspecified
            },
            source: Source::Held {
                cloud_identity: ci.id.clone(),
                sku: h.sku.clone(),
            },
        });
    }
    out.into_values()
        .filter(|t| !own.contains(&t.sku))
        .collect()
}

/// The Cloud Identity of a transfer listing (by id or by one of the caller's customers), checking that the reseller
/// may look at it: authorised before, or presenting the customer's auth token.
fn transfer_subject(
    st: &State,
    parent: &Parent,
    cloud_identity_id: Option<&str>,
    customer_name: Option<&str>,
    auth_token: &str,
) -> ApiResult<CloudIdentity> {
    let g = &st.world.google;
    let ci = match (cloud_identity_id, customer_name) {
        (Some(id), _) => g.identities.get(id).cloned().ok_or_else(|| {
            ApiError::not_found(format!("no Cloud Identity `{}`", shown(id)))
                .with_reason("CLOUD_IDENTITY_NOT_FOUND")
        })?,
        (None, Some(name)) => {
            let p = direct_customer(name, "customerName")?;
            if p.account != parent.account {
                return Err(ApiError::permission_denied(format!(
                    "customer `{}` does not belong to `{}`",
                    shown(name),
                    parent.name()
                )));
            }
            let c = customer(st, name)?;
            let id = c.cloud_identity_id.as_ref().ok_or_else(|| {
                ApiError::failed_precondition(format!(
                    "customer `{name}` has no Cloud Identity; import or provision it first"
                ))
                .with_precondition(
                    "CLOUD_IDENTITY_REQUIRED",
                    name.to_string(),
                    "the customer has no Cloud Identity",
                )
            })?;
            g.identities
                .get(id)
                .cloned()
                .ok_or_else(|| ApiError::not_found(format!("no Cloud Identity `{id}`")))?
        }
        (None, None) => {
            return Err(ApiError::invalid_argument(
                "one of cloudIdentityId or customerName is required",
            )
            .with_violation(
                "transferredCustomerIdentity",
                "neither cloudIdentityId nor customerName was set",
            ));
        }
    };
    check_transfer_token(&ci, &parent.account, auth_token)?;
    Ok(ci)
}

/// A reseller not yet authorised for a Cloud Identity that needs a token must present the right one.
pub(crate) fn check_transfer_token(
    ci: &CloudIdentity,
    account: &str,
    auth_token: &str,
) -> ApiResult<()> {
    let account_ref = format!("accounts/{account}");
    if ci.auth_token_sha256.is_none() || ci.authorized_accounts.contains(&account_ref) {
        return Ok(());
    }
    if auth_token.is_empty() {
        return Err(ApiError::permission_denied(format!(
            "Cloud Identity `{}` does not belong to `{account_ref}` and no authToken was given",
            ci.id
        ))
        .with_reason("AUTH_TOKEN_REQUIRED"));
    }
    if !ci.token_matches(auth_token) {
        return Err(ApiError::permission_denied(format!(
            "authToken for Cloud Identity `{}` is invalid or expired",
            ci.id
        ))
        .with_reason("INVALID_AUTH_TOKEN"));
    }
    Ok(())
}

pub fn list_transferable_skus(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListTransferableSkusRequest>,
) -> ApiResult<pb::ListTransferableSkusResponse> {
    use pb::list_transferable_skus_request::TransferredCustomerIdentity as Who;
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 100, 1000, "pageSize")?;
    let (id, name) = match &req.transferred_customer_identity {
        Some(Who::CloudIdentityId(id)) => (Some(id.as_str()), None),
        Some(Who::CustomerName(n)) => (None, Some(n.as_str())),
        None => (None, None),
    };
    check_parent_exists(st, &parent)?;
    let ci = transfer_subject(st, &parent, id, name, &req.auth_token)?;
    let g = &st.world.google;
    let cat = &g.orders.catalog;
    let fp = paging::fingerprint(&["transferableSkus", &req.parent, id.or(name).unwrap_or("")]);
    let map: BTreeMap<String, Transferable> = transferable(g, &ci, &parent.account)
        .into_iter()
        .map(|t| (t.sku.clone(), t))
        .collect();
    let (transferable_skus, next_page_token) =
        page_of(&map, &req.page_token, &fp, size, |t| pb::TransferableSku {
            transfer_eligibility: Some(pb::TransferEligibility {
                is_eligible: t.reason == pb::transfer_eligibility::Reason::Unspecified,
                description: match t.reason {
                    pb::transfer_eligibility::Reason::SkuSuspended => {
                        "the subscription is suspended".to_string()
                    }
                    _ => String::new(),
                },
                ineligibility_reason: t.reason as i32,
            }),
            sku: cat.skus.get(&t.sku).cloned(),
            legacy_sku: None,
        })?;
    Ok(pb::ListTransferableSkusResponse {
        transferable_skus,
        next_page_token,
    })
}

pub fn list_transferable_offers(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListTransferableOffersRequest>,
) -> ApiResult<pb::ListTransferableOffersResponse> {
    use pb::list_transferable_offers_request::TransferredCustomerIdentity as Who;
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 100, 1000, "pageSize")?;
    if req.sku.is_empty() {
        return Err(ApiError::invalid_field(
            "sku",
            "is required (products/{product}/skus/{sku})",
        ));
    }
    let (id, name) = match &req.transferred_customer_identity {
        Some(Who::CloudIdentityId(id)) => (Some(id.as_str()), None),
        Some(Who::CustomerName(n)) => (None, Some(n.as_str())),
        None => (None, None),
    };
    check_parent_exists(st, &parent)?;
    // guess: the request has no authToken; a reseller not yet authorised for a token-protected identity is denied.
    let ci = transfer_subject(st, &parent, id, name, "")?;
    let g = &st.world.google;
    let cat = &g.orders.catalog;
    if !cat.skus.contains_key(&req.sku) {
        return Err(ApiError::invalid_field(
            "sku",
            format!("`{}` is not a SKU of the catalog", shown(&req.sku)),
        ));
    }
    check_billing_account(cat, &parent.account, &req.billing_account, "billingAccount")?;
    let fp = paging::fingerprint(&[
        "transferableOffers",
        &req.parent,
        id.or(name).unwrap_or(""),
        &req.sku,
        &req.billing_account,
    ]);
    let customer = name.and_then(|n| g.customers.get(n)).map(|c| &**c);
    let map: BTreeMap<String, pb::Offer> = cat
        .offers
        .keys()
        .filter_map(|id| cat.offer_for(&parent.account, id))
        .filter(|o| o.sku.as_ref().is_some_and(|s| s.name == req.sku))
        // guess: a transfer continues a paid subscription, so trial and free plans are not offered for it
        // (a free SKU transfers to its free offer).
        .filter(|o| plan_of(o) != pb::PaymentPlan::Trial)
        .filter(|o| customer.is_none_or(|c| offer_admits(o, c, Some(&ci)).is_ok()))
        .map(|o| (o.name.clone(), o))
        .collect();
    let (transferable_offers, next_page_token) = page_of(&map, &req.page_token, &fp, size, |o| {
        pb::TransferableOffer {
            offer: Some(o.clone()),
            price_reference_id: String::new(),
        }
    })?;
    Ok(pb::ListTransferableOffersResponse {
        transferable_offers,
        next_page_token,
    })
}

/// A parsed `LookupOffer`: the entitlement's customer and the reseller account above it.
pub struct LookupOffer {
    customer_name: String,
    parent: Parent,
    req: pb::LookupOfferRequest,
}

impl TryFrom<pb::LookupOfferRequest> for LookupOffer {
    type Error = ApiError;
    fn try_from(req: pb::LookupOfferRequest) -> ApiResult<LookupOffer> {
        let customer_name = orders::customer_of_entitlement(&req.entitlement)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "entitlement",
                    format!(
                        "`{}` is not accounts/{{a}}/customers/{{c}}/entitlements/{{e}}",
                        shown(&req.entitlement)
                    ),
                )
            })?
            .to_string();
        let parent = direct_customer(&customer_name, "entitlement")?;
        Ok(LookupOffer {
            customer_name,
            parent,
            req,
        })
    }
}

pub fn lookup_offer(ctx: &mut Ctx<'_>, req: LookupOffer) -> ApiResult<pb::Offer> {
    let LookupOffer {
        customer_name,
        parent,
        req,
    } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let r = super::orders::visible_entitlement(st, &req.entitlement, &customer_name)?;
    let cat = &st.world.google.orders.catalog;
    orders::offer_id(&r.entitlement.offer)
        .and_then(|id| cat.offer_for(&parent.account, id))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "offer `{}` of entitlement `{}` is no longer in the catalog",
                r.entitlement.offer, req.entitlement
            ))
            .with_reason("OFFER_NOT_FOUND")
        })
}

pub fn query_eligible_billing_accounts(
    ctx: &mut Ctx<'_>,
    req: Under<pb::QueryEligibleBillingAccountsRequest>,
) -> ApiResult<pb::QueryEligibleBillingAccountsResponse> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    if req.skus.is_empty() {
        return Err(ApiError::invalid_field(
            "skus",
            "at least one SKU is required",
        ));
    }
    let c = customer(st, &req.customer)?;
    let cat = &st.world.google.orders.catalog;
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, s) in req.skus.iter().enumerate() {
        if !cat.skus.contains_key(s) {
            return Err(ApiError::invalid_field(
                &format!("skus[{i}]"),
                format!("`{}` is not a SKU of the catalog", shown(s)),
            ));
        }
        groups
            .entry(orders::product_of_sku(s).to_string())
            .or_default()
            .push(s.clone());
    }
    // guess: the SKUs of one product are bought together; any billing account of the reseller in the customer's
    // region (or with no region) may pay for them.
    let prefix = format!("accounts/{}/billingAccounts/", parent.account);
    let region = &c.org_postal_address.region_code;
    let accounts: Vec<pb::BillingAccount> = cat
        .billing_accounts
        .values()
        .filter(|b| b.name.starts_with(&prefix))
        .filter(|b| b.region_code.is_empty() || &b.region_code == region)
        .cloned()
        .collect();
    Ok(pb::QueryEligibleBillingAccountsResponse {
        sku_purchase_groups: groups
            .into_values()
            .map(|skus| pb::SkuPurchaseGroup {
                skus,
                billing_account_purchase_infos: accounts
                    .iter()
                    .map(|b| pb::BillingAccountPurchaseInfo {
                        billing_account: Some(b.clone()),
                    })
                    .collect(),
            })
            .collect(),
    })
}
