//! The Yandex side of the world: organizations, userpools (with their domains), users, the credentials provmock
//! accepts (fixture bearer tokens, OAuth tokens, service-account keys) and the IAM tokens it issued.
//!
//! No password or password hash is kept at all: provmock never authenticates IdP users, so it records only when a
//! password was set.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::google::sha256_hex;
use super::index::{self, NameIndex};
use super::tracked::{Tracked, TrackedVec};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PoolStatus {
    Creating,
    Active,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Userpool {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// e.g. `acme.idp.yandexcloud.net`.
    pub domains: Vec<String>,
    #[serde(default = "active_pool")]
    pub status: PoolStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn active_pool() -> PoolStatus {
    PoolStatus::Active
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Creating,
    Active,
    Suspended,
    Deleting,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserProfile {
    pub username: String,
    pub full_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub given_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub family_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone_number: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub external_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub company_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub department: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub job_title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub employee_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub userpool_id: String,
    pub status: UserStatus,
    pub profile: UserProfile,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_created_at: Option<DateTime<Utc>>,
    /// Whether the user should start SUSPENDED once created (`is_active=false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub start_suspended: bool,
}

/// A bearer token the fixtures grant (an IAM token or an OAuth token), hashed once loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Who it stands for (`created_by` of operations).
    pub subject: String,
    #[serde(default, skip_serializing)]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_sha256: String,
}

/// A service-account authorized key: JWTs name it in their `kid` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccountKey {
    pub id: String,
    pub service_account_id: String,
}

/// An IAM token provmock issued (only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuedToken {
    pub token_sha256: String,
    pub subject: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YandexDocument {
    #[serde(default)]
    pub organizations: Vec<Organization>,
    #[serde(default)]
    pub userpools: Vec<Userpool>,
    #[serde(default)]
    pub users: Vec<User>,
    /// Bearer tokens accepted in `--auth strict` for every call.
    #[serde(default)]
    pub iam_tokens: Vec<Credential>,
    /// OAuth tokens IamTokenService.Create accepts in `--auth strict`.
    #[serde(default)]
    pub oauth_tokens: Vec<Credential>,
    #[serde(default)]
    pub service_account_keys: Vec<ServiceAccountKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issued_tokens: Vec<IssuedToken>,
}

#[derive(Debug, Clone, Default)]
pub struct YandexWorld {
    pub organizations: Tracked<String, Organization>,
    pub userpools: Tracked<String, Userpool>,
    pub users: Tracked<String, User>,
    pub iam_tokens: TrackedVec<Credential>,
    pub oauth_tokens: TrackedVec<Credential>,
    pub service_account_keys: Tracked<String, ServiceAccountKey>,
    /// token hash → issued token.
    pub issued: Tracked<String, IssuedToken>,
    /// (userpool, lower-case username) → user id.
    usernames: NameIndex,
    /// lower-case domain → userpool id.
    pub domains: HashMap<String, String>,
}

impl YandexWorld {
    pub fn user_by_username(&self, pool: &str, username: &str) -> Option<&User> {
        self.usernames
            .get(index::key(pool, username))
            .filter_map(|id| self.users.get(id))
            .find(|u| u.userpool_id == pool && index::same_name(&u.profile.username, username))
    }

    pub fn put_user(&mut self, u: User) {
        // The usual update (a create finishing, a profile change) keeps the pool and username: no index moves.
        if let Some(old) = self.users.get_mut(&u.id)
            && old.userpool_id == u.userpool_id
            && old.profile.username == u.profile.username
        {
            *old = u;
            return;
        }
        self.remove_user(&u.id);
        self.usernames
            .insert(index::key(&u.userpool_id, &u.profile.username), &u.id);
        self.users.insert(u.id.clone(), u);
    }

    pub fn remove_user(&mut self, id: &str) -> Option<User> {
        let old = self.users.remove(id)?;
        self.usernames
            .remove(index::key(&old.userpool_id, &old.profile.username), &old.id);
        Some(old)
    }

    /// Rebuilds the username and domain indexes from the users and userpools.
    pub fn reindex(&mut self) {
        self.usernames.clear();
        for u in self.users.values() {
            self.usernames
                .insert(index::key(&u.userpool_id, &u.profile.username), &u.id);
        }
        self.domains.clear();
        for p in self.userpools.values() {
            for d in &p.domains {
                self.domains.insert(d.to_lowercase(), p.id.clone());
            }
        }
    }

    pub fn pool_has_users(&self, pool: &str) -> bool {
        self.users.values().any(|u| u.userpool_id == pool)
    }

    pub fn put_pool(&mut self, p: Userpool) {
        for d in &p.domains {
            self.domains.insert(d.to_lowercase(), p.id.clone());
        }
        self.userpools.insert(p.id.clone(), p);
    }

    pub fn remove_pool(&mut self, id: &str) -> Option<Userpool> {
        let p = self.userpools.remove(id)?;
        for d in &p.domains {
            self.domains.remove(&d.to_lowercase());
        }
        Some(p)
    }

    /// The subject a bearer token stands for: a fixture token or an unexpired issued one.
    pub fn subject_of(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        let h = crate::world::google::sha256_hex(token);
        if let Some(c) = self.iam_tokens.iter().find(|c| c.token_sha256 == h) {
            return Some(c.subject.clone());
        }
        self.issued
            .get(&h)
            .filter(|t| t.expires_at > now)
            .map(|t| t.subject.clone())
    }

    pub fn oauth_subject(&self, token: &str) -> Option<String> {
        let h = crate::world::google::sha256_hex(token);
        self.oauth_tokens
            .iter()
            .find(|c| c.token_sha256 == h)
            .map(|c| c.subject.clone())
    }

    pub fn to_document(&self) -> YandexDocument {
        let mut issued: Vec<IssuedToken> = self.issued.values().cloned().collect();
        issued.sort_by(|a, b| a.token_sha256.cmp(&b.token_sha256));
        YandexDocument {
            organizations: self.organizations.values().cloned().collect(),
            userpools: self.userpools.values().cloned().collect(),
            users: self.users.values().cloned().collect(),
            iam_tokens: self.iam_tokens.to_vec(),
            oauth_tokens: self.oauth_tokens.to_vec(),
            service_account_keys: self.service_account_keys.values().cloned().collect(),
            issued_tokens: issued,
        }
    }

    /// `strict`: whether userpools must belong to a listed organization (a permissive world's API accepts any).
    pub fn from_document(
        d: &YandexDocument,
        strict: bool,
    ) -> Result<YandexWorld, (String, String)> {
        let mut w = YandexWorld::default();
        for (i, o) in d.organizations.iter().enumerate() {
            if o.id.is_empty() || w.organizations.insert(o.id.clone(), o.clone()).is_some() {
                return Err((
                    format!("yandex.organizations[{i}].id"),
                    format!("empty or duplicate organization id `{}`", o.id),
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for (i, p) in d.userpools.iter().enumerate() {
            if p.id.is_empty() || !ids.insert(p.id.clone()) {
                return Err((
                    format!("yandex.userpools[{i}].id"),
                    format!("empty or duplicate userpool id `{}`", p.id),
                ));
            }
            if strict && !w.organizations.contains_key(&p.organization_id) {
                return Err((
                    format!("yandex.userpools[{i}].organization_id"),
                    format!("unknown organization `{}`", p.organization_id),
                ));
            }
            for d in &p.domains {
                if w.domains.contains_key(&d.to_lowercase()) {
                    return Err((
                        format!("yandex.userpools[{i}].domains"),
                        format!("domain `{d}` belongs to another userpool"),
                    ));
                }
            }
            w.put_pool(p.clone());
        }
        for (i, u) in d.users.iter().enumerate() {
            if u.id.is_empty() || w.users.contains_key(&u.id) {
                return Err((
                    format!("yandex.users[{i}].id"),
                    format!("empty or duplicate user id `{}`", u.id),
                ));
            }
            if !w.userpools.contains_key(&u.userpool_id) {
                return Err((
                    format!("yandex.users[{i}].userpool_id"),
                    format!("unknown userpool `{}`", u.userpool_id),
                ));
            }
            if w.user_by_username(&u.userpool_id, &u.profile.username)
                .is_some()
            {
                return Err((
                    format!("yandex.users[{i}].username"),
                    format!("duplicate username `{}`", u.profile.username),
                ));
            }
            w.put_user(u.clone());
        }
        for (field, list, out) in [
            ("iam_tokens", &d.iam_tokens, &mut w.iam_tokens),
            ("oauth_tokens", &d.oauth_tokens, &mut w.oauth_tokens),
        ] {
            for (i, c) in list.iter().enumerate() {
                let mut c = c.clone();
                match c.token.take() {
                    Some(t) if !t.is_empty() => c.token_sha256 = sha256_hex(&t),
                    _ if !c.token_sha256.is_empty() => {}
                    _ => {
                        return Err((
                            format!("yandex.{field}[{i}].token"),
                            "a token is required".to_string(),
                        ));
                    }
                }
                out.push(c);
            }
        }
        for (i, k) in d.service_account_keys.iter().enumerate() {
            if k.id.is_empty()
                || w.service_account_keys
                    .insert(k.id.clone(), k.clone())
                    .is_some()
            {
                return Err((
                    format!("yandex.service_account_keys[{i}].id"),
                    format!("empty or duplicate key id `{}`", k.id),
                ));
            }
        }
        for t in &d.issued_tokens {
            w.issued.insert(t.token_sha256.clone(), t.clone());
        }
        Ok(w)
    }
}
