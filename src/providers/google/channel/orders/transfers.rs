//! transferEntitlements (bringing SKUs a Cloud Identity holds elsewhere to this reseller) and
//! transferEntitlementsToGoogle (handing entitlements back to Google).

use crate::error::{ApiError, ApiResult, shown};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::google::channel::catalog::{
    self, check_transfer_token, customer, offer_admits,
};
use crate::providers::google::channel::service::authorize;
use crate::providers::google::names::Under;
use crate::world::actions::orders::OrderAction;
use crate::world::ops::Operation;
use crate::world::orders::{EntitlementRecord, Source};

use pb::operation_metadata::OperationType;

use super::changes::current;
use super::create::customer_with_identity;
use super::entitlement::{bad, new_entitlement, sku_of};
use super::lookup::{find_offer, parse_entitlement};
use super::operations::{
    TRANSFER_KIND, TRANSFER_TO_GOOGLE_KIND, earlier, finish_start, start_operation_unscheduled,
};

pub fn transfer_entitlements(
    ctx: &mut Ctx<'_>,
    req: Under<pb::TransferEntitlementsRequest>,
) -> ApiResult<Operation> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &mut *ctx.st;
    if req.entitlements.is_empty() {
        return Err(bad(
            "entitlements",
            "at least one entitlement is required".into(),
        ));
    }
    let account = parent.account.clone();
    let now = ctx.now;
    if let Some(op) = earlier(st, TRANSFER_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let ci_id = customer_with_identity(st, &req.parent)?;
    let ci = st
        .world
        .google
        .identities
        .get(&ci_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no Cloud Identity `{ci_id}`")))?;
    check_transfer_token(&ci, &account, &req.auth_token)?;
    let transferable = catalog::transferable(&st.world.google, &ci, &account);
    let mut sources = Vec::new();
    let mut planned = Vec::new();
    let mut skus = Vec::new();
    for (i, input) in req.entitlements.iter().enumerate() {
        let field = format!("entitlements[{i}]");
        let offer = find_offer(st, &input.offer, &account, &format!("{field}.offer"))?;
        let sku = sku_of(&offer);
        if skus.contains(&sku) {
            return Err(bad(
                &format!("{field}.offer"),
                format!("SKU `{sku}` is transferred twice in one request"),
            ));
        }
        if let Some((name, _)) = st
            .world
            .google
            .orders
            .of_customer(&req.parent)
            .find(|(_, r)| r.sku() == sku)
        {
            return Err(ApiError::already_exists(format!(
                "SKU `{sku}` was already transferred to customer `{}` (entitlement `{name}`)",
                req.parent
            ))
            .with_reason("ENTITLEMENT_ALREADY_EXISTS"));
        }
        let t = transferable.iter().find(|t| t.sku == sku).ok_or_else(|| {
            ApiError::failed_precondition(format!(
                "Cloud Identity `{}` holds no SKU `{sku}` to transfer; create an entitlement instead",
                ci.id
            ))
            .with_precondition("SKU_NOT_HELD", sku.clone(), "nothing to transfer")
        })?;
        if t.reason != pb::transfer_eligibility::Reason::Unspecified {
            return Err(ApiError::failed_precondition(format!(
                "SKU `{sku}` of Cloud Identity `{}` cannot be transferred: {}",
                ci.id,
                t.reason.as_str_name()
            ))
            .with_precondition(
                t.reason.as_str_name(),
                sku.clone(),
                "not eligible for transfer",
            ));
        }
        if let Source::Entitlement { name } = &t.source
            && let Some(op) = st
                .world
                .google
                .orders
                .entitlements
                .get(name)
                .and_then(|r| r.pending_operation.clone())
        {
            return Err(ApiError::failed_precondition(format!(
                "SKU `{sku}` is being changed by operation `{op}`; retry when it finished"
            )));
        }
        {
            let c = customer(st, &req.parent)?;
            offer_admits(&offer, c, Some(&ci)).map_err(|m| {
                ApiError::failed_precondition(m.clone()).with_precondition(
                    "OFFER_CONSTRAINTS",
                    offer.name.clone(),
                    m,
                )
            })?;
        }
        skus.push(sku);
        sources.push(t.source.clone());
        planned.push((offer, input.clone(), field));
    }
    let mut created = Vec::new();
    for (offer, input, field) in &planned {
        let e = new_entitlement(st, &req.parent, &account, offer, input, field, now)?;
        created.push(e);
    }
    let action = OrderAction::Transfer {
        customer: req.parent.clone(),
        created: created.iter().map(|e| e.name.clone()).collect(),
        sources: sources.clone(),
    };
    let (op, ()) = start_operation_unscheduled(
        st,
        &req.request_id,
        TRANSFER_KIND,
        OperationType::TransferEntitlements,
        &account,
        &action,
        now,
    )?;
    for e in created {
        st.world.google.orders.entitlements.insert(
            e.name.clone(),
            EntitlementRecord {
                entitlement: e,
                pending_operation: Some(op.name.clone()),
                creating: true,
                changes: Vec::new(),
            },
        );
    }
    for s in &sources {
        if let Source::Entitlement { name } = s
            && let Some(r) = st.world.google.orders.entitlements.get_mut(name)
        {
            r.pending_operation = Some(op.name.clone());
        }
    }
    if let Some(ci) = st.world.google.identities.get_mut(&ci_id) {
        ci.authorized_accounts.insert(format!("accounts/{account}"));
    }
    finish_start(&mut ctx.after, st, op, now)
}

pub fn transfer_entitlements_to_google(
    ctx: &mut Ctx<'_>,
    req: Under<pb::TransferEntitlementsToGoogleRequest>,
) -> ApiResult<Operation> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &mut *ctx.st;
    if req.entitlements.is_empty() {
        return Err(bad(
            "entitlements",
            "at least one entitlement is required".into(),
        ));
    }
    let now = ctx.now;
    if let Some(op) = earlier(
        st,
        TRANSFER_TO_GOOGLE_KIND,
        &parent.account,
        &req.request_id,
    )? {
        return Ok(op);
    }
    customer_with_identity(st, &req.parent)?;
    let mut names: Vec<String> = Vec::new();
    for (i, e) in req.entitlements.iter().enumerate() {
        let (owner, _) = parse_entitlement(&e.name, &format!("entitlements[{i}].name"))?;
        if owner != req.parent {
            return Err(bad(
                &format!("entitlements[{i}].name"),
                format!(
                    "`{}` is not an entitlement of `{}`",
                    shown(&e.name),
                    req.parent
                ),
            ));
        }
        current(st, &e.name, &req.parent)?;
        if names.contains(&e.name) {
            return Err(bad(
                &format!("entitlements[{i}].name"),
                format!("`{}` is given twice", e.name),
            ));
        }
        names.push(e.name.clone());
    }
    let action = OrderAction::ToGoogle {
        customer: req.parent.clone(),
        entitlements: names.clone(),
    };
    let (op, ()) = start_operation_unscheduled(
        st,
        &req.request_id,
        TRANSFER_TO_GOOGLE_KIND,
        OperationType::TransferEntitlementsToGoogle,
        &parent.account,
        &action,
        now,
    )?;
    for n in &names {
        if let Some(r) = st.world.google.orders.entitlements.get_mut(n) {
            r.pending_operation = Some(op.name.clone());
        }
    }
    finish_start(&mut ctx.after, st, op, now)
}
