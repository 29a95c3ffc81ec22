//! What finishing an operation does to the world. An operation that changes the world when it finishes carries an
//! [`Action`], computed when its request arrives (so every error comes back at once): [`Action::apply`] runs when it
//! succeeds and gives its response, [`Action::undo`] when it fails or is cancelled and leaves the world as it was.
//! An operation without one (a Yandex update, say) changed the world at once and only keeps its response.
//!
//! The operation's `kind` (`channel.provisionCloudIdentity`, …) stays a name for completion policies and faults;
//! what finishing does is decided by the action's variant alone.
//!
//! Actions are persisted (the data dir, the `/_mock/state` export) in the JSON form they had when they were loose
//! JSON: the enum is untagged and each variant's fields are that form, which no two variants share (an order has its
//! `order` tag, SCP an `account_id`, Yandex a `user_id` or `userpool_id`, a provision its `customer` and `admin`).

pub mod channel;
pub mod orders;
pub mod scp;
pub mod yandex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::world::World;
use crate::world::ids::Ids;
use crate::world::ops::AnyJson;
use crate::world::scp::AccountState;

/// What an operation applies when it finishes. Variants are tried in this order when read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Action {
    /// A Channel entitlement order.
    Order(orders::OrderAction),
    /// SCP `CreateAccount`'s job: the account leaves PENDING.
    ScpCreateAccount { account_id: String },
    /// Yandex `CreateUser`: the user leaves CREATING.
    YandexCreateUser { user_id: String },
    /// Yandex `CreateUserpool`: the userpool leaves CREATING.
    YandexCreateUserpool { userpool_id: String },
    /// Channel `provisionCloudIdentity`: the Cloud Identity is created and linked.
    Provision(channel::ProvisionAction),
}

impl Action {
    /// Applies the action of operation `op`, which succeeded; gives its response (None: keep the one it has).
    pub fn apply(
        &self,
        w: &mut World,
        ids: &mut Ids,
        op: &str,
        now: DateTime<Utc>,
    ) -> ApiResult<Option<AnyJson>> {
        match self {
            Action::Order(order) => order.apply(w, op, now),
            Action::ScpCreateAccount { account_id } => {
                scp::set_state(w, account_id, AccountState::Active, now);
                Ok(None)
            }
            Action::YandexCreateUser { user_id } => yandex::finish_user(w, user_id, now),
            Action::YandexCreateUserpool { userpool_id } => {
                yandex::finish_pool(w, userpool_id, now)
            }
            Action::Provision(p) => p.apply(w, ids, now),
        }
    }

    /// Undoes what starting operation `op` reserved, because it failed or was cancelled.
    pub fn undo(&self, w: &mut World, op: &str, now: DateTime<Utc>) {
        match self {
            Action::Order(order) => order.undo(w, op),
            Action::ScpCreateAccount { account_id } => {
                scp::set_state(w, account_id, AccountState::CreateFailed, now)
            }
            Action::YandexCreateUser { user_id } => {
                w.yandex.remove_user(user_id);
            }
            Action::YandexCreateUserpool { userpool_id } => {
                w.yandex.remove_pool(userpool_id);
            }
            Action::Provision(p) => p.undo(w, op),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The forms the data dir and the state export have always held read back as their variant, and write back
    /// byte for byte.
    #[test]
    fn stored_forms_round_trip_as_their_variant() {
        for (text, variant) in [
            (r#"{"account_id":"w9t4"}"#, "scp"),
            (r#"{"user_id":"aje1"}"#, "user"),
            (r#"{"userpool_id":"ek01"}"#, "pool"),
            (
                r#"{"order":"cancel","entitlement":"accounts/A/customers/C/entitlements/E"}"#,
                "order",
            ),
            (
                r#"{"order":"to_google","customer":"accounts/A/customers/C","entitlements":[]}"#,
                "order",
            ),
        ] {
            let a: Action = serde_json::from_str(text).expect("a stored action");
            let got = match a {
                Action::ScpCreateAccount { .. } => "scp",
                Action::YandexCreateUser { .. } => "user",
                Action::YandexCreateUserpool { .. } => "pool",
                Action::Order(_) => "order",
                Action::Provision(_) => "provision",
            };
            assert_eq!(got, variant, "{text}");
            assert_eq!(serde_json::to_string(&a).expect("serialises"), text);
        }
    }

    #[test]
    fn a_provision_reads_back_as_a_provision() {
        let a = Action::Provision(channel::ProvisionAction {
            customer: "accounts/A/customers/C".into(),
            customer_type: crate::world::google::CustomerType::Domain,
            admin: crate::world::google::AdminUser {
                email: "admin@example.com".into(),
                given_name: "A".into(),
                family_name: "B".into(),
            },
            alternate_email: String::new(),
            phone_number: String::new(),
            language_code: "en".into(),
            edu_data: None,
        });
        let text = serde_json::to_string(&a).expect("serialises");
        let back: Action = serde_json::from_str(&text).expect("reads back");
        assert_eq!(back, a);
    }
}
