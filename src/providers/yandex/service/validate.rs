//! The checks the `yandex.cloud.validation` annotations of the real protos ask for: lengths, required fields, the
//! username pattern, timestamp ranges, and a user's profile.

use chrono::{DateTime, TimeZone, Utc};

use crate::error::{ApiError, ApiResult};
use crate::proto::Timestamp;
use crate::world::yandex::UserProfile;

fn chars(s: &str) -> usize {
    s.chars().count()
}

pub(super) fn max_len(field: &str, v: &str, max: usize) -> ApiResult<()> {
    if chars(v) > max {
        return Err(ApiError::invalid_field(
            field,
            format!("length must be <= {max}, got {}", chars(v)),
        ));
    }
    Ok(())
}

pub(super) fn required(field: &str, v: &str, max: usize) -> ApiResult<()> {
    if v.is_empty() {
        return Err(ApiError::invalid_field(field, "value is required"));
    }
    max_len(field, v, max)
}

/// `[a-z0-9A-Z\._-]{1,64}@.{1,256}`
pub(super) fn valid_username(u: &str) -> bool {
    match u.split_once('@') {
        Some((local, domain)) => {
            (1..=64).contains(&local.len())
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                && (1..=256).contains(&chars(domain))
                && !domain.contains('\n')
        }
        None => false,
    }
}

pub(super) fn timestamp_in_range(field: &str, t: &Option<Timestamp>) -> ApiResult<()> {
    if let Some(t) = t {
        let max = Utc
            .with_ymd_and_hms(2105, 12, 31, 23, 59, 59)
            .single()
            .map(|d| d.timestamp())
            .unwrap_or(i64::MAX);
        if t.seconds < 0 || t.seconds > max || !(0..1_000_000_000).contains(&t.nanos) {
            return Err(ApiError::invalid_field(
                field,
                "value must be between 1970-01-01T00:00:00Z and 2105-12-31T23:59:59.999999999Z",
            ));
        }
    }
    Ok(())
}

pub(super) fn to_time(t: &Option<Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| {
        Timestamp {
            nanos: t.nanos.max(0),
            ..t
        }
        .to_datetime()
    })
}

pub(super) fn check_profile(p: &UserProfile) -> ApiResult<()> {
    max_len("given_name", &p.given_name, 256)?;
    max_len("family_name", &p.family_name, 256)?;
    max_len("email", &p.email, 254)?;
    if !p.email.is_empty() && chars(&p.email) < 3 {
        return Err(ApiError::invalid_field(
            "email",
            format!("`{}` does not match `|(.{{3,254}})`", p.email),
        ));
    }
    max_len("phone_number", &p.phone_number, 50)?;
    for (f, v) in [
        ("external_id", &p.external_id),
        ("company_name", &p.company_name),
        ("department", &p.department),
        ("job_title", &p.job_title),
        ("employee_id", &p.employee_id),
    ] {
        max_len(f, v, 256)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_documented_pattern() {
        assert!(valid_username("alice@example.idp.yandexcloud.net"));
        assert!(valid_username("a.b_c-d@x"));
        assert!(!valid_username("alice"));
        assert!(!valid_username("al ice@x.com"));
        assert!(!valid_username(&format!("{}@x", "a".repeat(65))));
        assert!(!valid_username("alice@"));
    }
}
