//! What an order request names, found: an entitlement (parsed, and visible to its customer) and an offer (as the
//! reseller account sees it).

use crate::error::{ApiError, ApiResult, shown};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::google::channel::catalog::direct_customer;
use crate::providers::google::names::under;
use crate::world::messages::entitlement_not_found;
use crate::world::orders::{self as world_orders, EntitlementRecord};
use crate::world::state::State;

/// Parses an entitlement name, returning its customer's name and account.
pub(super) fn parse_entitlement(name: &str, field: &str) -> ApiResult<(String, String)> {
    let customer = world_orders::customer_of_entitlement(name).ok_or_else(|| {
        ApiError::invalid_field(
            field,
            format!(
                "`{}` is not accounts/{{account}}/customers/{{customer}}/entitlements/{{entitlement}}",
                shown(name)
            ),
        )
    })?;
    let parent = direct_customer(customer, field)?;
    Ok((customer.to_string(), parent.account))
}

/// A visible (finished creating) entitlement of `customer`, or NOT_FOUND (INVALID_ARGUMENT for a malformed name).
pub(crate) fn visible_entitlement<'a>(
    st: &'a State,
    name: &str,
    customer: &str,
) -> ApiResult<&'a EntitlementRecord> {
    let (owner, _) = parse_entitlement(name, "entitlement")?;
    if owner != customer {
        return Err(ApiError::invalid_field(
            "entitlement",
            format!("`{}` is not an entitlement of `{customer}`", shown(name)),
        ));
    }
    st.world
        .google
        .orders
        .entitlements
        .get(name)
        .filter(|r| !r.creating)
        .ok_or_else(|| entitlement_not_found(name))
}

fn offer_name_parts<'a>(offer: &'a str, account: &str, field: &str) -> ApiResult<&'a str> {
    if offer.is_empty() {
        return Err(ApiError::invalid_field(
            field,
            "is required (accounts/{account}/offers/{offer})",
        ));
    }
    let prefix = format!("accounts/{account}/offers/");
    match offer.strip_prefix(&prefix) {
        Some(id) if world_orders::offer_id(id) == Some(id) => Ok(id),
        _ => Err(ApiError::invalid_field(
            field,
            format!(
                "`{}` is not an offer of `accounts/{account}` (accounts/{account}/offers/{{offer}})",
                shown(offer)
            ),
        )),
    }
}

/// The offer named in a request, as the account sees it, or NOT_FOUND.
pub(super) fn find_offer(
    st: &State,
    offer: &str,
    account: &str,
    field: &str,
) -> ApiResult<pb::Offer> {
    let id = offer_name_parts(offer, account, field)?;
    st.world
        .google
        .orders
        .catalog
        .offer_for(account, id)
        .ok_or_else(|| {
            ApiError::not_found(format!("offer `{}` not found", shown(offer)))
                .with_reason("OFFER_NOT_FOUND")
        })
}

/// A request naming one entitlement, its name parsed at the edge (outside the lock): the customer it belongs to
/// and the reseller account the caller must act for.
pub struct OfEntitlement<R> {
    pub customer: String,
    pub account: String,
    pub req: R,
}

/// `TryFrom` the request for [`OfEntitlement`], by the field naming the entitlement.
macro_rules! parsed_at_edge {
    (OfEntitlement, $field:ident, $name:literal: $($t:ty),+) => {$(
        impl TryFrom<$t> for OfEntitlement<$t> {
            type Error = ApiError;
            fn try_from(req: $t) -> ApiResult<Self> {
                let (customer, account) = parse_entitlement(&req.$field, $name)?;
                Ok(OfEntitlement { customer, account, req })
            }
        }
    )+};
}

parsed_at_edge!(OfEntitlement, name, "name":
    pb::GetEntitlementRequest,
    pb::ChangeParametersRequest,
    pb::ChangeRenewalSettingsRequest,
    pb::ChangeOfferRequest,
    pb::StartPaidServiceRequest,
    pb::SuspendEntitlementRequest,
    pb::ActivateEntitlementRequest,
    pb::CancelEntitlementRequest
);
parsed_at_edge!(OfEntitlement, parent, "parent": pb::ListEntitlementChangesRequest);
under! {
    pb::ListEntitlementsRequest => |r| direct_customer(&r.parent, "parent");
    pb::CreateEntitlementRequest => |r| direct_customer(&r.parent, "parent");
    pb::TransferEntitlementsRequest => |r| direct_customer(&r.parent, "parent");
    pb::TransferEntitlementsToGoogleRequest => |r| direct_customer(&r.parent, "parent");
}
