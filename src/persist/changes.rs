//! What one change did to the world, as a typed record: for each tracked collection the keys it touched with their
//! new values (`null`: removed), and the scalars that moved (the id sequence's position, the clock, the operation
//! policies, strictness). Replaying a record sets those values; undoing one sets the values from before. Neither
//! runs service code: the service functions already decided, the record only says what they decided.
//!
//! The list of tracked collections is written once, in `tracked!` below; adding a collection to the world without
//! adding it here fails no compile, so `tests` walks a world that has one of everything (see
//! `every_collection_is_recorded`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::ClockMode;
use crate::world::google::{
    ChannelPartnerLink, CloudIdentity, ConsumerAccount, Customer, InvitationMail, Principal,
    ResellerAccount, UserInvitation,
};
use crate::world::ops::Policy;
use crate::world::state::{Saved, State};
use crate::world::tracked::{Delta, VecChange, VecUndo};
use crate::world::{scp, yandex};

/// The scalars a change may move, compared with their values at the previous record.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalars {
    pub strict: bool,
    pub position: u128,
    pub default_policy: Policy,
    pub policies: BTreeMap<String, Policy>,
    pub clock: ClockMode,
}

impl Scalars {
    pub fn of(st: &State, clock: ClockMode) -> Scalars {
        Scalars {
            strict: st.world.strict,
            position: st.ids.position(),
            default_policy: st.ops.default_policy,
            policies: st.ops.policies.clone(),
            clock,
        }
    }
}

macro_rules! tracked {
    (
        maps { $( $field:ident : $($path:ident).+ => $K:ty, $V:ty; )* }
        vecs { $( $vfield:ident : $($vpath:ident).+ => $T:ty; )* }
    ) => {
        /// One change record's content. Every field is optional; an empty record is never written.
        #[derive(Debug, Default, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Changes {
            $( #[serde(default, skip_serializing_if = "Vec::is_empty")] pub $field: Vec<Delta<$K, $V>>, )*
            $( #[serde(default, skip_serializing_if = "Option::is_none")] pub $vfield: Option<VecChange<$T>>, )*
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub strict: Option<bool>,
            /// The id sequence's position (a u128, as a string).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub position: Option<String>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub default_policy: Option<Policy>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub policies: Option<BTreeMap<String, Policy>>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub clock: Option<ClockMode>,
        }

        /// The values from before a record, to put back if it cannot be written.
        #[derive(Debug, Default)]
        pub struct TrackedUndo {
            $( $field: Vec<Delta<$K, $V>>, )*
            $( $vfield: Option<VecUndo<$T>>, )*
        }

        impl Changes {
            /// True when the record would say nothing.
            pub fn is_empty(&self) -> bool {
                true $( && self.$field.is_empty() )* $( && self.$vfield.is_none() )*
                    && self.strict.is_none() && self.position.is_none() && self.default_policy.is_none()
                    && self.policies.is_none() && self.clock.is_none()
            }

            /// How many values the record carries (a record that rewrites most of the world is a snapshot instead).
            pub fn size(&self) -> usize {
                0 $( + self.$field.len() )* $( + self.$vfield.as_ref().map_or(0, |_| 1) )*
            }
        }

        /// Takes the touched keys of every collection (their new values, and their old ones for the undo).
        fn take_collections(st: &mut State) -> (Changes, TrackedUndo) {
            let mut c = Changes::default();
            let mut u = TrackedUndo::default();
            $(
                let before = st.$($path).+.take();
                if !before.is_empty() {
                    c.$field = st.$($path).+.current(&before);
                    u.$field = before;
                }
            )*
            $(
                if let Some((change, undo)) = st.$($vpath).+.take() {
                    c.$vfield = Some(change);
                    u.$vfield = Some(undo);
                }
            )*
            (c, u)
        }

        fn apply_collections(st: &mut State, c: Changes) {
            $( st.$($path).+.set_raw(c.$field); )*
            $( if let Some(change) = c.$vfield { st.$($vpath).+.apply_raw(change); } )*
        }

        fn undo_collections(st: &mut State, u: TrackedUndo) {
            $( st.$($path).+.set_raw(u.$field); )*
            $( if let Some(undo) = u.$vfield { st.$($vpath).+.undo_raw(undo); } )*
        }

        /// Starts recording changes in every collection (forgetting anything recorded so far).
        pub fn track(st: &mut State) {
            $( st.$($path).+.track(); )*
            $( st.$($vpath).+.track(); )*
        }


        #[cfg(test)]
        fn lengths(st: &State) -> Vec<(&'static str, usize)> {
            vec![ $( (stringify!($field), st.$($path).+.len()), )* $( (stringify!($vfield), st.$($vpath).+.len()), )* ]
        }
    };
}

tracked! {
    maps {
        google_accounts: world.google.accounts => String, ResellerAccount;
        google_partner_links: world.google.partner_links => (String, String), ChannelPartnerLink;
        google_identities: world.google.identities => String, CloudIdentity;
        google_customers: world.google.customers => String, Box<Customer>;
        google_consumer_accounts: world.google.consumer_accounts => String, ConsumerAccount;
        google_invitations: world.google.invitations => (String, String), UserInvitation;
        google_entitlements: world.google.orders.entitlements => String, crate::world::orders::EntitlementRecord;
        scp_organizations: world.scp.organizations => String, scp::Organization;
        scp_landing_zones: world.scp.landing_zones => String, scp::LandingZone;
        scp_units: world.scp.units => String, scp::OrganizationUnit;
        scp_access_keys: world.scp.access_keys => String, scp::AccessKey;
        scp_accounts: world.scp.accounts => String, scp::Account;
        yandex_organizations: world.yandex.organizations => String, yandex::Organization;
        yandex_userpools: world.yandex.userpools => String, yandex::Userpool;
        yandex_users: world.yandex.users => String, yandex::User;
        yandex_service_account_keys: world.yandex.service_account_keys => String, yandex::ServiceAccountKey;
        yandex_issued_tokens: world.yandex.issued => String, yandex::IssuedToken;
        operations: ops.ops => String, crate::world::ops::Operation;
    }
    vecs {
        google_principals: world.google.principals => Principal;
        google_invitation_mail: world.google.invitation_mail => InvitationMail;
        yandex_iam_tokens: world.yandex.iam_tokens => yandex::Credential;
        yandex_oauth_tokens: world.yandex.oauth_tokens => yandex::Credential;
    }
}

/// How to take a record back.
#[derive(Debug)]
pub enum Undo {
    /// A change record: the collections' values and the scalars from before it.
    Changes(Box<TrackedUndo>, Scalars),
    /// A replacement (reset, state import): the whole state from before it.
    Replaced(Box<Saved>, Scalars),
}

/// Takes what changed since the previous record (`base`: the scalars then), with its undo. `base` becomes the
/// scalars now.
pub fn take(st: &mut State, base: &mut Scalars, clock: ClockMode) -> (Changes, Undo) {
    let (mut c, u) = take_collections(st);
    let now = Scalars::of(st, clock);
    if now.strict != base.strict {
        c.strict = Some(now.strict);
    }
    if now.position != base.position {
        c.position = Some(now.position.to_string());
    }
    if now.default_policy != base.default_policy {
        c.default_policy = Some(now.default_policy);
    }
    if now.policies != base.policies {
        c.policies = Some(now.policies.clone());
    }
    if now.clock != base.clock {
        c.clock = Some(now.clock);
    }
    let before = std::mem::replace(base, now);
    (c, Undo::Changes(Box::new(u), before))
}

/// Replays a record onto the state (no index is rebuilt: call [`reindex`] after the last one). Returns the clock
/// mode it sets, if any.
pub fn apply(st: &mut State, mut c: Changes) -> Result<Option<ClockMode>, String> {
    if let Some(strict) = c.strict {
        st.world.strict = strict;
    }
    if let Some(p) = c.position.take() {
        let position: u128 = p
            .parse()
            .map_err(|_| format!("position `{p}` is not a number"))?;
        st.ids = crate::world::ids::Ids::resume(st.ids.seed(), position);
    }
    if let Some(p) = c.default_policy {
        st.ops.default_policy = p;
    }
    if let Some(p) = c.policies.take() {
        st.ops.policies = p;
    }
    let clock = c.clock;
    apply_collections(st, c);
    Ok(clock)
}

/// Puts back what a record changed (newest record first); returns the scalars as they were before it, whose clock
/// the caller restores.
pub fn undo(st: &mut State, u: Undo) -> Scalars {
    match u {
        Undo::Changes(t, before) => {
            undo_collections(st, *t);
            st.world.strict = before.strict;
            st.ids = crate::world::ids::Ids::resume(st.ids.seed(), before.position);
            st.ops.default_policy = before.default_policy;
            st.ops.policies = before.policies.clone();
            before
        }
        Undo::Replaced(saved, before) => {
            let Saved { world, ops, ids } = *saved;
            st.world = world;
            st.ops = ops;
            st.ids = ids;
            before
        }
    }
}

/// Rebuilds every derived index after records were replayed or undone, and starts tracking afresh.
pub fn reindex(st: &mut State) {
    st.world.google.reindex();
    st.world.scp.reindex();
    st.world.yandex.reindex();
    st.ops.reindex();
    track(st);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::ids::Ids;
    use crate::world::ops::Ops;
    use crate::world::{DEFAULT_FIXTURES, Document, World};

    fn state() -> std::sync::Mutex<State> {
        let doc = Document::parse(DEFAULT_FIXTURES).expect("fixtures");
        std::sync::Mutex::new(State {
            world: World::from_document(&doc).expect("world"),
            ops: Ops::new(Policy::Manual),
            ids: Ids::new(Some(7)),
            replaced: None,
        })
    }

    #[test]
    fn every_collection_is_recorded() {
        // The default world holds something in every collection but a few; each listed collection is non-empty
        // or known to start empty, so a collection missing from `tracked!` shows up as a length nobody lists.
        let app = state();
        let st = app.lock().expect("state");
        let listed: Vec<&str> = lengths(&st).into_iter().map(|(n, _)| n).collect();
        let doc = st.world.to_document(None);
        let value = serde_json::to_value(&doc).expect("serialises");
        // Every array in the document (a collection of the world) has a tracked twin of the same family.
        let mut arrays = Vec::new();
        for family in ["google", "scp", "yandex"] {
            if let Some(obj) = value[family].as_object() {
                for (k, v) in obj {
                    if v.is_array() {
                        arrays.push(format!("{family}_{k}"));
                    }
                }
            }
        }
        let twin = |a: &str| -> String {
            match a {
                "google_cloud_identities" => "google_identities".into(),
                "google_channel_partner_links" => "google_partner_links".into(),
                "google_user_invitations" => "google_invitations".into(),
                "scp_organization_units" => "scp_units".into(),
                other => other.to_string(),
            }
        };
        for a in arrays {
            assert!(
                listed.contains(&twin(&a).as_str()),
                "document collection `{a}` is not tracked"
            );
        }
    }

    #[test]
    fn take_then_undo_restores_and_apply_replays() {
        let app = state();
        let mut st = app.lock().expect("state");
        track(&mut st);
        let mut base = Scalars::of(&st, ClockMode::Real);
        let before = st.world.to_document(None);
        let name = st.ids.lower_alnum(8);
        st.world.scp.access_keys.insert(
            name.clone(),
            scp::AccessKey {
                access_key: name.clone(),
                secret_key: None,
                owner: "o".into(),
            },
        );
        st.world.google.customers.clear();
        let (changes, undo_it) = take(&mut st, &mut base, ClockMode::Real);
        assert!(!changes.is_empty());
        assert!(changes.position.is_some());
        let after = serde_json::to_value(st.world.to_document(None)).expect("json");
        // Replaying onto the old state gives the new one.
        let text = serde_json::to_string(&changes).expect("record serialises");
        let replayed: Changes = serde_json::from_str(&text).expect("record parses");
        let other = state();
        let mut o = other.lock().expect("state");
        apply(&mut o, replayed).expect("applies");
        reindex(&mut o);
        assert_eq!(
            serde_json::to_value(o.world.to_document(None)).expect("json"),
            after
        );
        // Undoing gives the old state back.
        undo(&mut st, undo_it);
        reindex(&mut st);
        assert_eq!(
            serde_json::to_value(st.world.to_document(None)).expect("json"),
            serde_json::to_value(before).expect("json")
        );
    }
}
