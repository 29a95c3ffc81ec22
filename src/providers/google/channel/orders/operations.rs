//! The long-running operation every order method starts: the operation kinds, the `requestId` that answers again
//! with an earlier request's operation, and building and scheduling one.

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ApiResult, shown};
use crate::family::Family;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::ctx::After;
use crate::world::actions::Action;
use crate::world::actions::orders::OrderAction;
use crate::world::ops::Operation;
use crate::world::state::State;
use crate::world::stored;

use pb::operation_metadata::OperationType;

use super::entitlement::bad;

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

fn stored_operation(st: &State, name: &str) -> ApiResult<Operation> {
    st.ops
        .ops
        .get(name)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("operation `{name}` vanished")))
}

/// A `requestId` must be a UUID other than the nil one. When this reseller already sent one with the same method,
/// that request's operation answers again and nothing else happens (the reference: "it will ignore the second
/// request"). guess: the id is scoped to the reseller account and the method, and kept as long as the operation is.
pub(super) fn earlier(
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
pub(super) fn start_operation_unscheduled(
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
pub(super) fn finish_start(
    after: &mut After,
    st: &mut State,
    op: Operation,
    now: DateTime<Utc>,
) -> ApiResult<Operation> {
    let name = op.name.clone();
    after.schedule(st, op, now);
    stored_operation(st, &name)
}
