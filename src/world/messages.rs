//! The world's records as the API messages the services answer with and finished operations keep as their
//! responses, and the errors that name a missing record.

use chrono::{DateTime, Utc};

use crate::error::{ApiError, shown};
use crate::proto::Timestamp;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as ypb;
use crate::world::google::{CloudIdentity, Customer, GoogleWorld};
use crate::world::yandex::{PoolStatus, User, UserStatus, Userpool};

const ADMIN_CONSOLE: &str = "https://admin.google.com/";

/// A Cloud Identity as a Customer shows it.
pub fn cloud_identity_info(ci: &CloudIdentity) -> pb::CloudIdentityInfo {
    pb::CloudIdentityInfo {
        customer_type: ci.customer_type.proto() as i32,
        primary_domain: ci.primary_domain.clone(),
        is_domain_verified: ci.is_domain_verified,
        alternate_email: ci.alternate_email.clone(),
        phone_number: ci.phone_number.clone(),
        language_code: ci.language_code.clone(),
        admin_console_uri: ADMIN_CONSOLE.to_string(),
        edu_data: ci.edu_data.clone(),
    }
}

/// The Customer as the API shows it: Cloud Identity data comes live from the directory.
pub fn customer_proto(g: &GoogleWorld, c: &Customer) -> pb::Customer {
    let contact = c.primary_contact_info.clone().map(|mut ci| {
        ci.display_name = format!("{} {}", ci.first_name, ci.last_name)
            .trim()
            .to_string();
        ci
    });
    pb::Customer {
        name: c.name.clone(),
        org_display_name: c.org_display_name.clone(),
        org_postal_address: Some(c.org_postal_address.clone()),
        primary_contact_info: contact,
        alternate_email: c.alternate_email.clone(),
        domain: c.domain.clone(),
        create_time: Some(c.create_time.into()),
        update_time: Some(c.update_time.into()),
        cloud_identity_id: c.cloud_identity_id.clone().unwrap_or_default(),
        language_code: c.language_code.clone(),
        cloud_identity_info: c
            .cloud_identity_id
            .as_ref()
            .and_then(|id| g.identities.get(id))
            .map(cloud_identity_info),
        channel_partner_id: c.channel_partner_id.clone(),
        correlation_id: c.correlation_id.clone(),
        customer_attestation_state: c.customer_attestation_state,
    }
}

/// `accounts/{a}` of a customer name (empty when it is not one).
pub fn customer_account_ref(name: &str) -> String {
    crate::world::customer_account(name)
        .map(|a| format!("accounts/{a}"))
        .unwrap_or_default()
}

pub fn customer_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("customer `{name}` not found")).with_reason("CUSTOMER_NOT_FOUND")
}

pub fn entitlement_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("entitlement `{}` not found", shown(name)))
        .with_reason("ENTITLEMENT_NOT_FOUND")
}

/// A time as a proto Timestamp.
pub fn ts(t: DateTime<Utc>) -> Timestamp {
    t.into()
}

/// A Yandex user as the API shows it.
pub fn user_proto(u: &User) -> ypb::User {
    let status = match u.status {
        UserStatus::Creating => ypb::user::Status::Creating,
        UserStatus::Active => ypb::user::Status::Active,
        UserStatus::Suspended => ypb::user::Status::Suspended,
        UserStatus::Deleting => ypb::user::Status::Deleting,
    };
    let p = &u.profile;
    ypb::User {
        id: u.id.clone(),
        userpool_id: u.userpool_id.clone(),
        status: status as i32,
        username: p.username.clone(),
        full_name: p.full_name.clone(),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        email: p.email.clone(),
        phone_number: p.phone_number.clone(),
        created_at: Some(ts(u.created_at)),
        updated_at: Some(ts(u.updated_at)),
        external_id: p.external_id.clone(),
        company_name: p.company_name.clone(),
        department: p.department.clone(),
        job_title: p.job_title.clone(),
        employee_id: p.employee_id.clone(),
        expires_at: p.expires_at.map(ts),
        password_created_at: u.password_created_at.map(ts),
    }
}

/// A Yandex userpool as the API shows it.
pub fn pool_proto(p: &Userpool) -> ypb::Userpool {
    let status = match p.status {
        PoolStatus::Creating => ypb::userpool::Status::Creating,
        PoolStatus::Active => ypb::userpool::Status::Active,
    };
    ypb::Userpool {
        id: p.id.clone(),
        organization_id: p.organization_id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        labels: p.labels.clone().into_iter().collect(),
        created_at: Some(ts(p.created_at)),
        updated_at: Some(ts(p.updated_at)),
        domains: p.domains.clone(),
        status: status as i32,
        user_settings: None,
    }
}

pub fn user_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("user `{id}` not found"))
}

pub fn pool_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("userpool `{id}` not found"))
}
