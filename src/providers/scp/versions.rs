//! SCP API versions (`Scp-API-Version: <service> <major.minor>`): which exist, their status, and "Not Before" dates
//! after which a deprecated version is refused — judged on provmock's clock.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Current,
    Supported,
    Deprecated,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Current => "CURRENT",
            Status::Supported => "SUPPORTED",
            Status::Deprecated => "DEPRECATED",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Version {
    pub service: &'static str,
    pub version: &'static str,
    pub status: Status,
    /// The day from which a deprecated version is no longer supported.
    pub not_before: Option<(i32, u32, u32)>,
}

/// Every version we know, per service. Cloud Control's are documented; Organization's are our guess: the Terraform
/// provider names 1.1, the public Python SDK (`scpv2-sdk` 0.2.3) sends 1.2 for account show and list.
pub const VERSIONS: &[Version] = &[
    Version {
        service: "cloudcontrol",
        version: "1.2",
        status: Status::Current,
        not_before: None,
    },
    Version {
        service: "cloudcontrol",
        version: "1.1",
        status: Status::Deprecated,
        not_before: Some((2026, 6, 30)),
    },
    Version {
        service: "cloudcontrol",
        version: "1.0",
        status: Status::Deprecated,
        not_before: Some((2025, 12, 31)),
    },
    // guess: Organization 1.2 is current, 1.1 and 1.0 still supported, all with the same account shape.
    Version {
        service: "organization",
        version: "1.2",
        status: Status::Current,
        not_before: None,
    },
    Version {
        service: "organization",
        version: "1.1",
        status: Status::Supported,
        not_before: None,
    },
    Version {
        service: "organization",
        version: "1.0",
        status: Status::Supported,
        not_before: None,
    },
];

impl Version {
    pub fn not_before_date(&self) -> Option<NaiveDate> {
        self.not_before
            .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
    }
}

/// The outcome of a version check: the version in force and, for a deprecated one, a `Warning` header value.
#[derive(Debug, Clone)]
pub struct Negotiated {
    pub version: Version,
    pub warning: Option<String>,
}

/// Checks the `Scp-API-Version` header for a call to `service`. Absent → the latest CURRENT version.
pub fn negotiate(
    header: Option<&str>,
    service: &'static str,
    now: DateTime<Utc>,
) -> ApiResult<Negotiated> {
    let Some(raw) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        let current = VERSIONS
            .iter()
            .find(|v| v.service == service && v.status == Status::Current)
            .copied()
            .ok_or_else(|| ApiError::internal(format!("no current version of {service}")))?;
        return Ok(Negotiated {
            version: current,
            warning: None,
        });
    };
    let mut parts = raw.split_whitespace();
    let (svc, ver) = match (parts.next(), parts.next(), parts.next()) {
        (Some(s), Some(v), None) => (s, v.trim_start_matches('v')),
        _ => {
            return Err(ApiError::invalid_field(
                "Scp-API-Version",
                format!("`{raw}` is not `<service> <major.minor>` (for example `{service} 1.2`)"),
            ));
        }
    };
    if !svc.eq_ignore_ascii_case(service) {
        return Err(ApiError::invalid_field(
            "Scp-API-Version",
            format!("service `{svc}` in `{raw}` does not serve this call (expected `{service}`)"),
        )
        .with_reason("UNKNOWN_API_SERVICE"));
    }
    let version = VERSIONS
        .iter()
        .find(|v| v.service == service && v.version == ver)
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = VERSIONS
                .iter()
                .filter(|v| v.service == service)
                .map(|v| v.version)
                .collect();
            ApiError::invalid_field(
                "Scp-API-Version",
                format!(
                    "unknown version `{ver}` of {service} (known: {})",
                    known.join(", ")
                ),
            )
            .with_reason("UNKNOWN_API_VERSION")
        })?;
    let mut warning = None;
    if let Some(date) = version.not_before_date() {
        let today = now.date_naive();
        if today >= date {
            return Err(ApiError::invalid_field(
                "Scp-API-Version",
                format!(
                    "{service} {ver} is {} and no longer supported since its Not Before date {date}; use the CURRENT version",
                    version.status.name()
                ),
            )
            .with_reason("API_VERSION_NOT_SUPPORTED"));
        }
        let days = (date - today).num_days();
        // guess: RFC 7234 warn-code 299 ("miscellaneous persistent warning").
        warning = Some(format!(
            "299 - \"{service} {ver} is DEPRECATED and will not be supported from {date} ({days} days left)\""
        ));
    }
    Ok(Negotiated { version, warning })
}

/// The unauthenticated version list (`GET /`).
pub fn list(service: &str, base_url: &str) -> Value {
    let versions: Vec<Value> = VERSIONS
        .iter()
        .filter(|v| v.service == service)
        .map(|v| {
            json!({
                "id": format!("v{}", v.version),
                "links": [{"href": format!("{base_url}/v{}", v.version), "rel": "self"}],
                "not_before": v.not_before_date().map(|d| d.to_string()).unwrap_or_default(),
                "status": v.status.name(),
            })
        })
        .collect();
    json!({"versions": versions})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .expect("time")
    }

    #[test]
    fn absent_header_is_the_current_version() {
        let n = negotiate(None, "cloudcontrol", at("2026-01-01T00:00:00Z")).expect("ok");
        assert_eq!(n.version.version, "1.2");
        assert!(n.warning.is_none());
    }

    #[test]
    fn deprecated_versions_warn_before_and_fail_after_their_date() {
        let n = negotiate(
            Some("cloudcontrol 1.1"),
            "cloudcontrol",
            at("2026-06-20T00:00:00Z"),
        )
        .expect("still ok");
        assert!(
            n.warning
                .as_deref()
                .is_some_and(|w| w.contains("10 days left")),
            "{:?}",
            n.warning
        );
        let e = negotiate(
            Some("cloudcontrol 1.1"),
            "cloudcontrol",
            at("2026-06-30T00:00:00Z"),
        )
        .expect_err("past");
        assert!(
            e.message.contains("2026-06-30") && e.message.contains("DEPRECATED"),
            "{}",
            e.message
        );
        assert!(
            negotiate(
                Some("cloudcontrol 1.0"),
                "cloudcontrol",
                at("2026-01-01T00:00:00Z")
            )
            .is_err()
        );
        assert!(
            negotiate(
                Some("cloudcontrol 1.0"),
                "cloudcontrol",
                at("2025-12-30T00:00:00Z")
            )
            .is_ok()
        );
    }

    #[test]
    fn unknown_versions_and_services_are_rejected() {
        let now = at("2026-01-01T00:00:00Z");
        assert!(negotiate(Some("cloudcontrol 9.9"), "cloudcontrol", now).is_err());
        assert!(negotiate(Some("compute 1.2"), "cloudcontrol", now).is_err());
        assert!(negotiate(Some("cloudcontrol"), "cloudcontrol", now).is_err());
        assert!(negotiate(Some("CloudControl 1.2"), "cloudcontrol", now).is_ok());
    }
}
