//! The Google side of the world: the Cloud Identity directory (customers' identities, their domains, admins and
//! import tokens), Channel reseller accounts, channel partner links and the Customers resellers hold.
//!
//! Nested value objects that the world stores verbatim and never interprets (postal address, contact info, edu data)
//! are the proto message types themselves: they are plain data with a proto3 JSON mapping, and copying them field by
//! field into look-alike structs would add nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tracked::{Tracked, TrackedVec};
use crate::proto::google::cloud::channel::v1 as chpb;
use crate::proto::google::r#type::PostalAddress;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerType {
    Domain,
    Team,
}

impl CustomerType {
    pub fn proto(self) -> chpb::cloud_identity_info::CustomerType {
        match self {
            CustomerType::Domain => chpb::cloud_identity_info::CustomerType::Domain,
            CustomerType::Team => chpb::cloud_identity_info::CustomerType::Team,
        }
    }
}

/// The super admin of a Cloud Identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminUser {
    pub email: String,
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
}

/// A Google Workspace / Cloud Identity customer in the directory (what Channel imports and provisions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudIdentity {
    /// `C0` + 7 letters or digits.
    pub id: String,
    pub customer_type: CustomerType,
    pub primary_domain: String,
    #[serde(default = "yes")]
    pub is_domain_verified: bool,
    /// Further verified domains (secondary domains); their unmanaged accounts count as the customer's too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary_domains: Vec<String>,
    pub org_display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_postal_address: Option<PostalAddress>,
    pub admin: AdminUser,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alternate_email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone_number: String,
    #[serde(default = "en", skip_serializing_if = "String::is_empty")]
    pub language_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edu_data: Option<chpb::EduData>,
    /// In fixtures: the super-admin's import token in clear. Never kept: it is turned into `auth_token_sha256`.
    #[serde(default, skip_serializing)]
    pub auth_token: Option<String>,
    /// SHA-256 (hex) of the token a reseller must present to import this identity. None: no token needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_token_sha256: Option<String>,
    /// Reseller accounts (`accounts/{a}`) already authorised to import without a token.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub authorized_accounts: BTreeSet<String>,
    /// The reseller account whose provisionCloudIdentity created it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_by: Option<String>,
    /// SKUs it holds outside provmock's resellers: what a reseller that imports it may transfer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_skus: Vec<super::orders::HeldSku>,
}

fn yes() -> bool {
    true
}
fn en() -> String {
    "en".to_string()
}

impl CloudIdentity {
    /// Every verified domain (primary first).
    pub fn verified_domains(&self) -> impl Iterator<Item = &str> {
        let primary = self
            .is_domain_verified
            .then_some(self.primary_domain.as_str());
        primary
            .into_iter()
            .chain(self.secondary_domains.iter().map(String::as_str))
    }

    pub fn owns_domain(&self, domain: &str) -> bool {
        self.primary_domain.eq_ignore_ascii_case(domain)
            || self
                .secondary_domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
    }

    pub fn token_matches(&self, token: &str) -> bool {
        self.auth_token_sha256.as_deref() == Some(sha256_hex(token).as_str())
    }
}

/// A Channel reseller account (`accounts/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResellerAccount {
    pub id: String,
    #[serde(default)]
    pub display_name: String,
    /// The reseller's own Cloud Identity id (reported as `channelPartnerCloudIdentityId` to its downstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_identity_id: Option<String>,
}

/// A link between a distributor account and a downstream reseller (`accounts/{a}/channelPartnerLinks/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelPartnerLink {
    pub account: String,
    pub id: String,
    /// The downstream reseller's Cloud Identity id.
    #[serde(default)]
    pub reseller_cloud_identity_id: String,
    #[serde(default, skip_serializing_if = "super::orders::LinkState::is_active")]
    pub link_state: super::orders::LinkState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<DateTime<Utc>>,
}

/// A caller known by its bearer token (strict auth): which reseller accounts and which Cloud Identity customer it
/// may act for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    pub name: String,
    /// In fixtures: the bearer token in clear. Never kept: turned into `token_sha256`.
    #[serde(default, skip_serializing)]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_sha256: String,
    /// Reseller account ids (`C01234567`, without `accounts/`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_accounts: Vec<String>,
    /// The Cloud Identity customer id this principal administers (`my_customer` resolves to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
}

/// A Customer record held by a reseller (or by a channel partner link of one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// `accounts/{a}/customers/{c}` or `accounts/{a}/channelPartnerLinks/{l}/customers/{c}`.
    pub name: String,
    pub org_display_name: String,
    #[serde(default)]
    pub org_postal_address: PostalAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_contact_info: Option<chpb::ContactInfo>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub alternate_email: String,
    pub domain: String,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    /// Set once the customer is linked to a Cloud Identity (import, or a finished provisionCloudIdentity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_identity_id: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub language_code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel_partner_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub correlation_id: String,
    /// `Customer.CustomerAttestationState` by number.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub customer_attestation_state: i32,
    /// The provisionCloudIdentity operation still running for this customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_operation: Option<String>,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

impl Customer {
    /// `accounts/{a}/customers` or `accounts/{a}/channelPartnerLinks/{l}/customers`.
    pub fn parent(&self) -> &str {
        parent_of(&self.name)
    }
}

pub fn parent_of(name: &str) -> &str {
    name.rsplit_once("/customers/")
        .map(|(p, _)| p)
        .unwrap_or(name)
}

/// A Google account outside any managed domain (a consumer account). While unmanaged, an account whose email
/// domain is one of a Cloud Identity customer's verified domains is an "unmanaged account" of that customer: the
/// source of its user invitations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerAccount {
    /// Lower-cased on load (guess: Google treats addresses case-insensitively).
    pub email: String,
    /// True once the user accepted an invitation (the account now belongs to the customer).
    #[serde(default)]
    pub managed: bool,
    /// When the account appeared; the `updateTime` of its invitation until someone acts on it.
    #[serde(default = "account_epoch")]
    pub create_time: DateTime<Utc>,
}

/// guess: fixtures that give no `create_time` get the start of 2026 (a fixed time keeps lists deterministic).
fn account_epoch() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default()
}

/// `UserInvitation.State` (the number is the proto enum value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvitationState {
    NotYetSent,
    Invited,
    Accepted,
    Declined,
}

impl InvitationState {
    pub const ALL: [InvitationState; 4] = [
        InvitationState::NotYetSent,
        InvitationState::Invited,
        InvitationState::Accepted,
        InvitationState::Declined,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InvitationState::NotYetSent => "NOT_YET_SENT",
            InvitationState::Invited => "INVITED",
            InvitationState::Accepted => "ACCEPTED",
            InvitationState::Declined => "DECLINED",
        }
    }

    pub fn number(self) -> i32 {
        match self {
            InvitationState::NotYetSent => 1,
            InvitationState::Invited => 2,
            InvitationState::Accepted => 3,
            InvitationState::Declined => 4,
        }
    }

    /// The proto enum number of a state name (`STATE_UNSPECIFIED` is 0).
    pub fn number_of(name: &str) -> Option<i32> {
        if name == "STATE_UNSPECIFIED" {
            return Some(0);
        }
        Self::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .map(Self::number)
    }
}

/// An invitation someone acted on (sent, cancelled, accepted, declined). Unmanaged accounts nobody acted on have
/// no record: they are derived as NOT_YET_SENT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInvitation {
    /// The Cloud Identity customer id (`C00000000`).
    pub customer: String,
    /// Lower-cased.
    pub email: String,
    pub state: InvitationState,
    pub update_time: DateTime<Utc>,
    #[serde(default)]
    pub mails_sent_count: i64,
}

impl UserInvitation {
    /// `customers/{customer}/userinvitations/{email}`.
    pub fn name(&self) -> String {
        format!("customers/{}/userinvitations/{}", self.customer, self.email)
    }
}

/// An invitation email provmock would have sent (`GET /_mock/mail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvitationMail {
    pub to: String,
    pub customer: String,
    pub time: DateTime<Utc>,
    /// The invitation's `mailsSentCount` after this mail.
    pub count: i64,
}

/// The Google side of the world, with the indexes that keep invariant checks O(1).
#[derive(Debug, Clone, Default)]
pub struct GoogleWorld {
    pub accounts: Tracked<String, ResellerAccount>,
    pub partner_links: Tracked<(String, String), ChannelPartnerLink>,
    pub principals: TrackedVec<Principal>,
    pub identities: Tracked<String, CloudIdentity>,
    /// Customers by full name; ordered, so a parent's customers are one range. Boxed: a `Customer` is ~640 bytes,
    /// and the map's nodes shift and split their values on every insert.
    pub customers: Tracked<String, Box<Customer>>,
    /// lower-case domain → Cloud Identity id.
    domain_index: HashMap<String, String>,
    /// lower-case admin email → Cloud Identity id.
    admin_index: HashMap<String, String>,
    /// (parent, lower-case domain) → customer name: one Customer per domain per parent.
    customer_domain_index: BTreeMap<PairKey, String>,
    /// (parent, Cloud Identity id) → customer name: one Customer per Cloud Identity per parent.
    customer_identity_index: BTreeMap<PairKey, String>,
    /// Consumer accounts by lower-case email.
    pub consumer_accounts: Tracked<String, ConsumerAccount>,
    /// (lower-case domain, lower-case email) of every consumer account: a customer's derived invitations are one
    /// range per verified domain, in email order.
    consumer_domain_index: BTreeSet<(String, String)>,
    /// Invitation records by (Cloud Identity id, lower-case email).
    pub invitations: Tracked<(String, String), UserInvitation>,
    /// Every invitation email that would have been sent, oldest first.
    pub invitation_mail: TrackedVec<InvitationMail>,
    /// The catalog and the customers' entitlements.
    pub orders: super::orders::OrdersWorld,
}

impl GoogleWorld {
    pub fn identity_by_domain(&self, domain: &str) -> Option<&CloudIdentity> {
        self.domain_index
            .get(&domain.to_ascii_lowercase())
            .and_then(|id| self.identities.get(id))
    }

    pub fn identity_by_admin(&self, email: &str) -> Option<&CloudIdentity> {
        self.admin_index
            .get(&email.to_ascii_lowercase())
            .and_then(|id| self.identities.get(id))
    }

    /// Adds or replaces an identity, keeping the domain and admin indexes right.
    pub fn put_identity(&mut self, mut ci: CloudIdentity) {
        if let Some(token) = ci.auth_token.take() {
            ci.auth_token_sha256 = Some(sha256_hex(&token));
        }
        if let Some(old) = self.identities.remove(&ci.id) {
            self.unindex_identity(&old);
        }
        for d in std::iter::once(&ci.primary_domain).chain(&ci.secondary_domains) {
            self.domain_index
                .insert(d.to_ascii_lowercase(), ci.id.clone());
        }
        self.admin_index
            .insert(ci.admin.email.to_ascii_lowercase(), ci.id.clone());
        self.identities.insert(ci.id.clone(), ci);
    }

    fn unindex_identity(&mut self, ci: &CloudIdentity) {
        for d in std::iter::once(&ci.primary_domain).chain(&ci.secondary_domains) {
            self.domain_index.remove(&d.to_ascii_lowercase());
        }
        self.admin_index
            .remove(&ci.admin.email.to_ascii_lowercase());
    }

    /// `parent` is `accounts/{a}` or `accounts/{a}/channelPartnerLinks/{l}`.
    pub fn customer_by_domain(&self, parent: &str, domain: &str) -> Option<&Customer> {
        self.customer_domain_index
            .get(&PairKey::new(parent, domain.to_ascii_lowercase()))
            .and_then(|n| self.customers.get(n))
            .map(|c| &**c)
    }

    pub fn customer_by_identity(&self, parent: &str, ci: &str) -> Option<&Customer> {
        self.customer_identity_index
            .get(&PairKey::new(parent, ci.to_string()))
            .and_then(|n| self.customers.get(n))
            .map(|c| &**c)
    }

    /// Every customer (of any reseller) linked to a Cloud Identity.
    pub fn customers_of_identity<'a>(
        &'a self,
        ci: &'a str,
    ) -> impl Iterator<Item = &'a Customer> + 'a {
        self.customer_identity_index
            .iter()
            .filter(move |(key, _)| key.value == ci)
            .filter_map(|(_, n)| self.customers.get(n).map(|c| &**c))
    }

    /// Adds or replaces a customer, keeping the per-parent indexes right.
    pub fn put_customer(&mut self, c: Customer) {
        self.remove_customer(&c.name);
        index_customer(
            &mut self.customer_domain_index,
            &mut self.customer_identity_index,
            &c,
        );
        self.customers.insert(c.name.clone(), Box::new(c));
    }

    /// Stores a new customer under the first name from `draw` that nobody has yet (one walk of the ordered map per
    /// draw) and returns that name.
    pub fn insert_new_customer(
        &mut self,
        mut c: Customer,
        mut draw: impl FnMut() -> String,
    ) -> String {
        loop {
            c.name = draw();
            if !self.customers.contains_key(&c.name) {
                index_customer(
                    &mut self.customer_domain_index,
                    &mut self.customer_identity_index,
                    &c,
                );
                let name = c.name.clone();
                self.customers.insert(name.clone(), Box::new(c));
                return name;
            }
        }
    }

    /// Adds or replaces a consumer account (its email lower-cased), keeping the domain index right.
    pub fn put_consumer_account(&mut self, mut a: ConsumerAccount) {
        a.email = a.email.to_ascii_lowercase();
        if let Some(key) = consumer_domain_key(&a.email) {
            self.consumer_domain_index.insert(key);
        }
        self.consumer_accounts.insert(a.email.clone(), a);
    }

    /// One page of a customer's invitations in email order — its invitation records merged with the unmanaged
    /// consumer accounts of its verified domains that have none — after `after` (exclusive), keeping those
    /// `keep` accepts: at most `limit` of them, and whether more follow. Each source is walked from the cursor, so
    /// a page costs its size (times the number of domains), not the customer's whole set.
    pub fn invitations_page(
        &self,
        customer: &str,
        after: Option<&str>,
        descending: bool,
        limit: usize,
        keep: impl Fn(&UserInvitation) -> bool,
    ) -> (Vec<UserInvitation>, bool) {
        use std::ops::Bound::{Excluded, Included};
        type Source<'a> =
            std::iter::Peekable<Box<dyn Iterator<Item = (String, Option<UserInvitation>)> + 'a>>;
        fn ordered<'a, T: DoubleEndedIterator<Item = (String, Option<UserInvitation>)> + 'a>(
            it: T,
            descending: bool,
        ) -> Source<'a> {
            let b: Box<dyn Iterator<Item = (String, Option<UserInvitation>)> + 'a> = if descending {
                Box::new(it.rev())
            } else {
                Box::new(it)
            };
            b.peekable()
        }
        let mut sources: Vec<Source<'_>> = Vec::new();
        // The records: the keys (customer, e) lie between (customer, "") and (customer + "\0", "").
        let first = (customer.to_string(), String::new());
        let beyond = (format!("{customer}\0"), String::new());
        let (start, end) = match after {
            None => (Included(first), Excluded(beyond)),
            Some(a) if descending => (
                Included(first),
                Excluded((customer.to_string(), a.to_string())),
            ),
            Some(a) => (
                Excluded((customer.to_string(), a.to_string())),
                Excluded(beyond),
            ),
        };
        sources.push(ordered(
            self.invitations
                .range((start, end))
                .map(|((_, e), inv)| (e.clone(), Some(inv.clone()))),
            descending,
        ));
        // The derived ones, one range per verified domain; an account that is managed or has a record yields its
        // email only (the record, if any, comes from the first source at the same place).
        if let Some(ci) = self.identities.get(customer) {
            let mut domains: Vec<String> =
                ci.verified_domains().map(str::to_ascii_lowercase).collect();
            domains.sort();
            domains.dedup();
            for d in domains {
                let first = Included((d.clone(), String::new()));
                let beyond = Excluded((format!("{d}\0"), String::new()));
                let (start, end) = match after {
                    None => (first, beyond),
                    Some(a) if descending => (first, Excluded((d.clone(), a.to_string()))),
                    Some(a) => (Excluded((d.clone(), a.to_string())), beyond),
                };
                let derive = move |(_, email): &(String, String)| {
                    let inv = self.consumer_accounts.get(email).and_then(|a| {
                        let free = !a.managed
                            && !self
                                .invitations
                                .contains_key(&(customer.to_string(), email.clone()));
                        free.then(|| derived_invitation(customer, a))
                    });
                    (email.clone(), inv)
                };
                sources.push(ordered(
                    self.consumer_domain_index.range((start, end)).map(derive),
                    descending,
                ));
            }
        }
        // Merge in email order, one step at a time, until the page (and one more) is found.
        let want = limit.saturating_add(1);
        let mut found = Vec::new();
        while found.len() < want {
            let mut best: Option<(usize, String)> = None;
            for (i, src) in sources.iter_mut().enumerate() {
                if let Some((e, _)) = src.peek() {
                    let first = match &best {
                        None => true,
                        Some((_, b)) if descending => e > b,
                        Some((_, b)) => e < b,
                    };
                    if first {
                        best = Some((i, e.clone()));
                    }
                }
            }
            let Some((i, _)) = best else { break };
            if let Some((_, Some(inv))) = sources[i].next()
                && keep(&inv)
            {
                found.push(inv);
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        (found, more)
    }

    /// Rebuilds every index from the records (after a change record was replayed or undone).
    pub fn reindex(&mut self) {
        self.consumer_domain_index = self
            .consumer_accounts
            .keys()
            .filter_map(|e| consumer_domain_key(e))
            .collect();
        self.domain_index.clear();
        self.admin_index.clear();
        for ci in self.identities.values() {
            for d in std::iter::once(&ci.primary_domain).chain(&ci.secondary_domains) {
                self.domain_index
                    .insert(d.to_ascii_lowercase(), ci.id.clone());
            }
            self.admin_index
                .insert(ci.admin.email.to_ascii_lowercase(), ci.id.clone());
        }
        self.customer_domain_index.clear();
        self.customer_identity_index.clear();
        for c in self.customers.values() {
            index_customer(
                &mut self.customer_domain_index,
                &mut self.customer_identity_index,
                c,
            );
        }
    }

    pub fn remove_customer(&mut self, name: &str) -> Option<Customer> {
        let old = self.customers.remove(name)?;
        let parent = old.parent();
        let key = PairKey::new(parent, old.domain.to_ascii_lowercase());
        if self
            .customer_domain_index
            .get(&key)
            .is_some_and(|n| n == name)
        {
            self.customer_domain_index.remove(&key);
        }
        if let Some(ci) = &old.cloud_identity_id {
            let key = PairKey::new(parent, ci.clone());
            if self
                .customer_identity_index
                .get(&key)
                .is_some_and(|n| n == name)
            {
                self.customer_identity_index.remove(&key);
            }
        }
        Some(*old)
    }

    /// The unmanaged consumer account `email` if its domain is a verified domain of Cloud Identity `customer`.
    pub fn unmanaged_account_of(&self, customer: &str, email: &str) -> Option<&ConsumerAccount> {
        let ci = self.identities.get(customer)?;
        let a = self.consumer_accounts.get(&email.to_ascii_lowercase())?;
        let domain = a.email.rsplit_once('@').map(|(_, d)| d)?;
        (!a.managed
            && ci
                .verified_domains()
                .any(|d| d.eq_ignore_ascii_case(domain)))
        .then_some(a)
    }

    /// The invitation of `email` at `customer`: its record, or NOT_YET_SENT for an unmanaged account of the
    /// customer nobody acted on yet.
    pub fn invitation(&self, customer: &str, email: &str) -> Option<UserInvitation> {
        let email = email.to_ascii_lowercase();
        if let Some(inv) = self.invitations.get(&(customer.to_string(), email.clone())) {
            return Some(inv.clone());
        }
        self.unmanaged_account_of(customer, &email)
            .map(|a| derived_invitation(customer, a))
    }

    /// Every invitation of a customer (records and derived NOT_YET_SENT ones), in email order.
    pub fn invitations_of(&self, customer: &str) -> Vec<UserInvitation> {
        let mut out: BTreeMap<String, UserInvitation> = self
            .invitations
            .range((customer.to_string(), String::new())..)
            .take_while(|((c, _), _)| c == customer)
            .map(|((_, e), inv)| (e.clone(), inv.clone()))
            .collect();
        if let Some(ci) = self.identities.get(customer) {
            let domains: Vec<String> = ci.verified_domains().map(str::to_ascii_lowercase).collect();
            for a in self.consumer_accounts.values() {
                let in_domain = a
                    .email
                    .rsplit_once('@')
                    .is_some_and(|(_, d)| domains.iter().any(|x| x == d));
                if !a.managed && in_domain && !out.contains_key(&a.email) {
                    out.insert(a.email.clone(), derived_invitation(customer, a));
                }
            }
        }
        out.into_values().collect()
    }

    /// The principal a bearer token belongs to.
    pub fn principal(&self, token: &str) -> Option<&Principal> {
        let h = crate::world::google::sha256_hex(token);
        self.principals.iter().find(|p| p.token_sha256 == h)
    }
}

fn consumer_domain_key(email: &str) -> Option<(String, String)> {
    let (_, domain) = email.rsplit_once('@')?;
    Some((domain.to_ascii_lowercase(), email.to_ascii_lowercase()))
}

fn derived_invitation(customer: &str, a: &ConsumerAccount) -> UserInvitation {
    UserInvitation {
        customer: customer.to_string(),
        email: a.email.clone(),
        state: InvitationState::NotYetSent,
        update_time: a.create_time,
        mails_sent_count: 0,
    }
}

pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The per-parent uniqueness indexes of a customer: one Customer per domain, and per Cloud Identity, per parent.
fn index_customer(
    by_domain: &mut BTreeMap<PairKey, String>,
    by_identity: &mut BTreeMap<PairKey, String>,
    c: &Customer,
) {
    let parent = c.parent();
    by_domain.insert(
        PairKey::new(parent, c.domain.to_ascii_lowercase()),
        c.name.clone(),
    );
    if let Some(ci) = &c.cloud_identity_id {
        by_identity.insert(PairKey::new(parent, ci.clone()), c.name.clone());
    }
}

/// A `(parent, value)` key of the per-parent customer indexes. It carries a hash of both strings, computed once, and
/// orders by it first, so walking an index compares numbers held in its nodes, not strings elsewhere on the heap.
///
/// Why ordered maps keyed by a hash and not hash maps: a hash map doubles its table as it grows, and with a million
/// customers that meant allocating and rehashing ~100 MB under the world's lock, a stall of up to half a second for
/// every request in flight. A B-tree grows a node at a time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PairKey {
    hash: u64,
    parent: String,
    value: String,
}

impl PairKey {
    fn new(parent: &str, value: String) -> PairKey {
        use std::hash::BuildHasher;
        // A fixed hasher: equal pairs always get equal numbers (and so do a data dir's replays).
        let hash = std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default()
            .hash_one((parent, value.as_str()));
        PairKey {
            hash,
            parent: parent.to_string(),
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod invitation_pages {
        use super::*;
        use crate::world::{DEFAULT_FIXTURES, Document, World};
        use proptest::prelude::*;

        const DOMAINS: [&str; 4] = ["altostrat.com", "example.com", "other.org", "altostrat.co"];
        const STATES: [InvitationState; 4] = [
            InvitationState::Invited,
            InvitationState::Accepted,
            InvitationState::Declined,
            InvitationState::NotYetSent,
        ];

        proptest! {
            #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

            /// Paging from the cursor gives exactly the customer's whole set, in email order, each once — for every
            /// page size, direction and state filter, with records and derived invitations interleaved.
            #[test]
            fn pages_walk_the_whole_set_in_order(
                accounts in prop::collection::vec((0usize..40, 0usize..4, any::<bool>()), 0..60),
                records in prop::collection::vec((0usize..40, 0usize..4, 0usize..4), 0..20),
                size in 1usize..7,
                descending in any::<bool>(),
                only in prop::option::of(0usize..4),
            ) {
                let mut doc = Document::parse(DEFAULT_FIXTURES).expect("fixtures");
                doc.google.consumer_accounts.clear();
                doc.google.user_invitations.clear();
                // Two verified domains, so a page merges two ranges of derived invitations with the records.
                if let Some(ci) = doc.google.cloud_identities.iter_mut().find(|c| c.id == "C00000000") {
                    ci.secondary_domains.push("other.org".into());
                }
                let mut seen = std::collections::BTreeSet::new();
                for (n, d, managed) in accounts {
                    let email = format!("u{n:02}@{}", DOMAINS[d]);
                    if seen.insert(email.clone()) {
                        doc.google.consumer_accounts.push(ConsumerAccount { email, managed, create_time: Utc::now() });
                    }
                }
                let mut seen = std::collections::BTreeSet::new();
                for (n, d, st) in records {
                    let email = format!("u{n:02}@{}", DOMAINS[d]);
                    if seen.insert(email.clone()) {
                        doc.google.user_invitations.push(UserInvitation {
                            customer: "C00000000".into(), email, state: STATES[st],
                            update_time: Utc::now(), mails_sent_count: 0,
                        });
                    }
                }
                let w = World::from_document(&doc).expect("loads");
                let g = &w.google;
                let keep = |i: &UserInvitation| only.is_none_or(|s| i.state == STATES[s]);
                let mut expected: Vec<String> = g
                    .invitations_of("C00000000")
                    .into_iter()
                    .filter(|i| keep(i))
                    .map(|i| i.email)
                    .collect();
                expected.sort();
                if descending {
                    expected.reverse();
                }
                let mut got = Vec::new();
                let mut after: Option<String> = None;
                loop {
                    let (page, more) = g.invitations_page("C00000000", after.as_deref(), descending, size, keep);
                    prop_assert!(page.len() <= size);
                    got.extend(page.iter().map(|i| i.email.clone()));
                    if !more {
                        break;
                    }
                    prop_assert!(!page.is_empty());
                    after = page.last().map(|i| i.email.clone());
                }
                prop_assert_eq!(got, expected);
            }
        }
    }

    #[test]
    fn pair_keys_find_what_was_stored_and_tell_parents_apart() {
        let mut m: BTreeMap<PairKey, &str> = BTreeMap::new();
        m.insert(PairKey::new("accounts/A1", "example.com".into()), "a1");
        m.insert(PairKey::new("accounts/A2", "example.com".into()), "a2");
        for i in 0..10_000 {
            m.insert(
                PairKey::new("accounts/A1", format!("d{i}.example")),
                "filler",
            );
        }
        let get = |p: &str, v: &str| m.get(&PairKey::new(p, v.into())).copied();
        assert_eq!(get("accounts/A1", "example.com"), Some("a1"));
        assert_eq!(get("accounts/A2", "example.com"), Some("a2"));
        assert_eq!(get("accounts/A3", "example.com"), None);
        assert_eq!(get("accounts/A1", "d9999.example"), Some("filler"));
        // The pair is hashed as a pair: moving text across the boundary makes another key.
        assert_ne!(
            PairKey::new("ab", "c".into()),
            PairKey::new("a", "bc".into())
        );
    }
}
