//! What a customer's data must satisfy on create and patch (required fields, postal address, domain, emails,
//! lengths), and the length limit every Channel text field shares.

use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::world::names::{valid_domain, valid_email};

/// Longest string we accept in any Channel text field. guess: the docs give no limits.
const MAX_TEXT: usize = 1024;

pub(super) fn email_domain(e: &str) -> &str {
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
pub(super) fn validate_customer(c: &pb::Customer) -> ApiResult<()> {
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
}
