//! Channel's `provisionCloudIdentity` operation: finishing it creates the Cloud Identity and links the customer;
//! a failure or a cancel leaves the customer as it was, free to be provisioned again.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::world::World;
use crate::world::google::{AdminUser, CloudIdentity, Customer, CustomerType, GoogleWorld};
use crate::world::ids::Ids;
use crate::world::messages::{customer_account_ref, customer_not_found, customer_proto};
use crate::world::ops::AnyJson;
use crate::world::stored::CHANNEL_CUSTOMER;

/// What a provision operation applies when it finishes (stored in the operation as JSON: its
/// serde form is the data dir's and the state export's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionAction {
    pub customer: String,
    pub customer_type: CustomerType,
    pub admin: AdminUser,
    pub alternate_email: String,
    pub phone_number: String,
    pub language_code: String,
    pub edu_data: Option<pb::EduData>,
}

impl ProvisionAction {
    /// Finishing a provision operation: the Cloud Identity is created in the directory and linked to the customer.
    pub fn apply(
        &self,
        w: &mut World,
        ids: &mut Ids,
        now: DateTime<Utc>,
    ) -> ApiResult<Option<AnyJson>> {
        let customer = w
            .google
            .customers
            .get(&self.customer)
            .cloned()
            .ok_or_else(|| customer_not_found(&self.customer))?;
        let cleared = Customer {
            provisioning_operation: None,
            ..(*customer).clone()
        };
        if let Err(e) = check_directory_free(&w.google, &customer.domain, &self.admin.email) {
            w.google.put_customer(cleared);
            return Err(e);
        }
        let id = loop {
            let id = ids.cloud_identity_id();
            if !w.google.identities.contains_key(&id) {
                break id;
            }
        };
        let account = customer_account_ref(&customer.name);
        w.google.put_identity(CloudIdentity {
            id: id.clone(),
            customer_type: self.customer_type,
            primary_domain: customer.domain.clone(),
            is_domain_verified: self.customer_type == CustomerType::Domain,
            secondary_domains: Vec::new(),
            org_display_name: customer.org_display_name.clone(),
            org_postal_address: Some(customer.org_postal_address.clone()),
            admin: self.admin.clone(),
            alternate_email: self.alternate_email.clone(),
            phone_number: self.phone_number.clone(),
            language_code: if self.language_code.is_empty() {
                "en".into()
            } else {
                self.language_code.clone()
            },
            edu_data: self.edu_data.clone(),
            auth_token: None,
            auth_token_sha256: None,
            authorized_accounts: BTreeSet::from([account.clone()]),
            provisioned_by: Some(account),
            held_skus: Vec::new(),
        });
        let linked = Customer {
            cloud_identity_id: Some(id),
            update_time: now,
            ..cleared
        };
        let out = customer_proto(&w.google, &linked);
        w.google.put_customer(linked);
        Ok(Some(CHANNEL_CUSTOMER.of(&out)))
    }

    /// A failed or cancelled provision leaves the customer as it was, free to be provisioned again.
    pub fn undo(&self, w: &mut World, op: &str) {
        if let Some(c) = w.google.customers.get_mut(&self.customer)
            && c.provisioning_operation.as_deref() == Some(op)
        {
            c.provisioning_operation = None;
        }
    }
}

/// ALREADY_EXISTS when the admin email or the domain already has a Cloud Identity.
pub fn check_directory_free(g: &GoogleWorld, domain: &str, admin: &str) -> ApiResult<()> {
    if let Some(ci) = g.identity_by_admin(admin) {
        return Err(ApiError::already_exists(format!(
            "the admin email `{admin}` already exists (Cloud Identity `{}`); retry with another email",
            ci.id
        ))
        .with_reason("USER_ALREADY_EXISTS"));
    }
    if let Some(ci) = g.identity_by_domain(domain) {
        return Err(ApiError::already_exists(format!(
            "domain `{domain}` already has Cloud Identity `{}`; import it instead",
            ci.id
        ))
        .with_reason("DOMAIN_ALREADY_EXISTS"));
    }
    Ok(())
}
