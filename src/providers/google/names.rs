//! The domain values of Google requests, parsed once at the edge (outside the lock) so a service function never
//! re-validates a string: Channel's parents (`accounts/{a}`, or a channel partner link under it) and customer names
//! with the ids in them, and email addresses and domain names. Each `parse` answers the same INVALID_ARGUMENT (field
//! and message) the methods always answered.

use crate::error::{ApiError, ApiResult};
use crate::world::names::{valid_domain, valid_email};

/// A well-formed email address (`local@domain`, see `world::names::valid_email`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// "`{s}` is not a valid email address" on `field`.
    pub fn parse(s: String, field: &str) -> ApiResult<Email> {
        if valid_email(&s) {
            Ok(Email(s))
        } else {
            Err(ApiError::invalid_field(
                field,
                format!("`{s}` is not a valid email address"),
            ))
        }
    }

    /// An optional address: empty is `None`, anything else must be valid.
    pub fn parse_optional(s: String, field: &str) -> ApiResult<Option<Email>> {
        if s.is_empty() {
            Ok(None)
        } else {
            Email::parse(s, field).map(Some)
        }
    }

    /// The same address in lower case (Cloud Identity keys accounts by it).
    pub fn to_lowercase(&self) -> Email {
        Email(self.0.to_ascii_lowercase())
    }

    /// The domain part (after the last `@`).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A DNS name of at least two labels (see `world::names::valid_domain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain(String);

impl Domain {
    /// A required domain: "is required" when empty, "`{s}` is not a valid domain name" when malformed.
    pub fn parse(s: String, field: &str) -> ApiResult<Domain> {
        if s.is_empty() {
            return Err(ApiError::invalid_field(field, "is required"));
        }
        if !valid_domain(&s) {
            return Err(ApiError::invalid_field(
                field,
                format!("`{s}` is not a valid domain name"),
            ));
        }
        Ok(Domain(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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

/// A request with the parent it acts under (a reseller account, a customer, a channel partner link) parsed at the
/// edge, outside the lock; the implementations come from [`under!`].
pub struct Under<R> {
    pub parent: Parent,
    pub req: R,
}

/// `TryFrom` a request for [`Under`]: `under! { pb::X => |r| parse(&r.field, "field"); … }`, the expression
/// answering `ApiResult<Parent>` (and any check that comes before it).
macro_rules! under {
    ($($t:ty => |$r:ident| $parse:expr;)+) => {$(
        impl TryFrom<$t> for $crate::providers::google::names::Under<$t> {
            type Error = $crate::error::ApiError;
            fn try_from($r: $t) -> $crate::error::ApiResult<Self> {
                let parent = $parse?;
                Ok($crate::providers::google::names::Under { parent, req: $r })
            }
        }
    )+};
}
pub(crate) use under;

pub(crate) fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A Channel customer name, `{parent}/customers/{c}`, with its parent parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName {
    name: String,
    parent: Parent,
}

impl CustomerName {
    /// Splits `…/customers/{c}` into its parent and checks the id.
    pub fn parse(name: String, field: &str) -> ApiResult<CustomerName> {
        let parent = parse_customer_name(&name, field)?;
        Ok(CustomerName { name, parent })
    }

    pub fn parent(&self) -> &Parent {
        &self.parent
    }

    /// The reseller account the customer belongs to.
    pub fn account(&self) -> &str {
        &self.parent.account
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }
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

/// The reseller account id of a customer name (`accounts/{a}/customers/{c}` → `a`).
pub(crate) fn account_of(customer: &str) -> &str {
    customer
        .strip_prefix("accounts/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let n = CustomerName::parse(
            "accounts/A1/channelPartnerLinks/L1/customers/c1".into(),
            "name",
        )
        .expect("ok");
        assert_eq!(n.parent().link.as_deref(), Some("L1"));
        assert_eq!(n.account(), "A1");
    }

    #[test]
    fn emails_and_domains_keep_their_messages() {
        let e = Email::parse("nobody".into(), "user.email").expect_err("invalid");
        assert_eq!(
            e.message,
            "invalid `user.email`: `nobody` is not a valid email address"
        );
        let e = Domain::parse(String::new(), "domain").expect_err("empty");
        assert_eq!(e.message, "invalid `domain`: is required");
        assert_eq!(
            Email::parse("A@Example.com".into(), "e")
                .expect("ok")
                .to_lowercase()
                .domain(),
            "example.com"
        );
        assert_eq!(Email::parse_optional(String::new(), "e").expect("ok"), None);
    }
}
