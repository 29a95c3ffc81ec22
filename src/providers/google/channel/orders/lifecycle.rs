//! An entitlement's state: suspend, activate (lifting a reseller's suspension) and cancel.

use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::world::actions::orders::{OrderAction, change_entry, state_of};
use crate::world::ops::Operation;

use pb::entitlement::{ProvisioningState, SuspensionReason};
use pb::entitlement_change::{ActivationReason, ChangeReason, ChangeType};
use pb::operation_metadata::OperationType;

use super::changes::{current, require_active, start_change};
use super::lookup::OfEntitlement;
use super::operations::{
    ACTIVATE_KIND, CANCEL_KIND, SUSPEND_KIND, earlier, finish_start, start_operation_unscheduled,
};
use crate::providers::google::channel::service::authorize;

pub fn suspend_entitlement(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::SuspendEntitlementRequest>,
) -> ApiResult<Operation> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &mut *ctx.st;
    let now = ctx.now;
    if let Some(op) = earlier(st, SUSPEND_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(st, &req.name, &customer_name)?;
    require_active(&r.entitlement)?;
    let mut after = r.entitlement.clone();
    after.provisioning_state = ProvisioningState::Suspended as i32;
    after.suspension_reasons = vec![SuspensionReason::ResellerInitiated as i32];
    let change = change_entry(
        &after,
        ChangeType::Suspended,
        Some(ChangeReason::SuspensionReason(
            SuspensionReason::ResellerInitiated as i32,
        )),
        now,
    );
    start_change(
        &mut ctx.after,
        st,
        &req.request_id,
        SUSPEND_KIND,
        OperationType::SuspendEntitlement,
        &account,
        after,
        change,
        now,
    )
}

pub fn activate_entitlement(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::ActivateEntitlementRequest>,
) -> ApiResult<Operation> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &mut *ctx.st;
    let now = ctx.now;
    if let Some(op) = earlier(st, ACTIVATE_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(st, &req.name, &customer_name)?;
    if state_of(&r.entitlement) != ProvisioningState::Suspended {
        return Err(ApiError::failed_precondition(format!(
            "entitlement `{}` is not suspended",
            req.name
        ))
        .with_reason("NOT_SUSPENDED")
        .with_precondition(
            "NOT_SUSPENDED",
            req.name.clone(),
            "the entitlement is not suspended",
        ));
    }
    if r.entitlement
        .suspension_reasons
        .iter()
        .any(|s| *s != SuspensionReason::ResellerInitiated as i32)
    {
        return Err(ApiError::failed_precondition(format!(
            "entitlement `{}` was not suspended by its reseller alone; only reseller-initiated suspensions can be lifted",
            req.name
        ))
        .with_reason("SUSPENSION_NOT_RESELLER_INITIATED")
        .with_precondition(
            "SUSPENSION_NOT_RESELLER_INITIATED",
            req.name.clone(),
            "the suspension was not reseller-initiated",
        ));
    }
    let mut after = r.entitlement.clone();
    after.provisioning_state = ProvisioningState::Active as i32;
    after.suspension_reasons.clear();
    let change = change_entry(
        &after,
        ChangeType::Activated,
        Some(ChangeReason::ActivationReason(
            ActivationReason::ResellerRevokedSuspension as i32,
        )),
        now,
    );
    start_change(
        &mut ctx.after,
        st,
        &req.request_id,
        ACTIVATE_KIND,
        OperationType::ActivateEntitlement,
        &account,
        after,
        change,
        now,
    )
}

pub fn cancel_entitlement(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::CancelEntitlementRequest>,
) -> ApiResult<Operation> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &mut *ctx.st;
    let now = ctx.now;
    if let Some(op) = earlier(st, CANCEL_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    current(st, &req.name, &customer_name)?;
    // guess: the reference allows cancelling Workspace add-ons and Google Cloud entitlements only
    // (DELETION_TYPE_NOT_ALLOWED otherwise); provmock lets any entitlement be cancelled, so an order flow can end.
    let action = OrderAction::Cancel {
        entitlement: req.name.clone(),
    };
    let (op, ()) = start_operation_unscheduled(
        st,
        &req.request_id,
        CANCEL_KIND,
        OperationType::CancelEntitlement,
        &account,
        &action,
        now,
    )?;
    if let Some(r) = st.world.google.orders.entitlements.get_mut(&req.name) {
        r.pending_operation = Some(op.name.clone());
    }
    finish_start(&mut ctx.after, st, op, now)
}
