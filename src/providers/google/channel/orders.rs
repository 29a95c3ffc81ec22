//! Cloud Channel entitlements, once for REST and gRPC: create, read, list, the changes (seats, renewal, offer,
//! paid service, suspend, activate, cancel), transfers in from other holders and out to Google, and the history.
//!
//! Every change is a long-running operation. The request is checked in full when it arrives (so errors come back
//! at once, as Google's do); the entitlement it will produce is computed then and kept in the operation's action,
//! and the operation engine writes it to the world when the operation finishes (by its completion policy, or when a
//! test completes it). While an operation runs, the entitlement carries its name and other changes are
//! FAILED_PRECONDITION; a failed or cancelled operation leaves the entitlement as it was.

use chrono::{DateTime, Months, Utc};

use super::catalog::{
    self, check_billing_account, check_transfer_token, customer, direct_customer, offer_admits,
};
use super::service::authorize;
use crate::app::App;
use crate::error::{ApiError, ApiResult, shown};
use crate::family::Family;
use crate::paging;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::request::Caller;
use crate::world::actions::Action;
use crate::world::actions::orders::{OrderAction, change_entry, state_of};
use crate::world::messages::entitlement_not_found;
use crate::world::ops::Operation;
use crate::world::orders::{self as world_orders, EntitlementRecord, Source};
use crate::world::state::State;
use crate::world::stored;

use pb::entitlement::{ProvisioningState, SuspensionReason};
use pb::entitlement_change::{ActivationReason, ChangeReason, ChangeType};
use pb::operation_metadata::OperationType;

pub const CREATE_KIND: &str = "channel.createEntitlement";
pub const CHANGE_PARAMETERS_KIND: &str = "channel.changeParameters";
pub const CHANGE_RENEWAL_KIND: &str = "channel.changeRenewalSettings";
pub const CHANGE_OFFER_KIND: &str = "channel.changeOffer";
pub const START_PAID_KIND: &str = "channel.startPaidService";
pub const SUSPEND_KIND: &str = "channel.suspendEntitlement";
pub const ACTIVATE_KIND: &str = "channel.activateEntitlement";
pub const CANCEL_KIND: &str = "channel.cancelEntitlement";
pub const TRANSFER_KIND: &str = "channel.transferEntitlements";
pub const TRANSFER_TO_GOOGLE_KIND: &str = "channel.transferEntitlementsToGoogle";

/// The longest `purchaseOrderId` the API takes ("up to 80 plain text characters").
const MAX_PURCHASE_ORDER_ID: usize = 80;

/// Parses an entitlement name, returning its customer's name and account.
fn parse_entitlement(name: &str, field: &str) -> ApiResult<(String, String)> {
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
fn find_offer(st: &State, offer: &str, account: &str, field: &str) -> ApiResult<pb::Offer> {
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

fn plan(o: &pb::Offer) -> pb::Plan {
    o.plan.clone().unwrap_or_default()
}

fn payment_plan(o: &pb::Offer) -> pb::PaymentPlan {
    pb::PaymentPlan::try_from(plan(o).payment_plan).unwrap_or(pb::PaymentPlan::Unspecified)
}

fn sku_of(o: &pb::Offer) -> String {
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

fn bad(field: &str, problem: String) -> ApiError {
    ApiError::invalid_field(field, problem)
}

/// Parameters as stored: the given values, marked editable (guess: every parameter an offer defines may change).
fn stored_parameters(params: &[pb::Parameter]) -> Vec<pb::Parameter> {
    params
        .iter()
        .map(|p| pb::Parameter {
            name: p.name.clone(),
            value: p.value.clone(),
            editable: true,
        })
        .collect()
}

fn check_purchase_order_id(v: &str, field: &str) -> ApiResult<()> {
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

fn check_renewal(r: &pb::RenewalSettings, field: &str) -> ApiResult<()> {
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
fn apply_plan(
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
fn new_entitlement(
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

fn stored_operation(st: &State, name: &str) -> ApiResult<Operation> {
    st.ops
        .ops
        .get(name)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("operation `{name}` vanished")))
}

// ---------- reads ----------

pub fn get_entitlement(
    app: &App,
    caller: &Caller,
    req: pb::GetEntitlementRequest,
) -> ApiResult<pb::Entitlement> {
    let (customer_name, account) = parse_entitlement(&req.name, "name")?;
    let st = app.lock();
    authorize(app, &st, caller, &account)?;
    customer(&st, &customer_name)?;
    visible_entitlement(&st, &req.name, &customer_name).map(|r| r.entitlement.clone())
}

pub fn list_entitlements(
    app: &App,
    caller: &Caller,
    req: pb::ListEntitlementsRequest,
) -> ApiResult<pb::ListEntitlementsResponse> {
    let parent = direct_customer(&req.parent, "parent")?;
    let st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let size = paging::page_size(i64::from(req.page_size), 50, 100, "pageSize")?;
    let fp = paging::fingerprint(&["entitlements", &req.parent]);
    let prefix = format!("{}/entitlements/", req.parent);
    let start = if req.page_token.is_empty() {
        prefix.clone()
    } else {
        paging::decode(&req.page_token, &fp, "pageToken")?
    };
    customer(&st, &req.parent)?;
    let items = paging::after(&st.world.google.orders.entitlements, start)
        .take_while(|(k, _)| k.starts_with(&prefix));
    let (entitlements, next_page_token) = paging::take_page(
        items,
        size,
        &fp,
        |_, r| !r.creating,
        |r| r.entitlement.clone(),
    );
    Ok(pb::ListEntitlementsResponse {
        entitlements,
        next_page_token,
    })
}

/// One term of an entitlement-changes filter.
enum ChangeTerm {
    Type(i32),
    Time(std::cmp::Ordering, bool, DateTime<Utc>),
}

/// guess: the reference documents no filter grammar for entitlement changes; provmock takes terms joined by AND:
/// `change_type = SUSPENDED` (also `changeType`, quoted or not) and `create_time >= "2026-01-01T00:00:00Z"`
/// (`>`, `>=`, `<`, `<=`, `=`).
fn parse_change_filter(filter: &str) -> ApiResult<Vec<ChangeTerm>> {
    let mut out = Vec::new();
    if filter.trim().is_empty() {
        return Ok(out);
    }
    let invalid = |m: String| ApiError::invalid_field("filter", m);
    for raw in filter.split(" AND ") {
        let raw = raw.trim();
        let ops = [">=", "<=", "=", ">", "<"];
        let Some((pos, op)) = ops
            .iter()
            .filter_map(|op| raw.find(op).map(|p| (p, *op)))
            .min_by_key(|(p, op)| (*p, std::cmp::Reverse(op.len())))
        else {
            return Err(invalid(format!(
                "`{}` is not `key op value` (change_type or create_time)",
                shown(raw)
            )));
        };
        let key = raw[..pos].trim();
        let value = raw[pos + op.len()..].trim().trim_matches('"');
        match key {
            "change_type" | "changeType" => {
                if op != "=" {
                    return Err(invalid(format!("change_type takes `=`, not `{op}`")));
                }
                let t = ChangeType::from_str_name(value).ok_or_else(|| {
                    invalid(format!(
                        "`{}` is not an EntitlementChange.ChangeType",
                        shown(value)
                    ))
                })?;
                out.push(ChangeTerm::Type(t as i32));
            }
            "create_time" | "createTime" => {
                let t = DateTime::parse_from_rfc3339(value)
                    .map_err(|_| invalid(format!("`{}` is not an RFC 3339 time", shown(value))))?
                    .with_timezone(&Utc);
                let (ord, or_equal) = match op {
                    ">" => (std::cmp::Ordering::Greater, false),
                    ">=" => (std::cmp::Ordering::Greater, true),
                    "<" => (std::cmp::Ordering::Less, false),
                    "<=" => (std::cmp::Ordering::Less, true),
                    _ => (std::cmp::Ordering::Equal, true),
                };
                out.push(ChangeTerm::Time(ord, or_equal, t));
            }
            other => {
                return Err(invalid(format!(
                    "unknown key `{}`; entitlement changes filter by change_type or create_time",
                    shown(other)
                )));
            }
        }
    }
    Ok(out)
}

pub fn list_entitlement_changes(
    app: &App,
    caller: &Caller,
    req: pb::ListEntitlementChangesRequest,
) -> ApiResult<pb::ListEntitlementChangesResponse> {
    let (customer_name, account) = parse_entitlement(&req.parent, "parent")?;
    let st = app.lock();
    authorize(app, &st, caller, &account)?;
    let size = paging::page_size(i64::from(req.page_size), 10, 50, "pageSize")?;
    let terms = parse_change_filter(&req.filter)?;
    let fp = paging::fingerprint(&["entitlementChanges", &req.parent, &req.filter]);
    customer(&st, &customer_name)?;
    let r = visible_entitlement(&st, &req.parent, &customer_name)?;
    let keep = |c: &pb::EntitlementChange| {
        terms.iter().all(|t| match t {
            ChangeTerm::Type(n) => c.change_type == *n,
            ChangeTerm::Time(ord, or_equal, at) => {
                let Some(ct) = c.create_time.and_then(|t| t.to_datetime()) else {
                    return false;
                };
                let o = ct.cmp(at);
                o == *ord || (*or_equal && o == std::cmp::Ordering::Equal)
            }
        })
    };
    let map: std::collections::BTreeMap<String, &pb::EntitlementChange> = r
        .changes
        .iter()
        .enumerate()
        .filter(|(_, c)| keep(c))
        .map(|(i, c)| (format!("{i:010}"), c))
        .collect();
    let (entitlement_changes, next_page_token) =
        catalog::page_of(&map, &req.page_token, &fp, size, |c| (*c).clone())?;
    Ok(pb::ListEntitlementChangesResponse {
        entitlement_changes,
        next_page_token,
    })
}

// ---------- create ----------

/// The customer of an order with its Cloud Identity id, or FAILED_PRECONDITION when it has none yet.
fn customer_with_identity(st: &State, name: &str) -> ApiResult<String> {
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
        let account = super::service::account_of(customer_name);
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
    app: &App,
    caller: &Caller,
    req: pb::CreateEntitlementRequest,
) -> ApiResult<Operation> {
    let parent = direct_customer(&req.parent, "parent")?;
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let input = req
        .entitlement
        .ok_or_else(|| bad("entitlement", "is required".to_string()))?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, CREATE_KIND, &parent.account, &req.request_id)? {
        return Ok(op);
    }
    customer_with_identity(&st, &req.parent)?;
    let offer = find_offer(&st, &input.offer, &parent.account, "entitlement.offer")?;
    check_can_buy(&st, &req.parent, &offer, "entitlement.offer")?;
    let e = new_entitlement(
        &mut st,
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
        &mut st,
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
    finish_start(app, &mut st, op)
}

/// A `requestId` must be a UUID other than the nil one. When this reseller already sent one with the same method,
/// that request's operation answers again and nothing else happens (the reference: "it will ignore the second
/// request"). guess: the id is scoped to the reseller account and the method, and kept as long as the operation is.
fn earlier(
    st: &State,
    kind: &str,
    account: &str,
    request_id: &str,
) -> ApiResult<Option<Operation>> {
    if request_id.is_empty() {
        return Ok(None);
    }
    match uuid::Uuid::parse_str(request_id) {
        Ok(u) if !u.is_nil() => {}
        _ => {
            return Err(bad(
                "requestId",
                format!(
                    "`{}` is not a UUID other than 00000000-0000-0000-0000-000000000000",
                    shown(request_id)
                ),
            ));
        }
    }
    Ok(st
        .ops
        .ops
        .values()
        .find(|op| {
            op.family == Family::Channel
                && op.kind == kind
                && op.owner == account
                && op.description == request_description(request_id)
        })
        .cloned())
}

fn request_description(request_id: &str) -> String {
    format!("requestId {request_id}")
}

/// Builds an order operation (not stored yet).
fn start_operation_unscheduled(
    st: &mut State,
    request_id: &str,
    kind: &str,
    op_type: OperationType,
    owner: &str,
    action: &OrderAction,
    now: DateTime<Utc>,
) -> ApiResult<(Operation, ())> {
    let name = format!("operations/order-{}", st.ids.hex(24));
    let mut op = Operation::new(name, Family::Channel, kind, now);
    op.metadata = Some(
        stored::CHANNEL_OPERATION_METADATA.of(&pb::OperationMetadata {
            operation_type: op_type as i32,
        }),
    );
    op.owner = owner.to_string();
    op.action = Some(Action::Order(action.clone()));
    // Kept in the description, which outlives the action (the engine drops that when the operation finishes).
    if !request_id.is_empty() {
        op.description = request_description(request_id);
    }
    Ok((op, ()))
}

/// Schedules a built operation (finishing it at once under `immediate`) and returns it as stored.
fn finish_start(app: &App, st: &mut State, op: Operation) -> ApiResult<Operation> {
    let name = op.name.clone();
    app.schedule(st, op);
    stored_operation(st, &name)
}

// ---------- changes ----------

/// The entitlement a change names, checked: the caller's, visible, and not already being changed.
fn changeable(app: &App, st: &State, caller: &Caller, name: &str) -> ApiResult<(String, String)> {
    let (customer_name, account) = parse_entitlement(name, "name")?;
    authorize(app, st, caller, &account)?;
    Ok((customer_name, account))
}

fn current(st: &State, name: &str, customer_name: &str) -> ApiResult<EntitlementRecord> {
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

fn require_active(e: &pb::Entitlement) -> ApiResult<()> {
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
fn start_change(
    app: &App,
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
    finish_start(app, st, op)
}

pub fn change_parameters(
    app: &App,
    caller: &Caller,
    req: pb::ChangeParametersRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let (customer_name, account) = changeable(app, &st, caller, &req.name)?;
    if req.parameters.is_empty() {
        return Err(bad(
            "parameters",
            "at least one parameter is required".into(),
        ));
    }
    check_purchase_order_id(&req.purchase_order_id, "purchaseOrderId")?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, CHANGE_PARAMETERS_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(&st, &req.name, &customer_name)?;
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
        app,
        &mut st,
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
    app: &App,
    caller: &Caller,
    req: pb::ChangeRenewalSettingsRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let (customer_name, account) = changeable(app, &st, caller, &req.name)?;
    let renewal = req
        .renewal_settings
        .ok_or_else(|| bad("renewalSettings", "is required".into()))?;
    check_renewal(&renewal, "renewalSettings")?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, CHANGE_RENEWAL_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(&st, &req.name, &customer_name)?;
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
        app,
        &mut st,
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
    app: &App,
    caller: &Caller,
    req: pb::ChangeOfferRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let (customer_name, account) = changeable(app, &st, caller, &req.name)?;
    check_purchase_order_id(&req.purchase_order_id, "purchaseOrderId")?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, CHANGE_OFFER_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(&st, &req.name, &customer_name)?;
    require_active(&r.entitlement)?;
    let offer = find_offer(&st, &req.offer, &account, "offer")?;
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
        let c = customer(&st, &customer_name)?;
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
        app,
        &mut st,
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
    app: &App,
    caller: &Caller,
    req: pb::StartPaidServiceRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let (customer_name, account) = changeable(app, &st, caller, &req.name)?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, START_PAID_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(&st, &req.name, &customer_name)?;
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
        app,
        &mut st,
        &req.request_id,
        START_PAID_KIND,
        OperationType::StartPaidService,
        &account,
        after,
        change,
        now,
    )
}

pub fn suspend_entitlement(
    app: &App,
    caller: &Caller,
    req: pb::SuspendEntitlementRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let (customer_name, account) = changeable(app, &st, caller, &req.name)?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, SUSPEND_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(&st, &req.name, &customer_name)?;
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
        app,
        &mut st,
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
    app: &App,
    caller: &Caller,
    req: pb::ActivateEntitlementRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let (customer_name, account) = changeable(app, &st, caller, &req.name)?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, ACTIVATE_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let r = current(&st, &req.name, &customer_name)?;
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
        app,
        &mut st,
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
    app: &App,
    caller: &Caller,
    req: pb::CancelEntitlementRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let (customer_name, account) = changeable(app, &st, caller, &req.name)?;
    let now = app.clock.now();
    if let Some(op) = earlier(&st, CANCEL_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    current(&st, &req.name, &customer_name)?;
    // guess: the reference allows cancelling Workspace add-ons and Google Cloud entitlements only
    // (DELETION_TYPE_NOT_ALLOWED otherwise); provmock lets any entitlement be cancelled, so an order flow can end.
    let action = OrderAction::Cancel {
        entitlement: req.name.clone(),
    };
    let (op, ()) = start_operation_unscheduled(
        &mut st,
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
    finish_start(app, &mut st, op)
}

// ---------- transfers ----------

pub fn transfer_entitlements(
    app: &App,
    caller: &Caller,
    req: pb::TransferEntitlementsRequest,
) -> ApiResult<Operation> {
    let parent = direct_customer(&req.parent, "parent")?;
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    if req.entitlements.is_empty() {
        return Err(bad(
            "entitlements",
            "at least one entitlement is required".into(),
        ));
    }
    let account = parent.account.clone();
    let now = app.clock.now();
    if let Some(op) = earlier(&st, TRANSFER_KIND, &account, &req.request_id)? {
        return Ok(op);
    }
    let ci_id = customer_with_identity(&st, &req.parent)?;
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
        let offer = find_offer(&st, &input.offer, &account, &format!("{field}.offer"))?;
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
            let c = customer(&st, &req.parent)?;
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
        let e = new_entitlement(&mut st, &req.parent, &account, offer, input, field, now)?;
        created.push(e);
    }
    let action = OrderAction::Transfer {
        customer: req.parent.clone(),
        created: created.iter().map(|e| e.name.clone()).collect(),
        sources: sources.clone(),
    };
    let (op, ()) = start_operation_unscheduled(
        &mut st,
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
    finish_start(app, &mut st, op)
}

pub fn transfer_entitlements_to_google(
    app: &App,
    caller: &Caller,
    req: pb::TransferEntitlementsToGoogleRequest,
) -> ApiResult<Operation> {
    let parent = direct_customer(&req.parent, "parent")?;
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    if req.entitlements.is_empty() {
        return Err(bad(
            "entitlements",
            "at least one entitlement is required".into(),
        ));
    }
    let now = app.clock.now();
    if let Some(op) = earlier(
        &st,
        TRANSFER_TO_GOOGLE_KIND,
        &parent.account,
        &req.request_id,
    )? {
        return Ok(op);
    }
    customer_with_identity(&st, &req.parent)?;
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
        current(&st, &e.name, &req.parent)?;
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
        &mut st,
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
    finish_start(app, &mut st, op)
}

// ---------- the operation engine's side ----------
