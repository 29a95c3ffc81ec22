//! The world: what the real providers know, per family. Seeded from a fixtures document, changed only through API
//! calls and the control plane. The fixtures format and the `/_mock/state` export are one format ([`Document`]), so
//! an export can be loaded back as fixtures.
//!
//! Loading validates everything a careless fixture can get wrong (unknown fields, duplicate ids, dangling
//! references) and names the path inside the document of the first problem.

pub mod actions;
pub mod google;
pub mod ids;
pub mod index;
pub mod messages;
pub mod names;
pub mod ops;
pub mod orders;
pub mod scp;
pub mod state;
pub mod stored;
pub mod tracked;
pub mod yandex;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use self::google::{
    ChannelPartnerLink, CloudIdentity, ConsumerAccount, Customer, GoogleWorld, InvitationMail,
    Principal, ResellerAccount, UserInvitation,
};

/// The embedded default world (`fixtures/default.json`).
pub const DEFAULT_FIXTURES: &str = include_str!("../../fixtures/default.json");

/// The fixtures / state document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// A strict world rejects reseller accounts, organizations and landing zones it does not know (NOT_FOUND);
    /// a permissive one accepts them as empty.
    #[serde(default)]
    pub strict: bool,
    /// Where provmock's clock starts (it runs on from there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockSetting>,
    #[serde(default)]
    pub google: GoogleDocument,
    #[serde(default)]
    pub scp: scp::ScpDocument,
    #[serde(default)]
    pub yandex: yandex::YandexDocument,
    /// Operations, in a state export: restored as they were; pending ones finish on schedule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<crate::world::ops::Operation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSetting {
    pub start: DateTime<Utc>,
    /// Freeze the clock at `start` instead of letting it run.
    #[serde(default)]
    pub frozen: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleDocument {
    #[serde(default)]
    pub accounts: Vec<ResellerAccount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channel_partner_links: Vec<ChannelPartnerLink>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<Principal>,
    #[serde(default)]
    pub cloud_identities: Vec<CloudIdentity>,
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// Consumer (personal) Google accounts; the unmanaged ones in a customer's verified domains are its
    /// user invitations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumer_accounts: Vec<ConsumerAccount>,
    /// Invitations someone acted on (sent, cancelled, accepted, declined).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_invitations: Vec<UserInvitation>,
    /// Invitation emails that would have been sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitation_mail: Vec<InvitationMail>,
    /// Products, SKUs, offers and billing accounts resellers may sell (absent: the embedded default catalog).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<orders::Catalog>,
    /// Customers' entitlements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<orders::EntitlementRecord>,
}

/// A fixtures problem: where in the document, and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at `{path}`: {problem}")]
pub struct DocumentError {
    pub path: String,
    pub problem: String,
}

fn problem(path: impl Into<String>, problem: impl Into<String>) -> DocumentError {
    DocumentError {
        path: path.into(),
        problem: problem.into(),
    }
}

/// The runtime world.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub strict: bool,
    pub google: GoogleWorld,
    pub scp: scp::ScpWorld,
    pub yandex: yandex::YandexWorld,
}

impl Document {
    /// Parses JSON, naming the path of the first unknown field or wrong type.
    pub fn parse(text: &str) -> Result<Document, DocumentError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(crate::json_strict::ObjectsOnly::new(de)).map_err(|e| {
            let path = e.path().to_string();
            problem(
                if path == "." { "$".to_string() } else { path },
                e.into_inner().to_string(),
            )
        })
    }
}

impl World {
    /// Builds a world from a document, checking uniqueness and references.
    ///
    /// The same rules decide what the API may reach and what a document may hold, so every world the API can make
    /// exports, imports, snapshots and restores: in a permissive world (`strict: false`) references to reseller
    /// accounts and Yandex organizations that the document does not list are accepted as empty, exactly as the API
    /// accepts them in a request path; a strict world rejects them, as its API does.
    pub fn from_document(doc: &Document) -> Result<World, DocumentError> {
        let mut g = GoogleWorld::default();
        let gd = &doc.google;
        let strict = doc.strict;
        let known_account = |g: &GoogleWorld, a: &str| !strict || g.accounts.contains_key(a);

        for (i, a) in gd.accounts.iter().enumerate() {
            let path = format!("google.accounts[{i}].id");
            check_id(&path, &a.id)?;
            if g.accounts.insert(a.id.clone(), a.clone()).is_some() {
                return Err(problem(path, format!("duplicate account id `{}`", a.id)));
            }
        }
        for (i, l) in gd.channel_partner_links.iter().enumerate() {
            if !known_account(&g, &l.account) {
                return Err(problem(
                    format!("google.channel_partner_links[{i}].account"),
                    format!("unknown account `{}`", l.account),
                ));
            }
            check_id(&format!("google.channel_partner_links[{i}].id"), &l.id)?;
            if g.partner_links
                .insert((l.account.clone(), l.id.clone()), l.clone())
                .is_some()
            {
                return Err(problem(
                    format!("google.channel_partner_links[{i}].id"),
                    format!("duplicate channel partner link `{}`", l.id),
                ));
            }
        }
        let mut ci_ids = BTreeSet::new();
        for (i, ci) in gd.cloud_identities.iter().enumerate() {
            let base = format!("google.cloud_identities[{i}]");
            check_id(&format!("{base}.id"), &ci.id)?;
            if !ci_ids.insert(ci.id.clone()) {
                return Err(problem(
                    format!("{base}.id"),
                    format!("duplicate Cloud Identity id `{}`", ci.id),
                ));
            }
            for d in std::iter::once(&ci.primary_domain).chain(&ci.secondary_domains) {
                if let Some(other) = g.identity_by_domain(d) {
                    return Err(problem(
                        format!("{base}.primary_domain"),
                        format!(
                            "domain `{d}` already belongs to Cloud Identity `{}`",
                            other.id
                        ),
                    ));
                }
            }
            if let Some(other) = g.identity_by_admin(&ci.admin.email) {
                return Err(problem(
                    format!("{base}.admin.email"),
                    format!(
                        "admin `{}` already administers Cloud Identity `{}`",
                        ci.admin.email, other.id
                    ),
                ));
            }
            for a in &ci.authorized_accounts {
                if !known_account(&g, a.trim_start_matches("accounts/")) {
                    return Err(problem(
                        format!("{base}.authorized_accounts"),
                        format!("unknown account `{a}`"),
                    ));
                }
            }
            g.put_identity(ci.clone());
        }
        for (i, p) in gd.principals.iter().enumerate() {
            let base = format!("google.principals[{i}]");
            let mut p = p.clone();
            match p.token.take() {
                Some(t) if !t.is_empty() => p.token_sha256 = google::sha256_hex(&t),
                _ if !p.token_sha256.is_empty() => {}
                _ => {
                    return Err(problem(
                        format!("{base}.token"),
                        "a principal needs a token",
                    ));
                }
            }
            for a in &p.channel_accounts {
                if !known_account(&g, a) {
                    return Err(problem(
                        format!("{base}.channel_accounts"),
                        format!("unknown account `{a}`"),
                    ));
                }
            }
            if let Some(c) = &p.customer
                && !g.identities.contains_key(c)
            {
                return Err(problem(
                    format!("{base}.customer"),
                    format!("unknown Cloud Identity `{c}`"),
                ));
            }
            g.principals.push(p);
        }
        for (i, c) in gd.customers.iter().enumerate() {
            let base = format!("google.customers[{i}]");
            let account = customer_account(&c.name).ok_or_else(|| {
                problem(
                    format!("{base}.name"),
                    format!("`{}` is not accounts/{{a}}/customers/{{c}}", c.name),
                )
            })?;
            if !known_account(&g, account) {
                return Err(problem(
                    format!("{base}.name"),
                    format!("unknown account `{account}`"),
                ));
            }
            if g.customers.contains_key(&c.name) {
                return Err(problem(
                    format!("{base}.name"),
                    format!("duplicate customer `{}`", c.name),
                ));
            }
            if let Some(ci) = &c.cloud_identity_id {
                if !g.identities.contains_key(ci) {
                    return Err(problem(
                        format!("{base}.cloud_identity_id"),
                        format!("unknown Cloud Identity `{ci}`"),
                    ));
                }
                if g.customer_by_identity(c.parent(), ci).is_some() {
                    return Err(problem(
                        format!("{base}.cloud_identity_id"),
                        format!(
                            "Cloud Identity `{ci}` is already a customer of `{}`",
                            c.parent()
                        ),
                    ));
                }
            }
            if g.customer_by_domain(c.parent(), &c.domain).is_some() {
                return Err(problem(
                    format!("{base}.domain"),
                    format!(
                        "domain `{}` is already a customer of `{}`",
                        c.domain,
                        c.parent()
                    ),
                ));
            }
            g.put_customer(c.clone());
        }
        load_invitations(&mut g, gd)?;
        load_orders(&mut g, gd)?;
        let scp = scp::ScpWorld::from_document(&doc.scp).map_err(|(path, p)| problem(path, p))?;
        let yandex = yandex::YandexWorld::from_document(&doc.yandex, strict)
            .map_err(|(path, p)| problem(path, p))?;
        Ok(World {
            strict: doc.strict,
            google: g,
            scp,
            yandex,
        })
    }

    /// The world as a document (`GET /_mock/state`). Secrets appear only as SHA-256 hashes.
    pub fn to_document(&self, clock: Option<ClockSetting>) -> Document {
        let g = &self.google;
        Document {
            strict: self.strict,
            clock,
            google: GoogleDocument {
                accounts: g.accounts.values().cloned().collect(),
                channel_partner_links: g.partner_links.values().cloned().collect(),
                principals: g.principals.to_vec(),
                cloud_identities: g.identities.values().cloned().collect(),
                customers: g.customers.values().map(|c| (**c).clone()).collect(),
                consumer_accounts: g.consumer_accounts.values().cloned().collect(),
                user_invitations: g.invitations.values().cloned().collect(),
                invitation_mail: g.invitation_mail.to_vec(),
                catalog: (!g.orders.catalog.is_default).then(|| g.orders.catalog.source.clone()),
                entitlements: g.orders.entitlements.values().cloned().collect(),
            },
            scp: self.scp.to_document(),
            yandex: self.yandex.to_document(),
            operations: Vec::new(),
        }
    }
}

/// Consumer accounts, invitation records and sent mail: valid, lower-cased, unique, and pointing at known
/// Cloud Identities.
fn load_invitations(g: &mut GoogleWorld, gd: &GoogleDocument) -> Result<(), DocumentError> {
    use self::names::valid_email;
    for (i, a) in gd.consumer_accounts.iter().enumerate() {
        let path = format!("google.consumer_accounts[{i}].email");
        if !valid_email(&a.email) {
            return Err(problem(
                path,
                format!("`{}` is not a valid email address", a.email),
            ));
        }
        let mut a = a.clone();
        a.email = a.email.to_ascii_lowercase();
        if g.consumer_accounts.contains_key(&a.email) {
            return Err(problem(
                path,
                format!("duplicate consumer account `{}`", a.email),
            ));
        }
        g.put_consumer_account(a);
    }
    for (i, inv) in gd.user_invitations.iter().enumerate() {
        let base = format!("google.user_invitations[{i}]");
        if !g.identities.contains_key(&inv.customer) {
            return Err(problem(
                format!("{base}.customer"),
                format!("unknown Cloud Identity `{}`", inv.customer),
            ));
        }
        if !valid_email(&inv.email) {
            return Err(problem(
                format!("{base}.email"),
                format!("`{}` is not a valid email address", inv.email),
            ));
        }
        if inv.mails_sent_count < 0 {
            return Err(problem(
                format!("{base}.mails_sent_count"),
                format!("must not be negative, got {}", inv.mails_sent_count),
            ));
        }
        let mut inv = inv.clone();
        inv.email = inv.email.to_ascii_lowercase();
        let key = (inv.customer.clone(), inv.email.clone());
        if g.invitations.contains_key(&key) {
            return Err(problem(
                format!("{base}.email"),
                format!("duplicate invitation `{}`", inv.name()),
            ));
        }
        g.invitations.insert(key, inv);
    }
    for (i, m) in gd.invitation_mail.iter().enumerate() {
        if !valid_email(&m.to) {
            return Err(problem(
                format!("google.invitation_mail[{i}].to"),
                format!("`{}` is not a valid email address", m.to),
            ));
        }
    }
    g.invitation_mail = gd.invitation_mail.clone().into();
    Ok(())
}

/// The catalog (the embedded default when the document has none) and the entitlements: each names a known
/// customer with a Cloud Identity, an offer of the catalog, parameters within the offer's bounds, and a SKU the
/// customer holds once.
fn load_orders(g: &mut GoogleWorld, gd: &GoogleDocument) -> Result<(), DocumentError> {
    let catalog = match &gd.catalog {
        Some(c) => c.clone(),
        None => serde_json::from_str(orders::DEFAULT_CATALOG)
            .map_err(|e| problem("google.catalog", format!("embedded default catalog: {e}")))?,
    };
    let mut catalog = orders::CatalogIndex::load(catalog).map_err(|(path, p)| problem(path, p))?;
    catalog.is_default = gd.catalog.is_none();
    let mut skus = BTreeSet::new();
    for (i, r) in gd.entitlements.iter().enumerate() {
        let base = format!("google.entitlements[{i}].entitlement");
        let name = &r.entitlement.name;
        let customer = orders::customer_of_entitlement(name).ok_or_else(|| {
            problem(
                format!("{base}.name"),
                format!("`{name}` is not accounts/{{a}}/customers/{{c}}/entitlements/{{e}}"),
            )
        })?;
        let c = g.customers.get(customer).ok_or_else(|| {
            problem(
                format!("{base}.name"),
                format!("unknown customer `{customer}`"),
            )
        })?;
        if c.cloud_identity_id.is_none() {
            return Err(problem(
                format!("{base}.name"),
                format!(
                    "customer `{customer}` has no Cloud Identity, so it cannot hold entitlements"
                ),
            ));
        }
        if g.orders.entitlements.contains_key(name) {
            return Err(problem(
                format!("{base}.name"),
                format!("duplicate entitlement `{name}`"),
            ));
        }
        let account = customer_account(customer).unwrap_or("");
        let offer = match orders::offer_id(&r.entitlement.offer) {
            Some(id) if r.entitlement.offer == format!("accounts/{account}/offers/{id}") => {
                catalog.offer_for(account, id)
            }
            _ => None,
        }
        .ok_or_else(|| {
            problem(
                format!("{base}.offer"),
                format!(
                    "`{}` is not an offer of the catalog for `accounts/{account}`",
                    r.entitlement.offer
                ),
            )
        })?;
        let sku = offer
            .sku
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default();
        if r.sku() != sku {
            return Err(problem(
                format!("{base}.provisionedService"),
                format!(
                    "names SKU `{}`, but offer `{}` sells `{sku}`",
                    r.sku(),
                    offer.name
                ),
            ));
        }
        if !skus.insert((customer.to_string(), sku.clone())) {
            return Err(problem(
                format!("{base}.offer"),
                format!("customer `{customer}` already holds SKU `{sku}`"),
            ));
        }
        orders::check_parameters(
            &offer,
            &r.entitlement.parameters,
            &format!("{base}.parameters"),
            true,
        )
        .map_err(|(path, p)| problem(path, p))?;
        g.orders.entitlements.insert(name.clone(), r.clone());
    }
    for (id, ci) in g.identities.iter() {
        for (j, h) in ci.held_skus.iter().enumerate() {
            if !catalog.skus.contains_key(&h.sku) {
                let i = gd
                    .cloud_identities
                    .iter()
                    .position(|c| &c.id == id)
                    .unwrap_or(0);
                return Err(problem(
                    format!("google.cloud_identities[{i}].held_skus[{j}].sku"),
                    format!("unknown SKU `{}`", h.sku),
                ));
            }
        }
    }
    g.orders.catalog = std::sync::Arc::new(catalog);
    Ok(())
}

/// The account id of a customer name (`accounts/{a}/...`).
pub fn customer_account(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("accounts/")?;
    let (account, _) = rest.split_once('/')?;
    (!account.is_empty() && name.contains("/customers/")).then_some(account)
}

fn check_id(path: &str, id: &str) -> Result<(), DocumentError> {
    if id.is_empty() || id.contains('/') || id.chars().any(char::is_whitespace) {
        return Err(problem(
            path,
            format!("`{id}` is not a valid id (non-empty, no `/` or spaces)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_world_loads() {
        let doc = Document::parse(DEFAULT_FIXTURES).expect("default fixtures parse");
        let world = World::from_document(&doc).expect("default fixtures are consistent");
        assert!(world.google.identities.contains_key("C00000000"));
        assert_eq!(
            world
                .google
                .identity_by_domain("ALTOSTRAT.com")
                .map(|c| c.id.as_str()),
            Some("C00000000")
        );
    }

    #[test]
    fn unknown_field_names_its_path() {
        let err = Document::parse(r#"{"google":{"accounts":[{"id":"A1","colour":"red"}]}}"#)
            .expect_err("rejects");
        assert_eq!(err.path, "google.accounts[0].colour");
        assert!(err.problem.contains("colour"), "{}", err.problem);
    }

    #[test]
    fn duplicate_and_dangling_ids_are_named() {
        let doc = Document::parse(r#"{"google":{"accounts":[{"id":"A1"},{"id":"A1"}]}}"#)
            .expect("parses");
        let err = World::from_document(&doc).expect_err("duplicate");
        assert_eq!(err.path, "google.accounts[1].id");

        let doc = Document::parse(
            r#"{"google":{"accounts":[{"id":"A1"}],"customers":[{"name":"accounts/A1/customers/c1",
            "org_display_name":"X","domain":"x.com","create_time":"2026-01-01T00:00:00Z",
            "update_time":"2026-01-01T00:00:00Z","cloud_identity_id":"C0MISSING"}]}}"#,
        )
        .expect("parses");
        let err = World::from_document(&doc).expect_err("dangling");
        assert_eq!(err.path, "google.customers[0].cloud_identity_id");
        assert!(err.problem.contains("C0MISSING"));
    }

    #[test]
    fn consumer_accounts_are_validated_with_their_path() {
        let doc = Document::parse(
            r#"{"google":{"consumer_accounts":[{"email":"a@x.com"},{"email":"A@X.com"}]}}"#,
        )
        .expect("parses");
        let err = World::from_document(&doc).expect_err("duplicate");
        assert_eq!(err.path, "google.consumer_accounts[1].email");
        let doc = Document::parse(r#"{"google":{"consumer_accounts":[{"email":"nope"}]}}"#)
            .expect("parses");
        let err = World::from_document(&doc).expect_err("bad email");
        assert_eq!(err.path, "google.consumer_accounts[0].email");
        let err =
            Document::parse(r#"{"google":{"consumer_accounts":[{"email":"a@x.com","x":1}]}}"#)
                .expect_err("unknown field");
        assert_eq!(err.path, "google.consumer_accounts[0].x");
    }

    #[test]
    fn default_world_has_unmanaged_accounts_for_altostrat() {
        let doc = Document::parse(DEFAULT_FIXTURES).expect("parses");
        let world = World::from_document(&doc).expect("loads");
        let invs = world.google.invitations_of("C00000000");
        assert!(invs.len() >= 5, "{invs:?}");
        assert!(invs.iter().any(|i| i.email == "writer@altostrat.com"));
        assert!(invs.iter().all(|i| i.email.ends_with("@altostrat.com")));
    }

    #[test]
    fn export_never_contains_clear_tokens() {
        let doc = Document::parse(DEFAULT_FIXTURES).expect("parses");
        let world = World::from_document(&doc).expect("loads");
        let text = serde_json::to_string(&world.to_document(None)).expect("serialises");
        for ci in &doc.google.cloud_identities {
            if let Some(t) = &ci.auth_token {
                assert!(!text.contains(t.as_str()), "token of {} leaked", ci.id);
            }
        }
        for p in &doc.google.principals {
            if let Some(t) = &p.token {
                assert!(!text.contains(t.as_str()), "token of {} leaked", p.name);
            }
        }
        let again = World::from_document(&Document::parse(&text).expect("export parses"))
            .expect("export loads");
        assert_eq!(again.google.identities.len(), world.google.identities.len());
    }
}
