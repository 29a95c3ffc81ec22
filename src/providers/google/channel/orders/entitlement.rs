//! What an entitlement on an offer holds: a new one built from a request (create and transfer), the plan's
//! commitment or trial settings, parameters as stored, and the checks on purchase order ids and renewal settings.

use chrono::{DateTime, Months, Utc};

use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::google::channel::catalog::check_billing_account;
use crate::world::orders as world_orders;
use crate::world::state::State;

use pb::entitlement::ProvisioningState;

/// The longest `purchaseOrderId` the API takes ("up to 80 plain text characters").
const MAX_PURCHASE_ORDER_ID: usize = 80;

fn plan(o: &pb::Offer) -> pb::Plan {
    o.plan.clone().unwrap_or_default()
}

pub(super) fn payment_plan(o: &pb::Offer) -> pb::PaymentPlan {
    pb::PaymentPlan::try_from(plan(o).payment_plan).unwrap_or(pb::PaymentPlan::Unspecified)
}

pub(super) fn sku_of(o: &pb::Offer) -> String {
    o.sku.as_ref().map(|s| s.name.clone()).unwrap_or_default()
}

/// `t` plus a period (days, months or years); `None` keeps `t`.
fn add_period(t: DateTime<Utc>, p: Option<&pb::Period>) -> DateTime<Utc> {
    use pb::PeriodType;
    let Some(p) = p else { return t };
    let n = p.duration.max(0) as u32;
    match PeriodType::try_from(p.period_type).unwrap_or(PeriodType::Unspecified) {
        PeriodType::Day => t + chrono::Duration::days(i64::from(n)),
        PeriodType::Month => t.checked_add_months(Months::new(n)).unwrap_or(t),
        PeriodType::Year => t
            .checked_add_months(Months::new(n.saturating_mul(12)))
            .unwrap_or(t),
        PeriodType::Unspecified => t,
    }
}

pub(super) fn bad(field: &str, problem: String) -> ApiError {
    ApiError::invalid_field(field, problem)
}

/// Parameters as stored: the given values, marked editable (guess: every parameter an offer defines may change).
pub(super) fn stored_parameters(params: &[pb::Parameter]) -> Vec<pb::Parameter> {
    params
        .iter()
        .map(|p| pb::Parameter {
            name: p.name.clone(),
            value: p.value.clone(),
            editable: true,
        })
        .collect()
}

pub(super) fn check_purchase_order_id(v: &str, field: &str) -> ApiResult<()> {
    if v.chars().count() > MAX_PURCHASE_ORDER_ID {
        return Err(bad(
            field,
            format!(
                "is {} characters long; at most {MAX_PURCHASE_ORDER_ID} are accepted",
                v.chars().count()
            ),
        ));
    }
    Ok(())
}

/// The renewal settings a commitment starts with: the request's, else renewing on the offer's own cycle.
/// guess: the reference calls commitmentSettings required for commitment offers, but Google's samples set it every
/// time; a missing one renews automatically on the offer's payment cycle.
fn renewal_for(offer: &pb::Offer, given: Option<&pb::RenewalSettings>) -> pb::RenewalSettings {
    given.cloned().unwrap_or(pb::RenewalSettings {
        enable_renewal: true,
        resize_unit_count: false,
        payment_plan: pb::PaymentPlan::Commitment as i32,
        payment_cycle: plan(offer).payment_cycle,
    })
}

pub(super) fn check_renewal(r: &pb::RenewalSettings, field: &str) -> ApiResult<()> {
    if pb::PaymentPlan::try_from(r.payment_plan).is_err() {
        return Err(bad(
            &format!("{field}.paymentPlan"),
            format!("{} is not a PaymentPlan", r.payment_plan),
        ));
    }
    if let Some(c) = &r.payment_cycle {
        if pb::PeriodType::try_from(c.period_type).is_err() {
            return Err(bad(
                &format!("{field}.paymentCycle.periodType"),
                format!("{} is not a PeriodType", c.period_type),
            ));
        }
        if c.duration < 0 {
            return Err(bad(
                &format!("{field}.paymentCycle.duration"),
                format!("must not be negative, got {}", c.duration),
            ));
        }
    }
    Ok(())
}

/// The plan-dependent settings of an entitlement on `offer` from `now`: the commitment (start, end, renewal) for
/// commitment plans, the trial for trial plans.
pub(super) fn apply_plan(
    e: &mut pb::Entitlement,
    offer: &pb::Offer,
    renewal: Option<&pb::RenewalSettings>,
    now: DateTime<Utc>,
    field: &str,
) -> ApiResult<()> {
    let p = plan(offer);
    match payment_plan(offer) {
        pb::PaymentPlan::Commitment => {
            let r = renewal_for(offer, renewal);
            check_renewal(&r, &format!("{field}.commitmentSettings.renewalSettings"))?;
            e.commitment_settings = Some(pb::CommitmentSettings {
                start_time: Some(now.into()),
                end_time: Some(add_period(now, p.payment_cycle.as_ref()).into()),
                renewal_settings: Some(r),
            });
            e.trial_settings = None;
        }
        pb::PaymentPlan::Trial => {
            if renewal.is_some() {
                return Err(bad(
                    &format!("{field}.commitmentSettings"),
                    format!(
                        "offer `{}` is a trial; commitment settings apply to commitment plans only",
                        offer.name
                    ),
                ));
            }
            // guess: a trial without a period in its plan lasts 14 days, as Workspace trials do.
            let period = p.trial_period.unwrap_or(pb::Period {
                duration: 14,
                period_type: pb::PeriodType::Day as i32,
            });
            e.commitment_settings = None;
            e.trial_settings = Some(pb::TrialSettings {
                trial: true,
                end_time: Some(add_period(now, Some(&period)).into()),
            });
        }
        _ => {
            if renewal.is_some() {
                return Err(bad(
                    &format!("{field}.commitmentSettings"),
                    format!(
                        "offer `{}` is not a commitment plan; commitment settings apply to commitment plans only",
                        offer.name
                    ),
                ));
            }
            e.commitment_settings = None;
            e.trial_settings = None;
        }
    }
    Ok(())
}

/// A new entitlement on `offer` for `customer` from a request's entitlement (create or transfer).
pub(super) fn new_entitlement(
    st: &mut State,
    customer_name: &str,
    account: &str,
    offer: &pb::Offer,
    input: &pb::Entitlement,
    field: &str,
    now: DateTime<Utc>,
) -> ApiResult<pb::Entitlement> {
    world_orders::check_parameters(
        offer,
        &input.parameters,
        &format!("{field}.parameters"),
        true,
    )
    .map_err(|(f, p)| bad(&f, p))?;
    check_purchase_order_id(
        &input.purchase_order_id,
        &format!("{field}.purchaseOrderId"),
    )?;
    check_billing_account(
        &st.world.google.orders.catalog,
        account,
        &input.billing_account,
        &format!("{field}.billingAccount"),
    )?;
    let sku = offer.sku.clone().unwrap_or_default();
    let product_id = world_orders::product_of_sku(&sku.name)
        .trim_start_matches("products/")
        .to_string();
    let sku_id = sku
        .name
        .rsplit_once("/skus/")
        .map(|(_, s)| s.to_string())
        .unwrap_or_default();
    let name = loop {
        let candidate = format!("{customer_name}/entitlements/{}", st.ids.mixed_alnum(16));
        if !st.world.google.orders.entitlements.contains_key(&candidate) {
            break candidate;
        }
    };
    let mut e = pb::Entitlement {
        name,
        create_time: Some(now.into()),
        update_time: Some(now.into()),
        offer: offer.name.clone(),
        commitment_settings: None,
        provisioning_state: ProvisioningState::Active as i32,
        provisioned_service: Some(pb::ProvisionedService {
            provisioning_id: st.ids.hex(16),
            product_id,
            sku_id,
        }),
        suspension_reasons: Vec::new(),
        purchase_order_id: input.purchase_order_id.clone(),
        trial_settings: None,
        association_info: input.association_info.clone(),
        parameters: stored_parameters(&input.parameters),
        billing_account: input.billing_account.clone(),
        price_reference_id: input.price_reference_id.clone(),
    };
    let renewal = input
        .commitment_settings
        .as_ref()
        .and_then(|c| c.renewal_settings.as_ref());
    apply_plan(&mut e, offer, renewal, now, field)?;
    Ok(e)
}
