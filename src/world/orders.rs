//! The reseller's order book: the catalog Google offers resellers (products, SKUs, offers, billing accounts) and
//! the entitlements resellers buy for their customers.
//!
//! Catalog entries and entitlements are the proto messages themselves, in their proto3 JSON form: a catalog in a
//! fixtures file reads exactly like the API's own answers (paste an offer from `accounts.offers.list` and it loads),
//! and an entitlement needs no look-alike struct. Catalog offers are shared by every reseller account: a fixture
//! names an offer by its id (`WS-STARTER-FLEX`, or any `accounts/*/offers/WS-STARTER-FLEX`), and the API shows it
//! as `accounts/{the caller's account}/offers/{id}`. guess: Google's catalog differs per reseller; one shared catalog
//! is what a test needs.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::tracked::Tracked;
use crate::proto::google::cloud::channel::v1 as chpb;

/// The embedded default catalog (`fixtures/catalog.json`), used when a document has no `google.catalog`.
pub const DEFAULT_CATALOG: &str = include_str!("../../fixtures/catalog.json");

/// The catalog as a document holds it (`google.catalog`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    #[serde(default)]
    pub products: Vec<chpb::Product>,
    /// A SKU's `product` may be left out: it is filled in from `products`.
    #[serde(default)]
    pub skus: Vec<chpb::Sku>,
    /// An offer's `sku` needs only its `name`; the rest is filled in from `skus`.
    #[serde(default)]
    pub offers: Vec<chpb::Offer>,
    /// `accounts/{a}/billingAccounts/{b}`: what `queryEligibleBillingAccounts` answers for account `a`.
    #[serde(default)]
    pub billing_accounts: Vec<chpb::BillingAccount>,
}

/// The loaded catalog with its lookups. Immutable between state imports, so the world shares it (`Arc`).
#[derive(Debug, Clone, Default)]
pub struct CatalogIndex {
    /// What the document said, exported as it was.
    pub source: Catalog,
    /// True when the document gave no catalog (the embedded default): exports leave it out again.
    pub is_default: bool,
    pub products: BTreeMap<String, chpb::Product>,
    /// Full SKUs (with their product), by name.
    pub skus: BTreeMap<String, chpb::Sku>,
    /// Offers by id, with their full SKU and an id-only name.
    pub offers: BTreeMap<String, chpb::Offer>,
    pub billing_accounts: BTreeMap<String, chpb::BillingAccount>,
}

impl CatalogIndex {
    /// Checks and indexes a catalog; errors name the path under `google.catalog`.
    pub fn load(source: Catalog) -> Result<CatalogIndex, (String, String)> {
        let mut ix = CatalogIndex::default();
        for (i, p) in source.products.iter().enumerate() {
            let path = format!("google.catalog.products[{i}].name");
            if !valid_resource(&p.name, &["products"]) {
                return Err((path, format!("`{}` is not products/{{id}}", p.name)));
            }
            if ix.products.insert(p.name.clone(), p.clone()).is_some() {
                return Err((path, format!("duplicate product `{}`", p.name)));
            }
        }
        for (i, s) in source.skus.iter().enumerate() {
            let path = format!("google.catalog.skus[{i}].name");
            if !valid_resource(&s.name, &["products", "skus"]) {
                return Err((
                    path,
                    format!("`{}` is not products/{{p}}/skus/{{s}}", s.name),
                ));
            }
            let product_name = product_of_sku(&s.name).to_string();
            let product = ix.products.get(&product_name).cloned().ok_or_else(|| {
                (
                    path.clone(),
                    format!(
                        "unknown product `{product_name}` (list it in google.catalog.products)"
                    ),
                )
            })?;
            let mut sku = s.clone();
            sku.product = Some(product);
            if ix.skus.insert(s.name.clone(), sku).is_some() {
                return Err((path, format!("duplicate SKU `{}`", s.name)));
            }
        }
        for (i, o) in source.offers.iter().enumerate() {
            let base = format!("google.catalog.offers[{i}]");
            let id = offer_id(&o.name).ok_or_else(|| {
                (
                    format!("{base}.name"),
                    format!(
                        "`{}` is not an offer id or accounts/{{a}}/offers/{{id}}",
                        o.name
                    ),
                )
            })?;
            let sku_name = o.sku.as_ref().map(|s| s.name.clone()).unwrap_or_default();
            let sku = ix.skus.get(&sku_name).cloned().ok_or_else(|| {
                (
                    format!("{base}.sku.name"),
                    format!("unknown SKU `{sku_name}` (list it in google.catalog.skus)"),
                )
            })?;
            let mut offer = o.clone();
            offer.name = id.to_string();
            if offer.marketing_info.is_none() {
                offer.marketing_info = sku.marketing_info.clone();
            }
            offer.sku = Some(sku);
            let plan = offer.plan.clone().unwrap_or_default();
            if chpb::PaymentPlan::try_from(plan.payment_plan).is_err() {
                return Err((
                    format!("{base}.plan.paymentPlan"),
                    format!("{} is not a PaymentPlan", plan.payment_plan),
                ));
            }
            let mut names = BTreeSet::new();
            for (j, d) in offer.parameter_definitions.iter().enumerate() {
                if d.name.is_empty() || !names.insert(d.name.as_str()) {
                    return Err((
                        format!("{base}.parameterDefinitions[{j}].name"),
                        format!("`{}` is empty or defined twice", d.name),
                    ));
                }
            }
            if ix.offers.insert(id.to_string(), offer).is_some() {
                return Err((format!("{base}.name"), format!("duplicate offer `{id}`")));
            }
        }
        for (i, b) in source.billing_accounts.iter().enumerate() {
            let path = format!("google.catalog.billing_accounts[{i}].name");
            if !valid_resource(&b.name, &["accounts", "billingAccounts"]) {
                return Err((
                    path,
                    format!("`{}` is not accounts/{{a}}/billingAccounts/{{b}}", b.name),
                ));
            }
            if ix
                .billing_accounts
                .insert(b.name.clone(), b.clone())
                .is_some()
            {
                return Err((path, format!("duplicate billing account `{}`", b.name)));
            }
        }
        ix.source = source;
        Ok(ix)
    }

    /// The offer `accounts/{a}/offers/{id}` as account `a` sees it.
    pub fn offer_for(&self, account: &str, id: &str) -> Option<chpb::Offer> {
        self.offers.get(id).map(|o| {
            let mut o = o.clone();
            o.name = format!("accounts/{account}/offers/{id}");
            o
        })
    }

    /// The offer an entitlement's `offer` field names.
    pub fn offer_of(&self, offer_name: &str) -> Option<&chpb::Offer> {
        offer_id(offer_name).and_then(|id| self.offers.get(id))
    }
}

/// `products/{p}` of `products/{p}/skus/{s}`.
pub fn product_of_sku(sku: &str) -> &str {
    sku.find("/skus/").map(|i| &sku[..i]).unwrap_or("")
}

/// The id of `accounts/{a}/offers/{id}`, or of a bare id.
pub fn offer_id(name: &str) -> Option<&str> {
    let id = match name.split('/').collect::<Vec<_>>().as_slice() {
        [id] => *id,
        ["accounts", a, "offers", id] if !a.is_empty() => *id,
        _ => return None,
    };
    valid_segment(id).then_some(id)
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `kinds[0]/{x}/kinds[1]/{y}…` with valid segments.
fn valid_resource(name: &str, kinds: &[&str]) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() == kinds.len() * 2
        && parts
            .chunks(2)
            .zip(kinds)
            .all(|(pair, k)| pair[0] == *k && valid_segment(pair[1]))
}

/// An entitlement as the world keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitlementRecord {
    /// The entitlement as the API shows it (proto3 JSON).
    pub entitlement: chpb::Entitlement,
    /// The operation still changing it (create, change, suspend, …); other changes wait for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_operation: Option<String>,
    /// True while the create or transfer operation that makes it runs: the SKU is reserved, but the entitlement is
    /// not visible yet. guess: Google shows an entitlement once its fulfilment finishes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub creating: bool,
    /// Its history, oldest first (`listEntitlementChanges`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<chpb::EntitlementChange>,
}

impl EntitlementRecord {
    /// `products/{p}/skus/{s}` from the provisioned service.
    pub fn sku(&self) -> String {
        let ps = self
            .entitlement
            .provisioned_service
            .clone()
            .unwrap_or_default();
        format!("products/{}/skus/{}", ps.product_id, ps.sku_id)
    }
}

/// A SKU a Cloud Identity already holds outside this emulator's resellers (bought directly from Google or through
/// a reseller provmock does not model): what `listTransferableSkus` offers to move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldSku {
    /// `products/{p}/skus/{s}`.
    pub sku: String,
    /// Seats (licences) it holds.
    #[serde(default)]
    pub units: i64,
    /// A suspended subscription cannot be transferred (`SKU_SUSPENDED`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub suspended: bool,
}

/// `ChannelPartnerLinkState` by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkState {
    Invited,
    #[default]
    Active,
    Revoked,
    Suspended,
}

impl LinkState {
    pub fn proto(self) -> chpb::ChannelPartnerLinkState {
        match self {
            LinkState::Invited => chpb::ChannelPartnerLinkState::Invited,
            LinkState::Active => chpb::ChannelPartnerLinkState::Active,
            LinkState::Revoked => chpb::ChannelPartnerLinkState::Revoked,
            LinkState::Suspended => chpb::ChannelPartnerLinkState::Suspended,
        }
    }

    pub fn from_proto(n: i32) -> Option<LinkState> {
        match chpb::ChannelPartnerLinkState::try_from(n).ok()? {
            chpb::ChannelPartnerLinkState::Invited => Some(LinkState::Invited),
            chpb::ChannelPartnerLinkState::Active => Some(LinkState::Active),
            chpb::ChannelPartnerLinkState::Revoked => Some(LinkState::Revoked),
            chpb::ChannelPartnerLinkState::Suspended => Some(LinkState::Suspended),
            chpb::ChannelPartnerLinkState::Unspecified => None,
        }
    }

    pub fn is_active(s: &LinkState) -> bool {
        *s == LinkState::Active
    }
}

/// The order book in the world.
#[derive(Debug, Clone, Default)]
pub struct OrdersWorld {
    pub catalog: Arc<CatalogIndex>,
    /// Entitlements by full name (`accounts/{a}/customers/{c}/entitlements/{e}`): a customer's are one range.
    pub entitlements: Tracked<String, EntitlementRecord>,
}

impl OrdersWorld {
    /// The entitlements of a customer (including ones still being created), in name order.
    pub fn of_customer<'a>(
        &'a self,
        customer: &str,
    ) -> impl Iterator<Item = (&'a String, &'a EntitlementRecord)> + 'a {
        let prefix = format!("{customer}/entitlements/");
        self.entitlements
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
    }
}

/// The customer (`accounts/{a}/customers/{c}`) of an entitlement name, if it is one.
pub fn customer_of_entitlement(name: &str) -> Option<&str> {
    let (customer, id) = name.rsplit_once("/entitlements/")?;
    let parts: Vec<&str> = customer.split('/').collect();
    let ok = matches!(parts.as_slice(), ["accounts", a, "customers", c] if valid_segment(a) && valid_segment(c));
    (ok && valid_segment(id)).then_some(customer)
}

/// Longest string parameter value (`display_name`). guess: the reference gives no limit.
const MAX_STRING_PARAMETER: usize = 1024;

/// Checks entitlement parameters against an offer's definitions: known names, no repeats, the right type, within
/// bounds and allowed values; with `complete`, every non-optional parameter present. Errors are (field, problem).
pub fn check_parameters(
    offer: &chpb::Offer,
    params: &[chpb::Parameter],
    field: &str,
    complete: bool,
) -> Result<(), (String, String)> {
    use chpb::parameter_definition::ParameterType as T;
    use chpb::value::Kind;
    let mut seen = BTreeSet::new();
    for (i, p) in params.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let def = offer
            .parameter_definitions
            .iter()
            .find(|d| d.name == p.name)
            .ok_or_else(|| {
                let known: Vec<&str> = offer
                    .parameter_definitions
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect();
                (
                    format!("{f}.name"),
                    format!(
                        "`{}` is not a parameter of offer `{}` (it takes: {})",
                        crate::error::shown(&p.name),
                        offer.name,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                )
            })?;
        if !seen.insert(p.name.as_str()) {
            return Err((format!("{f}.name"), format!("`{}` is given twice", p.name)));
        }
        let kind = p
            .value
            .as_ref()
            .and_then(|v| v.kind.as_ref())
            .ok_or_else(|| (format!("{f}.value"), format!("`{}` needs a value", p.name)))?;
        if let Kind::StringValue(v) = kind
            && v.chars().count() > MAX_STRING_PARAMETER
        {
            return Err((
                format!("{f}.value"),
                format!(
                    "`{}` is {} characters long; at most {MAX_STRING_PARAMETER} are accepted",
                    p.name,
                    v.chars().count()
                ),
            ));
        }
        let expected = T::try_from(def.parameter_type).unwrap_or(T::Unspecified);
        let type_ok = matches!(
            (expected, kind),
            (T::Int64, Kind::Int64Value(_))
                | (T::String, Kind::StringValue(_))
                | (T::Double, Kind::DoubleValue(_))
                | (T::Boolean, Kind::BoolValue(_))
                | (T::Unspecified, _)
        );
        if !type_ok {
            return Err((
                format!("{f}.value"),
                format!(
                    "`{}` takes a {} value",
                    p.name,
                    expected.as_str_name().to_ascii_lowercase()
                ),
            ));
        }
        let num = |v: &Option<chpb::Value>| match v.as_ref().and_then(|v| v.kind.as_ref()) {
            Some(Kind::Int64Value(n)) => Some(*n as f64),
            Some(Kind::DoubleValue(d)) => Some(*d),
            _ => None,
        };
        let shown_value = match kind {
            Kind::Int64Value(n) => n.to_string(),
            Kind::DoubleValue(d) => d.to_string(),
            Kind::StringValue(s) => format!("`{}`", crate::error::shown(s)),
            Kind::BoolValue(b) => b.to_string(),
            Kind::ProtoValue(_) => "a message".to_string(),
        };
        if let Some(x) = num(&p.value) {
            if let Some(lo) = num(&def.min_value)
                && x < lo
            {
                return Err((
                    format!("{f}.value"),
                    format!(
                        "{} = {shown_value} is below the minimum {lo} of offer `{}`",
                        p.name, offer.name
                    ),
                ));
            }
            if let Some(hi) = num(&def.max_value)
                && x > hi
            {
                return Err((
                    format!("{f}.value"),
                    format!(
                        "{} = {shown_value} is above the maximum {hi} of offer `{}`",
                        p.name, offer.name
                    ),
                ));
            }
        }
        if !def.allowed_values.is_empty()
            && !def
                .allowed_values
                .iter()
                .any(|a| a.kind.as_ref() == Some(kind))
        {
            return Err((
                format!("{f}.value"),
                format!("{} = {shown_value} is not an allowed value", p.name),
            ));
        }
    }
    if complete {
        for d in &offer.parameter_definitions {
            if !d.optional && !seen.contains(d.name.as_str()) {
                return Err((
                    field.to_string(),
                    format!("offer `{}` requires the parameter `{}`", offer.name, d.name),
                ));
            }
        }
    }
    Ok(())
}

/// An integer parameter's value (`num_units`, `max_units`).
pub fn int_parameter(params: &[chpb::Parameter], name: &str) -> Option<i64> {
    params
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_ref())
        .and_then(|v| match v.kind {
            Some(chpb::value::Kind::Int64Value(n)) => Some(n),
            _ => None,
        })
}

/// Where a transferable SKU is held now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// In the Cloud Identity's `held_skus`.
    Held { cloud_identity: String, sku: String },
    /// An entitlement of another reseller's customer linked to the same Cloud Identity.
    Entitlement { name: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalog_loads_and_fills_in_skus() {
        let c: Catalog = serde_json::from_str(DEFAULT_CATALOG).expect("parses");
        let ix = CatalogIndex::load(c).expect("loads");
        let o = ix.offer_for("C1", "WS-STARTER-FLEX").expect("offer");
        assert_eq!(o.name, "accounts/C1/offers/WS-STARTER-FLEX");
        let sku = o.sku.expect("sku");
        assert_eq!(
            sku.product.map(|p| p.name).as_deref(),
            Some("products/GOOGLE_WORKSPACE")
        );
        assert!(ix.offers.len() >= 12);
    }

    #[test]
    fn parameters_out_of_bounds_name_the_field_and_value() {
        let c: Catalog = serde_json::from_str(DEFAULT_CATALOG).expect("parses");
        let ix = CatalogIndex::load(c).expect("loads");
        let o = ix.offer_for("C1", "WS-STARTER-ANNUAL").expect("offer");
        let p = |n: i64| chpb::Parameter {
            name: "num_units".into(),
            value: Some(chpb::Value {
                kind: Some(chpb::value::Kind::Int64Value(n)),
            }),
            editable: false,
        };
        assert!(check_parameters(&o, &[p(5)], "parameters", true).is_ok());
        let (field, problem) =
            check_parameters(&o, &[p(0)], "parameters", true).expect_err("below");
        assert_eq!(field, "parameters[0].value");
        assert!(problem.contains("num_units = 0"), "{problem}");
        let (field, _) = check_parameters(&o, &[], "parameters", true).expect_err("missing");
        assert_eq!(field, "parameters");
        assert_eq!(
            customer_of_entitlement("accounts/A/customers/C/entitlements/E"),
            Some("accounts/A/customers/C")
        );
        assert_eq!(
            customer_of_entitlement("accounts/A/customers/C/entitlements/"),
            None
        );
    }
}
