//! SCP Cloud Control's account factory and the Organization account reads its clients poll: every rule once.

use serde::Deserialize;
use serde_json::{Value, json};

use super::signature::{self, SignedRequest};
use crate::app::App;
use crate::clock::rfc3339;
use crate::config::AuthMode;
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::world::actions::Action;
use crate::world::ops::{AnyJson, Operation};
use crate::world::scp::{Account, AccountState, ScpWorld};

pub const CREATE_KIND: &str = "scp.createAccount";

/// The authentication headers of a call (names matched case-insensitively by the adapter).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub access_key: Option<String>,
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub client_type: Option<String>,
    pub account_id: Option<String>,
    /// The URL the client signed, rebuilt from scheme, Host, path and raw query.
    pub url: String,
    pub method: String,
}

/// Checks the HMAC signature in `--auth strict`; returns who signed (the access key's owner), if known.
pub fn authenticate(app: &App, c: &Credentials) -> ApiResult<Option<String>> {
    // Permissive and no key presented: nothing to look up, so the world's lock is not taken twice per request.
    if c.access_key.is_none() && app.config.auth != AuthMode::Strict {
        return Ok(None);
    }
    let st = app.lock();
    let owner = c
        .access_key
        .as_deref()
        .and_then(|k| st.world.scp.access_keys.get(k))
        .map(|k| k.owner.clone());
    // A replayed request was verified when it first ran; its signature is not kept.
    if app.config.auth != AuthMode::Strict {
        return Ok(owner);
    }
    let need = |v: &Option<String>, name: &str| {
        v.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
            ApiError::unauthenticated(format!(
                "missing `{name}` header (provmock runs with --auth strict)"
            ))
            .with_reason("MISSING_AUTH_HEADER")
        })
    };
    let access_key = need(&c.access_key, "Scp-AccessKey")?;
    let presented = need(&c.signature, "Scp-Signature")?;
    let timestamp = need(&c.timestamp, "Scp-Timestamp")?;
    let key = st.world.scp.access_keys.get(&access_key).ok_or_else(|| {
        ApiError::unauthenticated(format!("unknown access key `{access_key}`"))
            .with_reason("UNKNOWN_ACCESS_KEY")
    })?;
    let secret = key.secret_key.as_deref().ok_or_else(|| {
        ApiError::unauthenticated(format!("access key `{access_key}` has no secret loaded"))
            .with_reason("UNKNOWN_ACCESS_KEY")
    })?;
    let millis: i64 = timestamp.trim().parse().map_err(|_| {
        ApiError::unauthenticated(format!(
            "Scp-Timestamp `{timestamp}` is not epoch milliseconds"
        ))
        .with_reason("INVALID_TIMESTAMP")
    })?;
    let now = app.clock.now().timestamp_millis();
    let skew = app.config.scp_skew.as_millis() as i64;
    if (now - millis).abs() > skew {
        return Err(ApiError::unauthenticated(format!(
            "Scp-Timestamp {millis} is {} s away from provmock's clock ({now}); the window is ±{} s",
            (now - millis).abs() / 1000,
            skew / 1000
        ))
        .with_reason("TIMESTAMP_OUT_OF_WINDOW"));
    }
    let r = SignedRequest {
        method: &c.method,
        url: &c.url,
        timestamp: &timestamp,
        access_key: &access_key,
        account_id: c.account_id.as_deref().unwrap_or(""),
        client_type: c.client_type.as_deref().unwrap_or("Openapi"),
    };
    if !signature::verify(secret, &r, &presented) {
        return Err(ApiError::unauthenticated(format!(
            "signature mismatch for access key `{access_key}`: the string signed was METHOD+URL+timestamp+access key+account id+client type with URL `{}`",
            c.url
        ))
        .with_reason("SIGNATURE_MISMATCH"));
    }
    Ok(Some(key.owner.clone()))
}

/// `AccountFactoryCreateRequest`. Optional fields are nullable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub landing_zone_id: Option<String>,
    #[serde(default)]
    pub parent_unit_id: Option<String>,
    #[serde(default)]
    pub sso_user_email: Option<String>,
    #[serde(default)]
    pub sso_user_name: Option<String>,
    #[serde(default)]
    pub sso_user_real_name: Option<String>,
}

/// The 201 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub account_id: String,
    pub job_id: String,
}

fn required(v: &Option<String>, field: &str) -> ApiResult<String> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(ApiError::invalid_field(
            field,
            format!("`{field}` is required"),
        )),
    }
}

/// guess: SCP documents no rules; we take 2–64 characters, letters, digits, space, `-`, `_`, `.`, starting with a
/// letter or digit.
fn valid_account_name(name: &str) -> bool {
    let n = name.chars().count();
    (2..=64).contains(&n)
        && name.chars().next().is_some_and(|c| c.is_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'))
}

fn check_email(field: &str, v: &str) -> ApiResult<()> {
    if v.len() > 254 || !crate::world::names::valid_email(v) {
        return Err(ApiError::invalid_field(
            field,
            format!("`{v}` is not a valid email address"),
        ));
    }
    Ok(())
}

pub fn create_account(
    app: &App,
    creator: Option<String>,
    req: CreateAccountRequest,
) -> ApiResult<Created> {
    let name = required(&req.name, "name")?;
    let landing_zone_id = required(&req.landing_zone_id, "landing_zone_id")?;
    let parent_unit_id = required(&req.parent_unit_id, "parent_unit_id")?;
    if !valid_account_name(&name) {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "`{name}` must be 2-64 letters, digits, spaces, `-`, `_` or `.`, starting with a letter or digit"
            ),
        ));
    }
    let email = req
        .email
        .clone()
        .map(|e| e.trim().to_string())
        .unwrap_or_default();
    if !email.is_empty() {
        check_email("email", &email)?;
    }
    if let Some(e) = req.sso_user_email.as_deref().filter(|e| !e.is_empty()) {
        check_email("sso_user_email", e)?;
    }
    for (field, v) in [
        ("sso_user_name", &req.sso_user_name),
        ("sso_user_real_name", &req.sso_user_real_name),
    ] {
        if v.as_deref().is_some_and(|s| s.chars().count() > 128) {
            return Err(ApiError::invalid_field(
                field,
                "is longer than 128 characters",
            ));
        }
    }
    if !parent_unit_id.starts_with("ou-") {
        return Err(ApiError::invalid_field(
            "parent_unit_id",
            format!("`{parent_unit_id}` is not an organization unit id (ou-…)"),
        ));
    }

    let now = app.clock.now();
    let mut st = app.lock();
    let w = &st.world.scp;
    let lz = w
        .landing_zones
        .get(&landing_zone_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found(format!("landing zone `{landing_zone_id}` not found"))
                .with_reason("LANDING_ZONE_NOT_FOUND")
        })?;
    let unit = w
        .units
        .get(&parent_unit_id)
        .filter(|u| u.landing_zone_id == lz.id)
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "organization unit `{parent_unit_id}` not found in landing zone `{landing_zone_id}`"
            ))
            .with_reason("ORGANIZATION_UNIT_NOT_FOUND")
        })?;
    if unit.security {
        return Err(ApiError::permission_denied(format!(
            "`{parent_unit_id}` is the Security OU of landing zone `{landing_zone_id}`: accounts cannot be created there"
        ))
        .with_reason("SECURITY_OU"));
    }
    if let Some(a) = w.account_by_name(&lz.organization_id, &name) {
        return Err(ApiError::already_exists(format!(
            "an account named `{name}` already exists in organization `{}`: `{}`",
            lz.organization_id, a.id
        ))
        .with_reason("ACCOUNT_NAME_EXISTS"));
    }
    if !email.is_empty()
        && let Some(a) = w.account_by_email(&lz.organization_id, &email)
    {
        return Err(ApiError::already_exists(format!(
            "an account with email `{email}` already exists in organization `{}`: `{}`",
            lz.organization_id, a.id
        ))
        .with_reason("ACCOUNT_EMAIL_EXISTS"));
    }
    let account_id = loop {
        let id = st.ids.lower_alnum(32);
        if !st.world.scp.accounts.contains_key(&id) {
            break id;
        }
    };
    let job_id = st.ids.hex(32);
    st.world.scp.put_account(Account {
        id: account_id.clone(),
        name,
        email,
        organization_id: lz.organization_id.clone(),
        landing_zone_id,
        parent_unit_id,
        state: AccountState::Pending,
        job_id: job_id.clone(),
        created_at: now,
        modified_at: now,
        created_by: creator.unwrap_or_else(|| "provmock".to_string()),
        sso_user_email: req.sso_user_email.filter(|s| !s.is_empty()),
        sso_user_name: req.sso_user_name.filter(|s| !s.is_empty()),
        sso_user_real_name: req.sso_user_real_name.filter(|s| !s.is_empty()),
    });
    let mut op = Operation::new(job_id.clone(), Family::Scp, CREATE_KIND, now);
    op.action = Some(Action::ScpCreateAccount {
        account_id: account_id.clone(),
    });
    op.metadata = Some(AnyJson::new(
        "scp.AccountFactoryJob",
        json!({"account_id": account_id}),
    ));
    app.schedule(&mut st, op);
    Ok(Created { account_id, job_id })
}

/// The Organization API's `account` object.
pub fn account_json(w: &ScpWorld, a: &Account) -> Value {
    let unit_name = w
        .units
        .get(&a.parent_unit_id)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let state = match a.state {
        AccountState::Pending => "PENDING",
        AccountState::Active => "ACTIVE",
        AccountState::CreateFailed => "CREATE_FAILED",
    };
    json!({
        "id": a.id,
        "name": a.name,
        "email": a.email,
        "login_id": a.sso_user_email.clone().unwrap_or_else(|| a.email.clone()),
        "organization_id": a.organization_id,
        "parent_unit_id": a.parent_unit_id,
        "parent_unit_name": unit_name,
        "joined_method": "CLOUD_CONTROL",
        "joined_time": rfc3339(a.created_at),
        "state": state,
        "type": "MEMBER",
        // guess: SRNs follow `srn:{env}::{account}:{region}::{service}:{type}/{id}`.
        "srn": format!("srn:e::{}:::organization:account/{}", a.organization_id, a.id),
        "control_policies": [],
        "created_at": rfc3339(a.created_at),
        "created_by": a.created_by,
        "creator_name": a.created_by,
        "modified_at": rfc3339(a.modified_at),
        "modified_by": a.created_by,
        "modifier_name": a.created_by,
    })
}

pub fn get_account(app: &App, id: &str) -> ApiResult<Value> {
    let st = app.lock();
    let a = st.world.scp.accounts.get(id).ok_or_else(|| {
        ApiError::not_found(format!("organization account `{id}` not found"))
            .with_reason("ACCOUNT_NOT_FOUND")
    })?;
    Ok(json!({"account": account_json(&st.world.scp, a)}))
}

/// List filters and paging of `GET /v1/organization-accounts`.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub page: usize,
    pub size: usize,
    pub sort: String,
    pub name: String,
    pub email: String,
    pub parent_unit_id: String,
}

pub fn list_accounts(app: &App, q: &ListQuery) -> ApiResult<Value> {
    let sort = if q.sort.is_empty() {
        "created_at:desc"
    } else {
        q.sort.as_str()
    };
    let (key, dir) = sort.split_once(':').unwrap_or((sort, "asc"));
    if !matches!(key, "created_at" | "name" | "email" | "modified_at")
        || !matches!(dir, "asc" | "desc")
    {
        return Err(ApiError::invalid_field(
            "sort",
            format!("`{sort}` is not `<created_at|modified_at|name|email>:<asc|desc>`"),
        ));
    }
    let st = app.lock();
    let w = &st.world.scp;
    let unfiltered = q.name.is_empty() && q.email.is_empty() && q.parent_unit_id.is_empty();
    if unfiltered && key == "created_at" {
        // The default listing walks the creation-order index: a page costs its offset and size, not a sort.
        let skip = q.page.saturating_mul(q.size);
        let page: Vec<Value> = if dir == "desc" {
            w.by_created()
                .rev()
                .skip(skip)
                .take(q.size)
                .map(|a| account_json(w, a))
                .collect()
        } else {
            w.by_created()
                .skip(skip)
                .take(q.size)
                .map(|a| account_json(w, a))
                .collect()
        };
        let count = w.accounts.len();
        return Ok(
            json!({"accounts": page, "count": count, "page": q.page, "size": q.size, "sort": [sort]}),
        );
    }
    // guess: name and email filter by case-insensitive substring, parent_unit_id exactly.
    let mut items: Vec<&Account> = w
        .accounts
        .values()
        .filter(|a| q.name.is_empty() || a.name.to_lowercase().contains(&q.name.to_lowercase()))
        .filter(|a| q.email.is_empty() || a.email.to_lowercase().contains(&q.email.to_lowercase()))
        .filter(|a| q.parent_unit_id.is_empty() || a.parent_unit_id == q.parent_unit_id)
        .collect();
    items.sort_by(|a, b| {
        let ord = match key {
            "name" => a.name.cmp(&b.name),
            "email" => a.email.cmp(&b.email),
            "modified_at" => a.modified_at.cmp(&b.modified_at),
            _ => a.created_at.cmp(&b.created_at),
        }
        .then_with(|| a.id.cmp(&b.id));
        if dir == "desc" { ord.reverse() } else { ord }
    });
    let count = items.len();
    let page: Vec<Value> = items
        .into_iter()
        .skip(q.page.saturating_mul(q.size))
        .take(q.size)
        .map(|a| account_json(w, a))
        .collect();
    Ok(json!({"accounts": page, "count": count, "page": q.page, "size": q.size, "sort": [sort]}))
}
