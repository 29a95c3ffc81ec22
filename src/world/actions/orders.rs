//! Channel's entitlement order operations (create, the changes, cancel, transfers in and out): the entitlement an
//! order will produce is computed when the request arrives and kept in its action; finishing writes it to the world,
//! a failure or a cancel leaves every entitlement as it was.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::world::World;
use crate::world::messages::entitlement_not_found;
use crate::world::ops::AnyJson;
use crate::world::orders::{self as world_orders, EntitlementRecord, HeldSku, Source};
use crate::world::stored::{CHANNEL_ENTITLEMENT, CHANNEL_TRANSFER_ENTITLEMENTS};

use pb::entitlement::ProvisioningState;
use pb::entitlement_change::{ChangeReason, ChangeType, OperatorType};

/// What finishing an order operation applies (stored in the operation as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "order", rename_all = "snake_case")]
pub enum OrderAction {
    /// The record exists (`creating`); finishing makes it visible.
    Create { entitlement: String },
    /// Finishing replaces the entitlement by `after` and records `change`.
    Change {
        entitlement: String,
        after: Box<pb::Entitlement>,
        change: Box<pb::EntitlementChange>,
    },
    /// Finishing removes the entitlement.
    Cancel { entitlement: String },
    /// The new records exist (`creating`); finishing makes them visible and takes the SKUs from their holders.
    Transfer {
        customer: String,
        created: Vec<String>,
        sources: Vec<Source>,
    },
    /// Finishing removes the entitlements and gives their SKUs back to the Cloud Identity, held directly.
    ToGoogle {
        customer: String,
        entitlements: Vec<String>,
    },
}

impl OrderAction {
    /// Finishing an order operation `op`: applies what it was started for.
    pub fn apply(&self, w: &mut World, op: &str, now: DateTime<Utc>) -> ApiResult<Option<AnyJson>> {
        match self.clone() {
            Self::Create { entitlement } => {
                let e = finish_created(w, &entitlement, op, None, now)?;
                Ok(Some(entitlement_json(&e)))
            }
            Self::Change {
                entitlement,
                after,
                change,
            } => {
                let r = w
                    .google
                    .orders
                    .entitlements
                    .get_mut(&entitlement)
                    .filter(|r| r.pending_operation.as_deref() == Some(op))
                    .ok_or_else(|| entitlement_not_found(&entitlement))?;
                let mut after = *after;
                after.update_time = Some(now.into());
                let mut change = *change;
                change.create_time = Some(now.into());
                r.entitlement = after;
                r.pending_operation = None;
                r.changes.push(change);
                Ok(Some(entitlement_json(&r.entitlement)))
            }
            Self::Cancel { entitlement } => {
                let pending = w
                    .google
                    .orders
                    .entitlements
                    .get(&entitlement)
                    .is_some_and(|r| r.pending_operation.as_deref() == Some(op));
                if !pending {
                    return Err(entitlement_not_found(&entitlement));
                }
                w.google.orders.entitlements.remove(&entitlement);
                Ok(Some(AnyJson::empty()))
            }
            Self::Transfer {
                customer: _,
                created,
                sources,
            } => {
                for s in &sources {
                    match s {
                        Source::Held {
                            cloud_identity,
                            sku,
                        } => {
                            if let Some(ci) = w.google.identities.get_mut(cloud_identity) {
                                ci.held_skus.retain(|h| &h.sku != sku);
                            }
                        }
                        Source::Entitlement { name } => {
                            w.google.orders.entitlements.remove(name);
                        }
                    }
                }
                let mut out = Vec::new();
                for name in &created {
                    out.push(finish_created(
                        w,
                        name,
                        op,
                        Some(ChangeReason::OtherChangeReason("transferred".into())),
                        now,
                    )?);
                }
                let resp = pb::TransferEntitlementsResponse { entitlements: out };
                Ok(Some(CHANNEL_TRANSFER_ENTITLEMENTS.of(&resp)))
            }
            Self::ToGoogle {
                customer: customer_name,
                entitlements,
            } => {
                let ci = w
                    .google
                    .customers
                    .get(&customer_name)
                    .and_then(|c| c.cloud_identity_id.clone());
                for name in &entitlements {
                    let Some(r) = w.google.orders.entitlements.remove(name) else {
                        continue;
                    };
                    let units = world_orders::int_parameter(&r.entitlement.parameters, "num_units")
                        .or_else(|| {
                            world_orders::int_parameter(&r.entitlement.parameters, "max_units")
                        })
                        .unwrap_or(0);
                    let held = HeldSku {
                        sku: r.sku(),
                        units,
                        suspended: state_of(&r.entitlement) == ProvisioningState::Suspended,
                    };
                    if let Some(ci) = ci.as_ref().and_then(|id| w.google.identities.get_mut(id))
                        && !ci.held_skus.iter().any(|h| h.sku == held.sku)
                    {
                        ci.held_skus.push(held);
                    }
                }
                Ok(Some(AnyJson::empty()))
            }
        }
    }

    /// A failed or cancelled order operation `op` leaves everything as it was: reserved records go, pending marks
    /// clear.
    pub fn undo(&self, w: &mut World, op: &str) {
        let mine = |r: &EntitlementRecord| r.pending_operation.as_deref() == Some(op);
        let clear = |w: &mut World, name: &str| {
            if let Some(r) = w.google.orders.entitlements.get_mut(name)
                && mine(r)
            {
                r.pending_operation = None;
            }
        };
        match self.clone() {
            Self::Create { entitlement } => {
                if w.google
                    .orders
                    .entitlements
                    .get(&entitlement)
                    .is_some_and(|r| r.creating && mine(r))
                {
                    w.google.orders.entitlements.remove(&entitlement);
                }
            }
            Self::Change { entitlement, .. } | Self::Cancel { entitlement } => {
                clear(w, &entitlement);
            }
            Self::Transfer {
                created, sources, ..
            } => {
                for name in &created {
                    if w.google
                        .orders
                        .entitlements
                        .get(name)
                        .is_some_and(|r| r.creating && mine(r))
                    {
                        w.google.orders.entitlements.remove(name);
                    }
                }
                for s in &sources {
                    if let Source::Entitlement { name } = s {
                        clear(w, name);
                    }
                }
            }
            Self::ToGoogle { entitlements, .. } => {
                for name in &entitlements {
                    clear(w, name);
                }
            }
        }
    }
}

fn entitlement_json(e: &pb::Entitlement) -> AnyJson {
    CHANNEL_ENTITLEMENT.of(e)
}

/// Makes a record created by `op` visible, stamped `now`, with its CREATED entry.
fn finish_created(
    w: &mut World,
    name: &str,
    op: &str,
    reason: Option<ChangeReason>,
    now: DateTime<Utc>,
) -> ApiResult<pb::Entitlement> {
    let r = w
        .google
        .orders
        .entitlements
        .get_mut(name)
        .filter(|r| r.creating && r.pending_operation.as_deref() == Some(op))
        .ok_or_else(|| entitlement_not_found(name))?;
    r.creating = false;
    r.pending_operation = None;
    r.entitlement.create_time = Some(now.into());
    r.entitlement.update_time = Some(now.into());
    if let Some(c) = r.entitlement.commitment_settings.as_mut() {
        let len = c
            .end_time
            .and_then(|t| t.to_datetime())
            .zip(c.start_time.and_then(|t| t.to_datetime()))
            .map(|(end, start)| end - start);
        c.start_time = Some(now.into());
        if let Some(len) = len {
            c.end_time = Some((now + len).into());
        }
    }
    let entry = change_entry(&r.entitlement, ChangeType::Created, reason, now);
    r.changes.push(entry);
    Ok(r.entitlement.clone())
}

/// An entitlement's history entry for a change of `change_type`, made by the reseller at `now`.
pub fn change_entry(
    e: &pb::Entitlement,
    change_type: ChangeType,
    reason: Option<ChangeReason>,
    now: DateTime<Utc>,
) -> pb::EntitlementChange {
    pb::EntitlementChange {
        change_reason: reason,
        entitlement: e.name.clone(),
        offer: e.offer.clone(),
        provisioned_service: e.provisioned_service.clone(),
        change_type: change_type as i32,
        create_time: Some(now.into()),
        operator_type: OperatorType::Reseller as i32,
        parameters: e.parameters.clone(),
        // guess: the API names the reseller user's email here; provmock knows no user, so it stays empty.
        operator: String::new(),
    }
}

/// An entitlement's provisioning state (UNSPECIFIED for a number the proto does not know).
pub fn state_of(e: &pb::Entitlement) -> ProvisioningState {
    ProvisioningState::try_from(e.provisioning_state).unwrap_or(ProvisioningState::Unspecified)
}
