//! Channel resource names: the parent of customers (`accounts/{a}`, or a channel partner link under it), customer
//! names, and the ids in them.

use crate::error::{ApiError, ApiResult};

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
    }
}
