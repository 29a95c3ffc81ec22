//! The SCP side of the world: organizations, landing zones, organization units (one of them the landing zone's
//! Security OU), access keys, and the accounts the account factory creates.

use std::collections::BTreeSet;

use super::index::{self, NameIndex};
use super::tracked::Tracked;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandingZone {
    pub id: String,
    pub organization_id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationUnit {
    /// `ou-…`
    pub id: String,
    pub landing_zone_id: String,
    #[serde(default)]
    pub name: String,
    /// The landing zone's Security OU: accounts cannot be created in it.
    #[serde(default)]
    pub security: bool,
}

/// An API access key. The secret is needed in clear to check HMAC signatures, so it is kept in memory but never
/// exported, logged or journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    pub access_key: String,
    #[serde(default, skip_serializing)]
    pub secret_key: Option<String>,
    /// Who the key belongs to (shown as `created_by` / `creator_name`).
    #[serde(default)]
    pub owner: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountState {
    Pending,
    Active,
    CreateFailed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// 32 lowercase letters and digits.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    pub organization_id: String,
    pub landing_zone_id: String,
    pub parent_unit_id: String,
    pub state: AccountState,
    /// The creation job (an operation of kind `scp.createAccount`).
    pub job_id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_user_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_user_real_name: Option<String>,
}

/// The SCP part of the fixtures / state document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScpDocument {
    #[serde(default)]
    pub organizations: Vec<Organization>,
    #[serde(default)]
    pub landing_zones: Vec<LandingZone>,
    #[serde(default)]
    pub organization_units: Vec<OrganizationUnit>,
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

#[derive(Debug, Clone, Default)]
pub struct ScpWorld {
    pub organizations: Tracked<String, Organization>,
    pub landing_zones: Tracked<String, LandingZone>,
    pub units: Tracked<String, OrganizationUnit>,
    pub access_keys: Tracked<String, AccessKey>,
    pub accounts: Tracked<String, Account>,
    /// (organization, lower-case name) → account id.
    names: NameIndex,
    /// (organization, lower-case email) → account id.
    emails: NameIndex,
    /// (created_at, id): the default list order, walked a page at a time.
    by_created: BTreeSet<(DateTime<Utc>, String)>,
}

impl ScpWorld {
    pub fn account_by_name(&self, org: &str, name: &str) -> Option<&Account> {
        self.names
            .get(index::key(org, name))
            .filter_map(|id| self.accounts.get(id))
            .find(|a| a.organization_id == org && index::same_name(&a.name, name))
    }

    pub fn account_by_email(&self, org: &str, email: &str) -> Option<&Account> {
        self.emails
            .get(index::key(org, email))
            .filter_map(|id| self.accounts.get(id))
            .find(|a| a.organization_id == org && index::same_name(&a.email, email))
    }

    pub fn put_account(&mut self, a: Account) {
        // The usual update (a create finishing, a state change) keeps the indexed fields: no index moves.
        if let Some(old) = self.accounts.get_mut(&a.id)
            && old.organization_id == a.organization_id
            && old.created_at == a.created_at
            && old.name == a.name
            && old.email == a.email
        {
            *old = a;
            return;
        }
        if let Some(old) = self.accounts.remove(&a.id) {
            self.by_created.remove(&(old.created_at, old.id.clone()));
            self.names
                .remove(index::key(&old.organization_id, &old.name), &old.id);
            if !old.email.is_empty() {
                self.emails
                    .remove(index::key(&old.organization_id, &old.email), &old.id);
            }
        }
        Self::index(&mut self.names, &mut self.emails, &mut self.by_created, &a);
        self.accounts.insert(a.id.clone(), a);
    }

    /// Adds an account to the name, email and creation-order indexes.
    fn index(
        names: &mut NameIndex,
        emails: &mut NameIndex,
        by_created: &mut BTreeSet<(DateTime<Utc>, String)>,
        a: &Account,
    ) {
        names.insert(index::key(&a.organization_id, &a.name), &a.id);
        if !a.email.is_empty() {
            emails.insert(index::key(&a.organization_id, &a.email), &a.id);
        }
        by_created.insert((a.created_at, a.id.clone()));
    }

    /// Accounts in creation order (oldest first; `.rev()` for newest first).
    pub fn by_created(&self) -> impl DoubleEndedIterator<Item = &Account> {
        self.by_created
            .iter()
            .filter_map(|(_, id)| self.accounts.get(id))
    }

    /// Gives every access key without a secret the one `secret` knows (a state import keeps the secrets provmock
    /// has; a data dir restores them from its secrets file).
    pub fn fill_secret_keys(&mut self, secret: impl Fn(&str) -> Option<String>) {
        let keyless: Vec<String> = self
            .access_keys
            .values()
            .filter(|k| k.secret_key.is_none())
            .map(|k| k.access_key.clone())
            .collect();
        for k in keyless {
            let found = secret(&k);
            if let Some(key) = self.access_keys.get_mut(&k) {
                key.secret_key = found;
            }
        }
    }

    /// Rebuilds the name, email and creation-order indexes from the accounts.
    pub fn reindex(&mut self) {
        self.names.clear();
        self.emails.clear();
        self.by_created.clear();
        for a in self.accounts.values() {
            Self::index(&mut self.names, &mut self.emails, &mut self.by_created, a);
        }
    }

    pub fn to_document(&self) -> ScpDocument {
        ScpDocument {
            organizations: self.organizations.values().cloned().collect(),
            landing_zones: self.landing_zones.values().cloned().collect(),
            organization_units: self.units.values().cloned().collect(),
            access_keys: self.access_keys.values().cloned().collect(),
            accounts: self.accounts.values().cloned().collect(),
        }
    }
}

/// A fixtures problem (path, message), converted by the caller.
pub type Problem = (String, String);

impl ScpWorld {
    pub fn from_document(d: &ScpDocument) -> Result<ScpWorld, Problem> {
        let mut w = ScpWorld::default();
        for (i, o) in d.organizations.iter().enumerate() {
            if o.id.is_empty() || w.organizations.insert(o.id.clone(), o.clone()).is_some() {
                return Err((
                    format!("scp.organizations[{i}].id"),
                    format!("empty or duplicate organization id `{}`", o.id),
                ));
            }
        }
        for (i, lz) in d.landing_zones.iter().enumerate() {
            if !w.organizations.contains_key(&lz.organization_id) {
                return Err((
                    format!("scp.landing_zones[{i}].organization_id"),
                    format!("unknown organization `{}`", lz.organization_id),
                ));
            }
            if lz.id.is_empty() || w.landing_zones.insert(lz.id.clone(), lz.clone()).is_some() {
                return Err((
                    format!("scp.landing_zones[{i}].id"),
                    format!("empty or duplicate landing zone id `{}`", lz.id),
                ));
            }
        }
        for (i, u) in d.organization_units.iter().enumerate() {
            if !w.landing_zones.contains_key(&u.landing_zone_id) {
                return Err((
                    format!("scp.organization_units[{i}].landing_zone_id"),
                    format!("unknown landing zone `{}`", u.landing_zone_id),
                ));
            }
            if !u.id.starts_with("ou-") || w.units.insert(u.id.clone(), u.clone()).is_some() {
                return Err((
                    format!("scp.organization_units[{i}].id"),
                    format!("`{}` is a duplicate or does not start with `ou-`", u.id),
                ));
            }
        }
        for (i, k) in d.access_keys.iter().enumerate() {
            if k.access_key.is_empty()
                || w.access_keys
                    .insert(k.access_key.clone(), k.clone())
                    .is_some()
            {
                return Err((
                    format!("scp.access_keys[{i}].access_key"),
                    format!("empty or duplicate access key `{}`", k.access_key),
                ));
            }
        }
        for (i, a) in d.accounts.iter().enumerate() {
            let base = format!("scp.accounts[{i}]");
            if w.accounts.contains_key(&a.id) {
                return Err((
                    format!("{base}.id"),
                    format!("duplicate account id `{}`", a.id),
                ));
            }
            if !w.units.contains_key(&a.parent_unit_id) {
                return Err((
                    format!("{base}.parent_unit_id"),
                    format!("unknown organization unit `{}`", a.parent_unit_id),
                ));
            }
            if w.account_by_name(&a.organization_id, &a.name).is_some() {
                return Err((
                    format!("{base}.name"),
                    format!("duplicate account name `{}`", a.name),
                ));
            }
            if !a.email.is_empty() && w.account_by_email(&a.organization_id, &a.email).is_some() {
                return Err((
                    format!("{base}.email"),
                    format!("duplicate account email `{}`", a.email),
                ));
            }
            w.put_account(a.clone());
        }
        Ok(w)
    }
}
