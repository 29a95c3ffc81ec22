//! The changes to an entitlement's terms: changeParameters (seats), changeRenewalSettings, changeOffer and
//! startPaidService; and what every change checks first and how it starts its operation.

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::ctx::After;
use crate::providers::google::channel::catalog::{check_billing_account, customer, offer_admits};
use crate::providers::google::channel::service::authorize;
use crate::world::actions::orders::{OrderAction, change_entry, state_of};
use crate::world::ops::Operation;
use crate::world::orders::{self as world_orders, EntitlementRecord};
use crate::world::state::State;

use pb::entitlement::ProvisioningState;
use pb::entitlement_change::ChangeType;
use pb::operation_metadata::OperationType;

use super::entitlement::{
    apply_plan, bad, check_purchase_order_id, check_renewal, payment_plan, sku_of,
    stored_parameters,
};
use super::lookup::OfEntitlement;
use super::lookup::{find_offer, visible_entitlement};
use super::operations::{
    CHANGE_OFFER_KIND, CHANGE_PARAMETERS_KIND, CHANGE_RENEWAL_KIND, START_PAID_KIND, earlier,
    finish_start, start_operation_unscheduled,
};

pub(super) fn current(st: &State, name: &str, customer_name: &str) -> ApiResult<EntitlementRecord> {
    customer(st, customer_name)?;
    let r = visible_entitlement(st, name, customer_name)?.clone();
    // A mark left by an operation that no longer runs (an imported document can hold one) blocks nothing.
    let running = |op: &String| st.ops.ops.get(op).is_some_and(|o| !o.done);
    if let Some(op) = r.pending_operation.as_ref().filter(|op| running(op)) {
        return Err(ApiError::failed_precondition(format!(
            "entitlement `{name}` is being changed by operation `{op}`; wait for it to finish"
        ))
        .with_precondition(
            "OPERATION_IN_PROGRESS",
            name.to_string(),
            format!("operation `{op}` is still running"),
        ));
    }
    Ok(r)
}

pub(super) fn require_active(e: &pb::Entitlement) -> ApiResult<()> {
    if state_of(e) != ProvisioningState::Active {
        return Err(ApiError::failed_precondition(format!(
            "entitlement `{}` is {}, not ACTIVE",
            e.name,
            state_of(e).as_str_name()
        ))
        .with_reason("NOT_ACTIVE")
        .with_precondition(
            "NOT_ACTIVE",
            e.name.clone(),
            "the entitlement is not active",
        ));
    }
    Ok(())
}

/// Starts a change operation: marks the entitlement pending and schedules what it will become.
#[allow(clippy::too_many_arguments)]
pub(super) fn start_change(
    after_unlock: &mut After,
    st: &mut State,
    request_id: &str,
    kind: &str,
    op_type: OperationType,
    account: &str,
    after: pb::Entitlement,
    change: pb::EntitlementChange,
    now: DateTime<Utc>,
) -> ApiResult<Operation> {
    let name = after.name.clone();
    let action = OrderAction::Change {
        entitlement: name.clone(),
        after: Box::new(after),
        change: Box::new(change),
    };
    let (op, ()) =
        start_operation_unscheduled(st, request_id, kind, op_type, account, &action, now)?;
    if let Some(r) = st.world.google.orders.entitlements.get_mut(&name) {
        r.pending_operation = Some(op.name.clone());
    }
    finish_start(after_unlock, st, op, now)
}

pub fn change_parameters(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::ChangeParametersRequest>,
) -> ApiResult<Operation> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &mut *ctx.st;
    if req.parameters.is_empty() {
        return Err(bad(
            "parameters",
            "at least one parameter is required".into(),
        ));
    }
    check_purchase_order_id(&req.purchase_order_id, "purchaseOrderId")?;
    let now = ctx.now;
    if let Some(op) = earlier(st, CHANGE_PARAMETERS_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(st, &req.name, &customer_name)?;
    require_active(&r.entitlement)?;
    let offer = st
        .world
        .google
        .orders
        .catalog
        .offer_of(&r.entitlement.offer)
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found(format!("offer `{}` not found", r.entitlement.offer))
                .with_reason("OFFER_NOT_FOUND")
        })?;
    let mut offer_named = offer.clone();
    offer_named.name = r.entitlement.offer.clone();
    world_orders::check_parameters(&offer_named, &req.parameters, "parameters", false)
        .map_err(|(f, p)| bad(&f, p))?;
    let commitment = payment_plan(&offer) == pb::PaymentPlan::Commitment;
    let mut change_type = ChangeType::LicenseCapChanged;
    for (i, p) in req.parameters.iter().enumerate() {
        if p.name == "num_units" {
            change_type = ChangeType::CommitmentChanged;
            let old = world_orders::int_parameter(&r.entitlement.parameters, "num_units");
            let new = world_orders::int_parameter(std::slice::from_ref(p), "num_units");
            if let (true, Some(old), Some(new)) = (commitment, old, new)
                && new < old
            {
                return Err(bad(
                    &format!("parameters[{i}].value"),
                    format!(
                        "num_units = {new} is below the {old} committed seats; a commitment plan's seats cannot decrease"
                    ),
                ));
            }
        }
    }
    let mut after = r.entitlement.clone();
    for p in stored_parameters(&req.parameters) {
        match after.parameters.iter_mut().find(|q| q.name == p.name) {
            Some(q) => *q = p,
            None => after.parameters.push(p),
        }
    }
    if !req.purchase_order_id.is_empty() {
        after.purchase_order_id = req.purchase_order_id.clone();
    }
    let change = change_entry(&after, change_type, None, now);
    start_change(
        &mut ctx.after,
        st,
        &req.request_id,
        CHANGE_PARAMETERS_KIND,
        OperationType::ChangeParameters,
        &account,
        after,
        change,
        now,
    )
}

pub fn change_renewal_settings(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::ChangeRenewalSettingsRequest>,
) -> ApiResult<Operation> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &mut *ctx.st;
    let renewal = req
        .renewal_settings
        .ok_or_else(|| bad("renewalSettings", "is required".into()))?;
    check_renewal(&renewal, "renewalSettings")?;
    let now = ctx.now;
    if let Some(op) = earlier(st, CHANGE_RENEWAL_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(st, &req.name, &customer_name)?;
    let Some(mut commitment) = r.entitlement.commitment_settings else {
        return Err(ApiError::failed_precondition(format!(
            "entitlement `{}` is not on a commitment plan; renewal settings apply to commitment plans only",
            req.name
        ))
        .with_reason("NOT_COMMITMENT_PLAN")
        .with_precondition(
            "NOT_COMMITMENT_PLAN",
            req.name.clone(),
            "renewal settings apply to commitment plans only",
        ));
    };
    commitment.renewal_settings = Some(renewal);
    let mut after = r.entitlement.clone();
    after.commitment_settings = Some(commitment);
    let change = change_entry(&after, ChangeType::RenewalSettingChanged, None, now);
    start_change(
        &mut ctx.after,
        st,
        &req.request_id,
        CHANGE_RENEWAL_KIND,
        OperationType::ChangeRenewalSettings,
        &account,
        after,
        change,
        now,
    )
}

pub fn change_offer(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::ChangeOfferRequest>,
) -> ApiResult<Operation> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &mut *ctx.st;
    check_purchase_order_id(&req.purchase_order_id, "purchaseOrderId")?;
    let now = ctx.now;
    if let Some(op) = earlier(st, CHANGE_OFFER_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(st, &req.name, &customer_name)?;
    require_active(&r.entitlement)?;
    let offer = find_offer(st, &req.offer, &account, "offer")?;
    if offer.name == r.entitlement.offer {
        return Err(bad(
            "offer",
            format!(
                "entitlement `{}` is already on offer `{}`",
                req.name, offer.name
            ),
        ));
    }
    let old_sku = r.sku();
    let new_sku = sku_of(&offer);
    if world_orders::product_of_sku(&old_sku) != world_orders::product_of_sku(&new_sku) {
        return Err(bad(
            "offer",
            format!(
                "offer `{}` sells `{new_sku}`, a SKU of another product than `{old_sku}`",
                offer.name
            ),
        ));
    }
    {
        let g = &st.world.google;
        let c = customer(st, &customer_name)?;
        let ci = c
            .cloud_identity_id
            .as_ref()
            .and_then(|id| g.identities.get(id));
        offer_admits(&offer, c, ci).map_err(|m| {
            ApiError::failed_precondition(m.clone()).with_precondition(
                "OFFER_CONSTRAINTS",
                offer.name.clone(),
                m,
            )
        })?;
    }
    check_billing_account(
        &st.world.google.orders.catalog,
        &account,
        &req.billing_account,
        "billingAccount",
    )?;
    // guess: without parameters, the entitlement keeps those of its parameters the new offer defines.
    let params = if req.parameters.is_empty() {
        r.entitlement
            .parameters
            .iter()
            .filter(|p| offer.parameter_definitions.iter().any(|d| d.name == p.name))
            .cloned()
            .collect()
    } else {
        req.parameters.clone()
    };
    world_orders::check_parameters(&offer, &params, "parameters", true)
        .map_err(|(f, p)| bad(&f, p))?;
    let mut after = r.entitlement.clone();
    after.offer = offer.name.clone();
    after.parameters = stored_parameters(&params);
    if let Some(ps) = after.provisioned_service.as_mut() {
        ps.sku_id = new_sku
            .rsplit_once("/skus/")
            .map(|(_, s)| s.to_string())
            .unwrap_or_default();
    }
    if !req.purchase_order_id.is_empty() {
        after.purchase_order_id = req.purchase_order_id.clone();
    }
    if !req.billing_account.is_empty() {
        after.billing_account = req.billing_account.clone();
    }
    after.price_reference_id = req.price_reference_id.clone();
    apply_plan(&mut after, &offer, None, now, "offer")?;
    let change_type = if new_sku != old_sku {
        ChangeType::SkuChanged
    } else {
        ChangeType::PricePlanSwitched
    };
    let change = change_entry(&after, change_type, None, now);
    start_change(
        &mut ctx.after,
        st,
        &req.request_id,
        CHANGE_OFFER_KIND,
        OperationType::ChangeOffer,
        &account,
        after,
        change,
        now,
    )
}

pub fn start_paid_service(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::StartPaidServiceRequest>,
) -> ApiResult<Operation> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &mut *ctx.st;
    let now = ctx.now;
    if let Some(op) = earlier(st, START_PAID_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(st, &req.name, &customer_name)?;
    if !r
        .entitlement
        .trial_settings
        .as_ref()
        .is_some_and(|t| t.trial)
    {
        return Err(ApiError::failed_precondition(format!(
            "entitlement `{}` is not in a trial",
            req.name
        ))
        .with_reason("NOT_IN_TRIAL")
        .with_precondition(
            "NOT_IN_TRIAL",
            req.name.clone(),
            "the entitlement is not in a trial",
        ));
    }
    let mut after = r.entitlement.clone();
    // guess: paid service continues on the SKU's flexible offer (what a trial converts to when nothing else was
    // set up), keeping the parameters that offer defines.
    let sku = r.sku();
    let cat = st.world.google.orders.catalog.clone();
    let flexible = cat.offers.keys().find_map(|id| {
        cat.offer_for(&account, id)
            .filter(|o| sku_of(o) == sku && payment_plan(o) == pb::PaymentPlan::Flexible)
    });
    if let Some(o) = flexible {
        after
            .parameters
            .retain(|p| o.parameter_definitions.iter().any(|d| d.name == p.name));
        after.offer = o.name.clone();
    }
    after.trial_settings = Some(pb::TrialSettings {
        trial: false,
        end_time: Some(now.into()),
    });
    let change = change_entry(&after, ChangeType::PaidSubscriptionStarted, None, now);
    start_change(
        &mut ctx.after,
        st,
        &req.request_id,
        START_PAID_KIND,
        OperationType::StartPaidService,
        &account,
        after,
        change,
        now,
    )
}
