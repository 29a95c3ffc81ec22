//! Cloud Channel entitlements, once for REST and gRPC: create, read, list, the changes (seats, renewal, offer,
//! paid service, suspend, activate, cancel), transfers in from other holders and out to Google, and the history.
//!
//! Every change is a long-running operation. The request is checked in full when it arrives (so errors come back
//! at once, as Google's do); the entitlement it will produce is computed then and kept in the operation's action,
//! and the operation engine writes it to the world when the operation finishes (by its completion policy, or when a
//! test completes it). While an operation runs, the entitlement carries its name and other changes are
//! FAILED_PRECONDITION; a failed or cancelled operation leaves the entitlement as it was.
//!
//! The files, by method group:
//! - `reads.rs`: get, list, listEntitlementChanges;
//! - `create.rs`: createEntitlement;
//! - `changes.rs`: changeParameters, changeRenewalSettings, changeOffer, startPaidService, and what every change
//!   checks first;
//! - `lifecycle.rs`: suspend, activate, cancel;
//! - `transfers.rs`: transferEntitlements, transferEntitlementsToGoogle;
//! - `entitlement.rs`: a new entitlement from a request, plan settings (commitment, trial), parameters;
//! - `lookup.rs`: the entitlement or offer a request names;
//! - `operations.rs`: the operation kinds, `requestId` replay, starting an order's operation.

mod changes;
mod create;
mod entitlement;
mod lifecycle;
mod lookup;
mod operations;
mod reads;
mod transfers;

pub use changes::{change_offer, change_parameters, change_renewal_settings, start_paid_service};
pub use create::create_entitlement;
pub use lifecycle::{activate_entitlement, cancel_entitlement, suspend_entitlement};
pub(crate) use lookup::visible_entitlement;
pub use reads::{get_entitlement, list_entitlement_changes, list_entitlements};
pub use transfers::{transfer_entitlements, transfer_entitlements_to_google};
