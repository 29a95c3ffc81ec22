//! createEntitlement: what a customer must have (a Cloud Identity) and may buy, then the operation.

use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::google::channel::catalog::{self, customer, offer_admits};
use crate::providers::google::channel::service::{self, authorize};
use crate::providers::google::names::Under;
use crate::world::actions::orders::OrderAction;
use crate::world::ops::Operation;
use crate::world::orders::{self as world_orders, EntitlementRecord, Source};
use crate::world::state::State;

use pb::operation_metadata::OperationType;

use super::entitlement::{bad, new_entitlement, sku_of};
use super::lookup::find_offer;
use super::operations::{CREATE_KIND, earlier, finish_start, start_operation_unscheduled};

/// The customer of an order with its Cloud Identity id, or FAILED_PRECONDITION when it has none yet.
pub(super) fn customer_with_identity(st: &State, name: &str) -> ApiResult<String> {
    let c = customer(st, name)?;
    c.cloud_identity_id.clone().ok_or_else(|| {
        ApiError::failed_precondition(format!(
            "customer `{name}` has no Cloud Identity; provision or import it before ordering"
        ))
        .with_precondition(
            "CLOUD_IDENTITY_REQUIRED",
            name.to_string(),
            "the customer has no Cloud Identity",
        )
    })
}

/// Checks that `customer` may buy `offer`: the offer admits it, it holds no entitlement of the same SKU (or of
/// another SKU of the product), and its Cloud Identity holds the SKU nowhere else.
fn check_can_buy(st: &State, customer_name: &str, offer: &pb::Offer, field: &str) -> ApiResult<()> {
    let g = &st.world.google;
    let c = customer(st, customer_name)?;
    let ci = c
        .cloud_identity_id
        .as_ref()
        .and_then(|id| g.identities.get(id));
    offer_admits(offer, c, ci).map_err(|m| {
        ApiError::failed_precondition(m.clone()).with_precondition(
            "OFFER_CONSTRAINTS",
            offer.name.clone(),
            m,
        )
    })?;
    let sku = sku_of(offer);
    let product = world_orders::product_of_sku(&sku);
    for (name, r) in g.orders.of_customer(customer_name) {
        let other = r.sku();
        if other == sku {
            return Err(ApiError::already_exists(format!(
                "customer `{customer_name}` already has entitlement `{name}` for SKU `{sku}`"
            ))
            .with_reason("ENTITLEMENT_ALREADY_EXISTS"));
        }
        if world_orders::product_of_sku(&other) == product {
            return Err(bad(
                field,
                format!(
                    "customer `{customer_name}` already has entitlement `{name}` for `{other}`, a SKU of the same product; change its offer instead"
                ),
            ));
        }
    }
    if let Some(ci) = ci {
        let account = service::account_of(customer_name);
        if let Some(t) = catalog::transferable(g, ci, account)
            .into_iter()
            .find(|t| t.sku == sku)
        {
            let holder = match &t.source {
                Source::Held { .. } => "outside this reseller".to_string(),
                Source::Entitlement { name } => format!("as `{name}`"),
            };
            return Err(ApiError::already_exists(format!(
                "Cloud Identity `{}` already holds SKU `{sku}` {holder}; transfer it instead",
                ci.id
            ))
            .with_reason("SKU_ALREADY_PURCHASED"));
        }
    }
    Ok(())
}

pub fn create_entitlement(
    ctx: &mut Ctx<'_>,
    req: Under<pb::CreateEntitlementRequest>,
) -> ApiResult<Operation> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &mut *ctx.st;
    let input = req
        .entitlement
        .ok_or_else(|| bad("entitlement", "is required".to_string()))?;
    let now = ctx.now;
    if let Some(op) = earlier(st, CREATE_KIND, &parent.account, &req.request_id)? {
        return Ok(op);
    }
    customer_with_identity(st, &req.parent)?;
    let offer = find_offer(st, &input.offer, &parent.account, "entitlement.offer")?;
    check_can_buy(st, &req.parent, &offer, "entitlement.offer")?;
    let e = new_entitlement(
        st,
        &req.parent,
        &parent.account,
        &offer,
        &input,
        "entitlement",
        now,
    )?;
    let name = e.name.clone();
    let action = OrderAction::Create {
        entitlement: name.clone(),
    };
    let (op, _) = start_operation_unscheduled(
        st,
        &req.request_id,
        CREATE_KIND,
        OperationType::CreateEntitlement,
        &parent.account,
        &action,
        now,
    )?;
    st.world.google.orders.entitlements.insert(
        name,
        EntitlementRecord {
            entitlement: e,
            pending_operation: Some(op.name.clone()),
            creating: true,
            changes: Vec::new(),
        },
    );
    finish_start(&mut ctx.after, st, op, now)
}
