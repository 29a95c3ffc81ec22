//! Cloud Channel's business rules, once, for REST and gRPC alike: each method takes the request proto and returns
//! the response proto or an `ApiError`. Where does import decide ALREADY_EXISTS? Here.

use super::filter::{self, Subject};
use crate::app::App;
use crate::config::AuthMode;
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::paging;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::google::Version;
use crate::request::Caller;
use crate::world::actions::Action;
use crate::world::actions::channel::{ProvisionAction, check_directory_free};
use crate::world::google::{AdminUser, Customer, CustomerType, GoogleWorld};
use crate::world::messages::{customer_not_found, customer_proto};
use crate::world::names::{valid_domain, valid_email};
use crate::world::ops::Operation;
use crate::world::state::State;
use crate::world::stored;

/// Longest string we accept in any Channel text field. guess: the docs give no limits.
const MAX_TEXT: usize = 1024;
pub const PROVISION_KIND: &str = "channel.provisionCloudIdentity";

/// A parsed `accounts/{a}` or `accounts/{a}/channelPartnerLinks/{l}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    pub account: String,
    pub link: Option<String>,
}

impl Parent {
    pub fn parse(s: &str, field: &str) -> ApiResult<Parent> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            ["accounts", a] if valid_id(a) => Ok(Parent {
                account: a.to_string(),
                link: None,
            }),
            ["accounts", a, "channelPartnerLinks", l] if valid_id(a) && valid_id(l) => Ok(Parent {
                account: a.to_string(),
                link: Some(l.to_string()),
            }),
            _ => Err(ApiError::invalid_field(
                field,
                format!(
                    "`{s}` is not accounts/{{account}} or accounts/{{account}}/channelPartnerLinks/{{link}}"
                ),
            )),
        }
    }

    pub fn name(&self) -> String {
        match &self.link {
            None => format!("accounts/{}", self.account),
            Some(l) => format!("accounts/{}/channelPartnerLinks/{l}", self.account),
        }
    }

    /// The prefix of customer names under this parent (`…/customers`).
    pub fn customers(&self) -> String {
        format!("{}/customers", self.name())
    }
}

pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Splits `…/customers/{c}` into its parent and checks the id.
pub(crate) fn parse_customer_name(name: &str, field: &str) -> ApiResult<Parent> {
    let bad = || {
        ApiError::invalid_field(
            field,
            format!("`{name}` is not a customer name ({{parent}}/customers/{{customer}})"),
        )
    };
    let (parent, id) = name.rsplit_once("/customers/").ok_or_else(bad)?;
    if !valid_id(id) {
        return Err(bad());
    }
    Parent::parse(parent, field).map_err(|_| bad())
}

/// Strict auth: the caller's token must belong to a principal of this reseller account.
pub(crate) fn authorize(app: &App, st: &State, caller: &Caller, account: &str) -> ApiResult<()> {
    if app.config.auth != AuthMode::Strict {
        return Ok(());
    }
    let principal = principal(&st.world.google, caller)?;
    if principal.channel_accounts.iter().any(|a| a == account) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "principal `{}` may not act for reseller account `accounts/{account}`",
            principal.name
        ))
        .with_reason("PERMISSION_DENIED"))
    }
}

/// Strict auth for methods not tied to one account in their path (operations): the reseller accounts the caller
/// may act for, or `None` (every account) in permissive auth. A principal with no Channel account gets an empty
/// list, so it sees no operation.
pub fn accounts_of_caller(
    app: &App,
    st: &State,
    caller: &Caller,
) -> ApiResult<Option<Vec<String>>> {
    if app.config.auth != AuthMode::Strict {
        return Ok(None);
    }
    principal(&st.world.google, caller).map(|p| Some(p.channel_accounts.clone()))
}

/// The reseller account id of a customer name (`accounts/{a}/customers/{c}` → `a`).
pub(crate) fn account_of(customer: &str) -> &str {
    customer
        .strip_prefix("accounts/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

fn principal<'a>(
    g: &'a GoogleWorld,
    caller: &Caller,
) -> ApiResult<&'a crate::world::google::Principal> {
    let token = caller.bearer.as_deref().ok_or_else(|| {
        ApiError::unauthenticated(
            "request had no `Authorization: Bearer` token (provmock runs with --auth strict)",
        )
        .with_reason("CREDENTIALS_MISSING")
    })?;
    g.principal(token).ok_or_else(|| {
        ApiError::unauthenticated("the bearer token is not known to provmock's fixtures")
            .with_reason("ACCESS_TOKEN_INVALID")
    })
}

/// In a strict world the account (and link) must exist; a permissive world accepts any as empty.
pub(crate) fn check_parent_exists(st: &State, parent: &Parent) -> ApiResult<()> {
    if !st.world.strict {
        return Ok(());
    }
    if !st.world.google.accounts.contains_key(&parent.account) {
        return Err(ApiError::not_found(format!(
            "reseller account `accounts/{}` not found",
            parent.account
        ))
        .with_reason("ACCOUNT_NOT_FOUND"));
    }
    if let Some(l) = &parent.link
        && !st
            .world
            .google
            .partner_links
            .contains_key(&(parent.account.clone(), l.clone()))
    {
        return Err(ApiError::not_found(format!(
            "channel partner link `{}` not found",
            parent.name()
        )));
    }
    Ok(())
}

// ---------- validation ----------

fn email_domain(e: &str) -> &str {
    e.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

pub(crate) fn check_len(field: &str, v: &str) -> ApiResult<()> {
    if v.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "is {} characters long; at most {MAX_TEXT} are accepted",
                v.chars().count()
            ),
        ));
    }
    Ok(())
}

/// Everything create and patch require of a customer's data.
fn validate_customer(c: &pb::Customer) -> ApiResult<()> {
    for (field, v) in [
        ("orgDisplayName", &c.org_display_name),
        ("alternateEmail", &c.alternate_email),
        ("domain", &c.domain),
        ("languageCode", &c.language_code),
        ("channelPartnerId", &c.channel_partner_id),
        ("correlationId", &c.correlation_id),
    ] {
        check_len(field, v)?;
    }
    if c.org_display_name.trim().is_empty() {
        return Err(ApiError::invalid_field("orgDisplayName", "is required"));
    }
    let addr = c
        .org_postal_address
        .as_ref()
        .ok_or_else(|| ApiError::invalid_field("orgPostalAddress", "is required"))?;
    if addr.region_code.is_empty() {
        return Err(ApiError::invalid_field(
            "orgPostalAddress.regionCode",
            "is required",
        ));
    }
    if addr.region_code.len() != 2 || !addr.region_code.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::invalid_field(
            "orgPostalAddress.regionCode",
            format!(
                "`{}` is not a CLDR region code such as `US`",
                addr.region_code
            ),
        ));
    }
    if addr.postal_code.is_empty() {
        return Err(ApiError::invalid_field(
            "orgPostalAddress.postalCode",
            "is required",
        ));
    }
    if addr.address_lines.iter().all(|l| l.trim().is_empty()) {
        return Err(ApiError::invalid_field(
            "orgPostalAddress.addressLines",
            "at least one address line is required",
        ));
    }
    if c.domain.is_empty() {
        return Err(ApiError::invalid_field("domain", "is required"));
    }
    if !valid_domain(&c.domain) {
        return Err(ApiError::invalid_field(
            "domain",
            format!("`{}` is not a valid domain name", c.domain),
        ));
    }
    if !c.alternate_email.is_empty() && !valid_email(&c.alternate_email) {
        return Err(ApiError::invalid_field(
            "alternateEmail",
            format!("`{}` is not a valid email address", c.alternate_email),
        ));
    }
    if let Some(contact) = &c.primary_contact_info {
        for (field, v) in [
            ("primaryContactInfo.firstName", &contact.first_name),
            ("primaryContactInfo.lastName", &contact.last_name),
            ("primaryContactInfo.email", &contact.email),
            ("primaryContactInfo.title", &contact.title),
            ("primaryContactInfo.phone", &contact.phone),
        ] {
            check_len(field, v)?;
        }
        if !contact.email.is_empty() {
            if !valid_email(&contact.email) {
                return Err(ApiError::invalid_field(
                    "primaryContactInfo.email",
                    format!("`{}` is not a valid email address", contact.email),
                ));
            }
            if !email_domain(&contact.email).eq_ignore_ascii_case(&c.domain) {
                return Err(ApiError::invalid_field(
                    "primaryContactInfo.email",
                    format!(
                        "`{}` is not in the customer's domain `{}`",
                        contact.email, c.domain
                    ),
                )
                .with_reason("DOMAIN_MISMATCH"));
            }
        }
    }
    if pb::customer::CustomerAttestationState::try_from(c.customer_attestation_state).is_err() {
        return Err(ApiError::invalid_field(
            "customerAttestationState",
            format!(
                "{} is not a CustomerAttestationState",
                c.customer_attestation_state
            ),
        ));
    }
    Ok(())
}

// ---------- rendering ----------

// ---------- methods ----------

pub fn list_customers(
    app: &App,
    caller: &Caller,
    req: pb::ListCustomersRequest,
) -> ApiResult<pb::ListCustomersResponse> {
    let parent = Parent::parse(&req.parent, "parent")?;
    let st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let size = paging::page_size(i64::from(req.page_size), 10, 50, "pageSize")?;
    let filter = filter::parse(&req.filter)?;
    let fp = paging::fingerprint(&[&parent.name(), &req.filter]);
    let prefix = format!("{}/", parent.customers());
    let start = if req.page_token.is_empty() {
        prefix.clone()
    } else {
        paging::decode(&req.page_token, &fp, "pageToken")?
    };

    check_parent_exists(&st, &parent)?;
    let g = &st.world.google;
    let in_parent = paging::after(&g.customers, start)
        .take_while(|(name, _)| name.starts_with(&prefix))
        .map(|(name, c)| (name, &**c));
    let keep = |name: &str, c: &Customer| {
        !name[prefix.len()..].contains('/')
            && filter.as_ref().is_none_or(|f| {
                f.matches(&Subject {
                    domain: &c.domain,
                    org_display_name: &c.org_display_name,
                    cloud_identity_id: c.cloud_identity_id.as_deref().unwrap_or(""),
                    channel_partner_id: &c.channel_partner_id,
                })
            })
    };
    let (customers, next_page_token) =
        paging::take_page(in_parent, size, &fp, keep, |c| customer_proto(g, c));
    Ok(pb::ListCustomersResponse {
        customers,
        next_page_token,
    })
}

pub fn get_customer(
    app: &App,
    caller: &Caller,
    req: pb::GetCustomerRequest,
) -> ApiResult<pb::Customer> {
    let parent = parse_customer_name(&req.name, "name")?;
    let st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let c = st
        .world
        .google
        .customers
        .get(&req.name)
        .ok_or_else(|| customer_not_found(&req.name))?;
    Ok(customer_proto(&st.world.google, c))
}

pub fn create_customer(
    app: &App,
    caller: &Caller,
    req: pb::CreateCustomerRequest,
) -> ApiResult<pb::Customer> {
    let parent = Parent::parse(&req.parent, "parent")?;
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let input = req
        .customer
        .ok_or_else(|| ApiError::invalid_field("customer", "is required"))?;
    validate_customer(&input)?;
    let now = app.clock.now();
    check_parent_exists(&st, &parent)?;
    if let Some(existing) = st
        .world
        .google
        .customer_by_domain(&parent.name(), &input.domain)
    {
        return Err(ApiError::already_exists(format!(
            "a customer with domain `{}` already exists under `{}`: `{}`",
            input.domain,
            parent.name(),
            existing.name
        ))
        .with_reason("CUSTOMER_ALREADY_EXISTS"));
    }
    let channel_partner_id = parent.link.clone().unwrap_or(input.channel_partner_id);
    let customer = Customer {
        name: String::new(),
        org_display_name: input.org_display_name,
        org_postal_address: input.org_postal_address.unwrap_or_default(),
        primary_contact_info: input.primary_contact_info,
        alternate_email: input.alternate_email,
        domain: input.domain,
        create_time: now,
        update_time: now,
        cloud_identity_id: None,
        language_code: input.language_code,
        channel_partner_id,
        correlation_id: input.correlation_id,
        customer_attestation_state: input.customer_attestation_state,
        provisioning_operation: None,
    };
    // A new customer has no Cloud Identity yet, so it renders the same before it is stored; only its name is drawn.
    let mut out = customer_proto(&st.world.google, &customer);
    let customers = parent.customers();
    let st = &mut *st;
    // guess: customer ids look like `S0` and 12 upper-case letters or digits (`Ids::customer_id`).
    out.name = st
        .world
        .google
        .insert_new_customer(customer, || format!("{customers}/{}", st.ids.customer_id()));
    Ok(out)
}

/// `updateMask` paths (camelCase or snake_case) that may be updated.
const UPDATABLE: &[&str] = &[
    "org_display_name",
    "org_postal_address",
    "primary_contact_info",
    "alternate_email",
    "domain",
    "language_code",
    "channel_partner_id",
    "correlation_id",
    "customer_attestation_state",
];
const OUTPUT_ONLY: &[&str] = &[
    "name",
    "create_time",
    "update_time",
    "cloud_identity_id",
    "cloud_identity_info",
];

pub fn update_customer(
    app: &App,
    caller: &Caller,
    req: pb::UpdateCustomerRequest,
) -> ApiResult<pb::Customer> {
    let input = req
        .customer
        .ok_or_else(|| ApiError::invalid_field("customer", "is required"))?;
    let parent = parse_customer_name(&input.name, "customer.name")?;
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    // guess: without an updateMask every updatable field present (non-empty) in the body is updated, so a client
    // that forgets the mask cannot blank fields it did not send.
    let paths: Vec<String> = match &req.update_mask {
        Some(m) if !m.paths.is_empty() => m
            .paths
            .iter()
            .map(|p| super::super::snake_case(p))
            .collect(),
        _ => {
            let mut p = Vec::new();
            let present = [
                ("org_display_name", !input.org_display_name.is_empty()),
                ("org_postal_address", input.org_postal_address.is_some()),
                ("primary_contact_info", input.primary_contact_info.is_some()),
                ("alternate_email", !input.alternate_email.is_empty()),
                ("domain", !input.domain.is_empty()),
                ("language_code", !input.language_code.is_empty()),
                ("channel_partner_id", !input.channel_partner_id.is_empty()),
                ("correlation_id", !input.correlation_id.is_empty()),
                (
                    "customer_attestation_state",
                    input.customer_attestation_state != 0,
                ),
            ];
            for (k, yes) in present {
                if yes {
                    p.push(k.to_string());
                }
            }
            p
        }
    };
    for p in &paths {
        let top = p.split('.').next().unwrap_or("");
        if OUTPUT_ONLY.contains(&top) {
            return Err(ApiError::invalid_field(
                "updateMask",
                format!("`{p}` is output only and cannot be updated"),
            ));
        }
        if !UPDATABLE.contains(&top) {
            return Err(ApiError::invalid_field(
                "updateMask",
                format!("unknown field path `{p}` in update mask"),
            ));
        }
    }

    let now = app.clock.now();
    let current = st
        .world
        .google
        .customers
        .get(&input.name)
        .cloned()
        .ok_or_else(|| customer_not_found(&input.name))?;
    let mut next = customer_proto(&st.world.google, &current);
    for p in &paths {
        apply_path(&mut next, &input, p)?;
    }
    validate_customer(&next)?;
    if !next.domain.eq_ignore_ascii_case(&current.domain) {
        if current.cloud_identity_id.is_some() {
            return Err(ApiError::failed_precondition(format!(
                "the domain of `{}` cannot change: it is linked to Cloud Identity `{}`",
                current.name,
                current.cloud_identity_id.as_deref().unwrap_or("")
            )));
        }
        if let Some(other) = st
            .world
            .google
            .customer_by_domain(current.parent(), &next.domain)
        {
            return Err(ApiError::already_exists(format!(
                "a customer with domain `{}` already exists: `{}`",
                next.domain, other.name
            )));
        }
    }
    let updated = Customer {
        org_display_name: next.org_display_name,
        org_postal_address: next.org_postal_address.unwrap_or_default(),
        primary_contact_info: next.primary_contact_info.map(|mut c| {
            c.display_name.clear();
            c
        }),
        alternate_email: next.alternate_email,
        domain: next.domain,
        language_code: next.language_code,
        channel_partner_id: next.channel_partner_id,
        correlation_id: next.correlation_id,
        customer_attestation_state: next.customer_attestation_state,
        update_time: now,
        ..*current
    };
    let out = customer_proto(&st.world.google, &updated);
    st.world.google.put_customer(updated);
    Ok(out)
}

/// Copies one mask path (snake_case, possibly nested one level) from `src` into `dst`.
fn apply_path(dst: &mut pb::Customer, src: &pb::Customer, path: &str) -> ApiResult<()> {
    let (top, sub) = match path.split_once('.') {
        Some((t, s)) => (t, Some(s)),
        None => (path, None),
    };
    match (top, sub) {
        ("org_display_name", None) => dst.org_display_name = src.org_display_name.clone(),
        ("alternate_email", None) => dst.alternate_email = src.alternate_email.clone(),
        ("domain", None) => dst.domain = src.domain.clone(),
        ("language_code", None) => dst.language_code = src.language_code.clone(),
        ("channel_partner_id", None) => dst.channel_partner_id = src.channel_partner_id.clone(),
        ("correlation_id", None) => dst.correlation_id = src.correlation_id.clone(),
        ("customer_attestation_state", None) => {
            dst.customer_attestation_state = src.customer_attestation_state
        }
        ("org_postal_address", None) => dst.org_postal_address = src.org_postal_address.clone(),
        ("primary_contact_info", None) => {
            dst.primary_contact_info = src.primary_contact_info.clone()
        }
        ("org_postal_address", Some(f)) => {
            let s = src.org_postal_address.clone().unwrap_or_default();
            let d = dst.org_postal_address.get_or_insert_with(Default::default);
            match f {
                "region_code" => d.region_code = s.region_code,
                "language_code" => d.language_code = s.language_code,
                "postal_code" => d.postal_code = s.postal_code,
                "sorting_code" => d.sorting_code = s.sorting_code,
                "administrative_area" => d.administrative_area = s.administrative_area,
                "locality" => d.locality = s.locality,
                "sublocality" => d.sublocality = s.sublocality,
                "address_lines" => d.address_lines = s.address_lines,
                "recipients" => d.recipients = s.recipients,
                "organization" => d.organization = s.organization,
                _ => {
                    return Err(ApiError::invalid_field(
                        "updateMask",
                        format!("unknown field path `{path}` in update mask"),
                    ));
                }
            }
        }
        ("primary_contact_info", Some(f)) => {
            let s = src.primary_contact_info.clone().unwrap_or_default();
            let d = dst
                .primary_contact_info
                .get_or_insert_with(Default::default);
            match f {
                "first_name" => d.first_name = s.first_name,
                "last_name" => d.last_name = s.last_name,
                "email" => d.email = s.email,
                "title" => d.title = s.title,
                "phone" => d.phone = s.phone,
                _ => {
                    return Err(ApiError::invalid_field(
                        "updateMask",
                        format!("unknown field path `{path}` in update mask"),
                    ));
                }
            }
        }
        _ => {
            return Err(ApiError::invalid_field(
                "updateMask",
                format!("unknown field path `{path}` in update mask"),
            ));
        }
    }
    Ok(())
}

pub fn delete_customer(
    app: &App,
    caller: &Caller,
    req: pb::DeleteCustomerRequest,
) -> ApiResult<()> {
    let parent = parse_customer_name(&req.name, "name")?;
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let c = st
        .world
        .google
        .customers
        .get(&req.name)
        .ok_or_else(|| customer_not_found(&req.name))?;
    if let Some(op) = &c.provisioning_operation {
        return Err(ApiError::failed_precondition(format!(
            "customer `{}` cannot be deleted while operation `{op}` provisions its Cloud Identity",
            req.name
        ))
        .with_precondition(
            "PROVISIONING",
            req.name.clone(),
            "a Cloud Identity is being provisioned",
        ));
    }
    if let Some((e, _)) = st.world.google.orders.of_customer(&req.name).next() {
        return Err(ApiError::failed_precondition(format!(
            "customer `{}` still has entitlement `{e}`; cancel or transfer its entitlements first",
            req.name
        ))
        .with_precondition(
            "ENTITLEMENTS_EXIST",
            req.name.clone(),
            "the customer has entitlements",
        ));
    }
    st.world.google.remove_customer(&req.name);
    Ok(())
}

pub fn import_customer(
    app: &App,
    caller: &Caller,
    req: pb::ImportCustomerRequest,
) -> ApiResult<pb::Customer> {
    use pb::import_customer_request::CustomerIdentity as Key;
    let parent = Parent::parse(&req.parent, "parent")?;
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let key = req.customer_identity.clone().ok_or_else(|| {
        ApiError::invalid_argument(
            "exactly one of `domain`, `cloudIdentityId` or `primaryAdminEmail` must be set",
        )
        .with_violation(
            "customerIdentity",
            "none of domain, cloudIdentityId, primaryAdminEmail was set",
        )
    })?;
    let (field, value) = match &key {
        Key::Domain(d) => ("domain", d),
        Key::CloudIdentityId(id) => ("cloudIdentityId", id),
        Key::PrimaryAdminEmail(e) => ("primaryAdminEmail", e),
    };
    if value.trim().is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    check_len(field, value)?;
    if !req.customer.is_empty() {
        let target = parse_customer_name(&req.customer, "customer")?;
        if target != parent {
            return Err(ApiError::invalid_field(
                "customer",
                format!(
                    "`{}` is not under the parent `{}`",
                    req.customer,
                    parent.name()
                ),
            ));
        }
    }

    let now = app.clock.now();
    check_parent_exists(&st, &parent)?;
    let g = &st.world.google;
    let ci = match &key {
        Key::Domain(d) => g.identity_by_domain(d),
        Key::CloudIdentityId(id) => g.identities.get(id),
        Key::PrimaryAdminEmail(e) => g.identity_by_admin(e),
    }
    .cloned()
    .ok_or_else(|| {
        ApiError::not_found(format!("no Cloud Identity found for {field} `{value}`"))
            .with_reason("CLOUD_IDENTITY_NOT_FOUND")
    })?;

    let account_ref = format!("accounts/{}", parent.account);
    if ci.auth_token_sha256.is_some() && !ci.authorized_accounts.contains(&account_ref) {
        if req.auth_token.is_empty() {
            return Err(ApiError::invalid_field(
                "authToken",
                format!("Cloud Identity `{}` requires the customer's authToken to import it into `{account_ref}`", ci.id),
            )
            .with_reason("AUTH_TOKEN_REQUIRED"));
        }
        if !ci.token_matches(&req.auth_token) {
            return Err(ApiError::invalid_field(
                "authToken",
                format!(
                    "authToken for Cloud Identity `{}` is invalid or expired",
                    ci.id
                ),
            )
            .with_reason("INVALID_AUTH_TOKEN"));
        }
    }

    let customers = parent.customers();
    let linked = g.customer_by_identity(&parent.name(), &ci.id).cloned();
    let same_domain = g
        .customer_by_domain(&parent.name(), &ci.primary_domain)
        .cloned();
    let existing = linked.or(same_domain);
    if let Some(existing) = &existing
        && !req.overwrite_if_exists
    {
        return Err(ApiError::already_exists(format!(
            "Cloud Identity `{}` ({}) is already customer `{}`; set overwriteIfExists to update it",
            ci.id, ci.primary_domain, existing.name
        ))
        .with_reason("CUSTOMER_ALREADY_EXISTS"));
    }
    if let Some(existing) = &existing
        && !req.customer.is_empty()
        && existing.name != req.customer
    {
        return Err(ApiError::already_exists(format!(
            "Cloud Identity `{}` is already customer `{}`, not `{}`",
            ci.id, existing.name, req.customer
        )));
    }
    if existing.is_none() && !req.customer.is_empty() && g.customers.contains_key(&req.customer) {
        return Err(ApiError::already_exists(format!(
            "customer `{}` already exists for another domain",
            req.customer
        )));
    }

    let name = match (&existing, req.customer.is_empty()) {
        (Some(e), _) => e.name.clone(),
        (None, false) => req.customer.clone(),
        (None, true) => loop {
            let candidate = format!("{customers}/{}", st.ids.customer_id());
            if !st.world.google.customers.contains_key(&candidate) {
                break candidate;
            }
        },
    };
    let channel_partner_id = parent
        .link
        .clone()
        .unwrap_or(req.channel_partner_id.clone());
    let admin = &ci.admin;
    let customer = Customer {
        name,
        org_display_name: ci.org_display_name.clone(),
        org_postal_address: ci.org_postal_address.clone().unwrap_or_default(),
        primary_contact_info: Some(pb::ContactInfo {
            first_name: admin.given_name.clone(),
            last_name: admin.family_name.clone(),
            display_name: String::new(),
            email: admin.email.clone(),
            title: String::new(),
            phone: String::new(),
        }),
        alternate_email: ci.alternate_email.clone(),
        domain: ci.primary_domain.clone(),
        create_time: existing.as_ref().map(|e| e.create_time).unwrap_or(now),
        update_time: now,
        cloud_identity_id: Some(ci.id.clone()),
        language_code: ci.language_code.clone(),
        channel_partner_id,
        correlation_id: existing
            .as_ref()
            .map(|e| e.correlation_id.clone())
            .unwrap_or_default(),
        customer_attestation_state: existing
            .as_ref()
            .map(|e| e.customer_attestation_state)
            .unwrap_or(0),
        provisioning_operation: None,
    };
    if let Some(ci_mut) = st.world.google.identities.get_mut(&ci.id) {
        ci_mut.authorized_accounts.insert(account_ref);
    }
    let out = customer_proto(&st.world.google, &customer);
    st.world.google.put_customer(customer);
    Ok(out)
}

pub fn provision_cloud_identity(
    app: &App,
    caller: &Caller,
    req: pb::ProvisionCloudIdentityRequest,
) -> ApiResult<Operation> {
    let parent = parse_customer_name(&req.customer, "customer")?;
    if parent.link.is_some() {
        return Err(ApiError::invalid_field(
            "customer",
            format!(
                "`{}`: provisionCloudIdentity takes accounts/{{a}}/customers/{{c}}",
                req.customer
            ),
        ));
    }
    let mut st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    let info = req.cloud_identity_info.clone().unwrap_or_default();
    let customer_type = match pb::cloud_identity_info::CustomerType::try_from(info.customer_type) {
        // guess: an unspecified type provisions a DOMAIN customer, the common case.
        Ok(pb::cloud_identity_info::CustomerType::Unspecified)
        | Ok(pb::cloud_identity_info::CustomerType::Domain) => CustomerType::Domain,
        Ok(pb::cloud_identity_info::CustomerType::Team) => CustomerType::Team,
        Err(_) => {
            return Err(ApiError::invalid_field(
                "cloudIdentityInfo.customerType",
                format!("{} is not a CustomerType", info.customer_type),
            ));
        }
    };
    let user = req
        .user
        .clone()
        .ok_or_else(|| ApiError::invalid_field("user", "the admin user is required"))?;
    if user.email.is_empty() {
        return Err(ApiError::invalid_field("user.email", "is required"));
    }
    if !valid_email(&user.email) {
        return Err(ApiError::invalid_field(
            "user.email",
            format!("`{}` is not a valid email address", user.email),
        ));
    }
    for (field, v) in [
        ("user.givenName", &user.given_name),
        ("user.familyName", &user.family_name),
    ] {
        check_len(field, v)?;
    }
    if !info.alternate_email.is_empty() && !valid_email(&info.alternate_email) {
        return Err(ApiError::invalid_field(
            "cloudIdentityInfo.alternateEmail",
            format!("`{}` is not a valid email address", info.alternate_email),
        ));
    }

    let now = app.clock.now();
    let customer = st
        .world
        .google
        .customers
        .get(&req.customer)
        .cloned()
        .ok_or_else(|| customer_not_found(&req.customer))?;
    if let Some(ci) = &customer.cloud_identity_id {
        return Err(ApiError::already_exists(format!(
            "customer `{}` already has Cloud Identity `{ci}`",
            customer.name
        ))
        .with_reason("CLOUD_IDENTITY_ALREADY_EXISTS"));
    }
    if let Some(op) = &customer.provisioning_operation {
        return Err(ApiError::failed_precondition(format!(
            "a Cloud Identity for `{}` is already being provisioned by `{op}`",
            customer.name
        )));
    }
    // guess: a DOMAIN customer's admin must be in the customer's domain.
    if customer_type == CustomerType::Domain
        && !email_domain(&user.email).eq_ignore_ascii_case(&customer.domain)
    {
        return Err(ApiError::invalid_field(
            "user.email",
            format!(
                "`{}` is not in the customer's domain `{}`",
                user.email, customer.domain
            ),
        ));
    }
    check_directory_free(&st.world.google, &customer.domain, &user.email)?;

    let metadata = stored::CHANNEL_OPERATION_METADATA.of(&pb::OperationMetadata {
        operation_type: pb::operation_metadata::OperationType::ProvisionCloudIdentity as i32,
    });
    let name = format!("operations/provision-{}", st.ids.hex(24));
    let mut op = Operation::new(name.clone(), Family::Channel, PROVISION_KIND, now);
    op.metadata = Some(metadata);
    op.owner = account_of(&customer.name).to_string();
    if req.validate_only {
        // guess: a validate-only request returns an operation that is already done and changes nothing.
        op.done = true;
        op.response =
            Some(stored::CHANNEL_CUSTOMER.of(&customer_proto(&st.world.google, &customer)));
        st.ops.restore(op.clone());
        return Ok(op);
    }
    let action = ProvisionAction {
        customer: customer.name.clone(),
        customer_type,
        admin: AdminUser {
            email: user.email,
            given_name: user.given_name,
            family_name: user.family_name,
        },
        alternate_email: info.alternate_email,
        phone_number: info.phone_number,
        language_code: info.language_code,
        edu_data: info.edu_data,
    };
    op.action = Some(Action::Provision(action));
    if let Some(c) = st.world.google.customers.get_mut(&customer.name) {
        c.provisioning_operation = Some(name.clone());
    }
    app.schedule(&mut st, op);
    st.ops
        .ops
        .get(&name)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("operation `{name}` vanished")))
}

pub fn check_cloud_identity_accounts_exist(
    app: &App,
    caller: &Caller,
    version: Version,
    req: pb::CheckCloudIdentityAccountsExistRequest,
) -> ApiResult<pb::CheckCloudIdentityAccountsExistResponse> {
    let parent = Parent::parse(&req.parent, "parent")?;
    if parent.link.is_some() {
        return Err(ApiError::invalid_field(
            "parent",
            format!("`{}` must be accounts/{{account}}", req.parent),
        ));
    }
    let st = app.lock();
    authorize(app, &st, caller, &parent.account)?;
    if req.domain.is_empty() {
        return Err(ApiError::invalid_field("domain", "is required"));
    }
    if !valid_domain(&req.domain) {
        return Err(ApiError::invalid_field(
            "domain",
            format!("`{}` is not a valid domain name", req.domain),
        ));
    }
    if !req.primary_admin_email.is_empty() && !valid_email(&req.primary_admin_email) {
        return Err(ApiError::invalid_field(
            "primaryAdminEmail",
            format!("`{}` is not a valid email address", req.primary_admin_email),
        ));
    }
    check_parent_exists(&st, &parent)?;
    let g = &st.world.google;
    let mut accounts = Vec::new();
    let found = g.identity_by_domain(&req.domain).filter(|ci| {
        req.primary_admin_email.is_empty()
            || ci
                .admin
                .email
                .eq_ignore_ascii_case(&req.primary_admin_email)
    });
    if let Some(ci) = found {
        let prefix = format!("accounts/{}/", parent.account);
        let owner = g
            .customers_of_identity(&ci.id)
            .find(|c| c.name.starts_with(&prefix));
        let partner_ci = owner.and_then(|c| {
            let rest = c
                .name
                .strip_prefix(&prefix)?
                .strip_prefix("channelPartnerLinks/")?;
            let link = rest.split('/').next()?;
            g.partner_links
                .get(&(parent.account.clone(), link.to_string()))
                .map(|l| l.reseller_cloud_identity_id.clone())
        });
        accounts.push(pb::CloudIdentityCustomerAccount {
            existing: true,
            owned: owner.is_some(),
            customer_name: owner.map(|c| c.name.clone()).unwrap_or_default(),
            customer_cloud_identity_id: ci.id.clone(),
            customer_type: ci.customer_type.proto() as i32,
            channel_partner_cloud_identity_id: partner_ci.unwrap_or_default(),
        });
    }
    if accounts.is_empty() && version == Version::V1alpha1 {
        return Err(ApiError::not_found(format!(
            "no Cloud Identity account exists for domain `{}`",
            req.domain
        ))
        .with_reason("CLOUD_IDENTITY_NOT_FOUND"));
    }
    Ok(pb::CheckCloudIdentityAccountsExistResponse {
        cloud_identity_accounts: accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_emails_are_checked() {
        assert!(valid_domain("altostrat.com"));
        assert!(valid_domain("sub.example.co.uk"));
        assert!(!valid_domain("localhost"));
        assert!(!valid_domain("bad_domain.com"));
        assert!(!valid_domain("-x.com"));
        assert!(valid_email("a+b@example.com"));
        assert!(!valid_email("nobody"));
        assert!(!valid_email("a b@example.com"));
    }

    #[test]
    fn parents_parse_both_shapes() {
        assert_eq!(
            Parent::parse("accounts/A1", "parent").expect("ok").link,
            None
        );
        let p = Parent::parse("accounts/A1/channelPartnerLinks/L1", "parent").expect("ok");
        assert_eq!(
            p.customers(),
            "accounts/A1/channelPartnerLinks/L1/customers"
        );
        assert!(Parent::parse("accounts/", "parent").is_err());
        assert!(Parent::parse("projects/p", "parent").is_err());
        let p = parse_customer_name("accounts/A1/customers/c1", "name").expect("ok");
        assert_eq!(p.account, "A1");
        assert!(parse_customer_name("accounts/A1/customers/", "name").is_err());
    }

    #[test]
    fn update_mask_paths_become_snake_case() {
        assert_eq!(
            crate::providers::google::snake_case("orgPostalAddress.regionCode"),
            "org_postal_address.region_code"
        );
        assert_eq!(crate::providers::google::snake_case("domain"), "domain");
    }
}
