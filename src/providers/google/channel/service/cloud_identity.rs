//! The methods that tie a customer to a Cloud Identity: import (where import decides ALREADY_EXISTS),
//! provisionCloudIdentity (a long-running operation), and checkCloudIdentityAccountsExist.

use super::access::{authorize, check_parent_exists};
use super::validate::check_len;
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::google::Version;
use crate::providers::google::names::{
    CustomerName, Domain, Email, Parent, account_of, parse_customer_name,
};
use crate::world::actions::Action;
use crate::world::actions::channel::{ProvisionAction, check_directory_free};
use crate::world::google::{AdminUser, Customer, CustomerType};
use crate::world::messages::{customer_not_found, customer_proto};
use crate::world::names::valid_email;
use crate::world::ops::Operation;
use crate::world::stored;

pub const PROVISION_KIND: &str = "channel.provisionCloudIdentity";

/// A parsed `ImportCustomer`: its parent; the rest is checked once the caller is authorized.
pub struct ImportCustomer {
    pub parent: Parent,
    pub req: pb::ImportCustomerRequest,
}

impl TryFrom<pb::ImportCustomerRequest> for ImportCustomer {
    type Error = ApiError;
    fn try_from(req: pb::ImportCustomerRequest) -> ApiResult<ImportCustomer> {
        Ok(ImportCustomer {
            parent: Parent::parse(&req.parent, "parent")?,
            req,
        })
    }
}

pub fn import_customer(ctx: &mut Ctx<'_>, parsed: ImportCustomer) -> ApiResult<pb::Customer> {
    use pb::import_customer_request::CustomerIdentity as Key;
    let ImportCustomer { parent, req } = parsed;
    authorize(ctx, &parent.account)?;
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

    let now = ctx.now;
    let st = &mut *ctx.st;
    check_parent_exists(st, &parent)?;
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

/// A parsed `ProvisionCloudIdentity`: the customer (directly under a reseller account) and, parsed but answered
/// only once the caller is authorized, the admin user's address.
pub struct ProvisionCloudIdentity {
    pub customer: CustomerName,
    pub user_email: ApiResult<Email>,
    pub req: pb::ProvisionCloudIdentityRequest,
}

impl TryFrom<pb::ProvisionCloudIdentityRequest> for ProvisionCloudIdentity {
    type Error = ApiError;
    fn try_from(req: pb::ProvisionCloudIdentityRequest) -> ApiResult<ProvisionCloudIdentity> {
        let customer = CustomerName::parse(req.customer.clone(), "customer")?;
        if customer.parent().link.is_some() {
            return Err(ApiError::invalid_field(
                "customer",
                format!(
                    "`{}`: provisionCloudIdentity takes accounts/{{a}}/customers/{{c}}",
                    req.customer
                ),
            ));
        }
        let user_email = match &req.user {
            Some(u) if u.email.is_empty() => {
                Err(ApiError::invalid_field("user.email", "is required"))
            }
            Some(u) => Email::parse(u.email.clone(), "user.email"),
            None => Err(ApiError::invalid_field(
                "user",
                "the admin user is required",
            )),
        };
        Ok(ProvisionCloudIdentity {
            customer,
            user_email,
            req,
        })
    }
}

pub fn provision_cloud_identity(
    ctx: &mut Ctx<'_>,
    parsed: ProvisionCloudIdentity,
) -> ApiResult<Operation> {
    let ProvisionCloudIdentity {
        customer: customer_name,
        user_email,
        req,
    } = parsed;
    authorize(ctx, customer_name.account())?;
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
    let user_email = user_email?;
    let user = req.user.clone().unwrap_or_default();
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

    let now = ctx.now;
    let st = &mut *ctx.st;
    let customer = st
        .world
        .google
        .customers
        .get(customer_name.as_str())
        .cloned()
        .ok_or_else(|| customer_not_found(customer_name.as_str()))?;
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
        && !user_email.domain().eq_ignore_ascii_case(&customer.domain)
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
    ctx.after.schedule(st, op, now);
    st.ops
        .ops
        .get(&name)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("operation `{name}` vanished")))
}

/// A parsed `CheckCloudIdentityAccountsExist`: the parent (a reseller account), the API version it came in on
/// (v1alpha1 answers NOT_FOUND for no account), and the domain and admin address, whose errors are answered once
/// the caller is authorized.
pub struct CheckAccounts {
    pub parent: Parent,
    pub version: Version,
    pub domain: ApiResult<Domain>,
    pub primary_admin_email: ApiResult<Option<Email>>,
}

impl TryFrom<(pb::CheckCloudIdentityAccountsExistRequest, Version)> for CheckAccounts {
    type Error = ApiError;
    fn try_from(
        (req, version): (pb::CheckCloudIdentityAccountsExistRequest, Version),
    ) -> ApiResult<CheckAccounts> {
        let parent = Parent::parse(&req.parent, "parent")?;
        if parent.link.is_some() {
            return Err(ApiError::invalid_field(
                "parent",
                format!("`{}` must be accounts/{{account}}", req.parent),
            ));
        }
        Ok(CheckAccounts {
            parent,
            version,
            domain: Domain::parse(req.domain, "domain"),
            primary_admin_email: Email::parse_optional(
                req.primary_admin_email,
                "primaryAdminEmail",
            ),
        })
    }
}

pub fn check_cloud_identity_accounts_exist(
    ctx: &mut Ctx<'_>,
    req: CheckAccounts,
) -> ApiResult<pb::CheckCloudIdentityAccountsExistResponse> {
    let CheckAccounts {
        parent, version, ..
    } = req;
    authorize(ctx, &parent.account)?;
    let domain = req.domain?;
    let admin = req.primary_admin_email?;
    let st = &*ctx.st;
    check_parent_exists(st, &parent)?;
    let g = &st.world.google;
    let mut accounts = Vec::new();
    let found = g.identity_by_domain(domain.as_str()).filter(|ci| {
        admin
            .as_ref()
            .is_none_or(|e| ci.admin.email.eq_ignore_ascii_case(e.as_str()))
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
            domain.as_str()
        ))
        .with_reason("CLOUD_IDENTITY_NOT_FOUND"));
    }
    Ok(pb::CheckCloudIdentityAccountsExistResponse {
        cloud_identity_accounts: accounts,
    })
}
