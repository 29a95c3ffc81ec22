//! SCP Cloud Control's account factory (`POST /v1/accounts`): the request, parsed and checked outside the lock
//! ([`NewAccount`]), and the create, on a [`Ctx`] after the version and the signature were checked.

use serde::Deserialize;
use serde_json::json;

use super::auth::{Signed, Versioned};
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::providers::Ctx;
use crate::world::actions::Action;
use crate::world::ops::{AnyJson, Operation};
use crate::world::scp::{Account, AccountState};

pub const CREATE_KIND: &str = "scp.createAccount";

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

/// A `CreateAccount` body that passed every check that needs no state.
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub landing_zone_id: String,
    pub parent_unit_id: String,
    pub sso_user_email: Option<String>,
    pub sso_user_name: Option<String>,
    pub sso_user_real_name: Option<String>,
}

impl TryFrom<CreateAccountRequest> for NewAccount {
    type Error = ApiError;
    fn try_from(req: CreateAccountRequest) -> ApiResult<NewAccount> {
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
        Ok(NewAccount {
            name,
            email,
            landing_zone_id,
            parent_unit_id,
            sso_user_email: req.sso_user_email.filter(|s| !s.is_empty()),
            sso_user_name: req.sso_user_name.filter(|s| !s.is_empty()),
            sso_user_real_name: req.sso_user_real_name.filter(|s| !s.is_empty()),
        })
    }
}

/// Creates a PENDING account and the job that activates it.
pub fn create_account(ctx: &mut Ctx<'_>, req: Signed<NewAccount>) -> ApiResult<Versioned<Created>> {
    let checked = req.check(ctx, "cloudcontrol")?;
    let NewAccount {
        name,
        email,
        landing_zone_id,
        parent_unit_id,
        sso_user_email,
        sso_user_name,
        sso_user_real_name,
    } = checked.req;
    let now = ctx.now;
    let st = &mut *ctx.st;
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
        created_by: checked.signer.unwrap_or_else(|| "provmock".to_string()),
        sso_user_email,
        sso_user_name,
        sso_user_real_name,
    });
    let mut op = Operation::new(job_id.clone(), Family::Scp, CREATE_KIND, now);
    op.action = Some(Action::ScpCreateAccount {
        account_id: account_id.clone(),
    });
    op.metadata = Some(AnyJson::new(
        "scp.AccountFactoryJob",
        json!({"account_id": account_id}),
    ));
    ctx.after.schedule(st, op, now);
    Ok(Versioned {
        body: Created { account_id, job_id },
        warning: checked.warning,
    })
}
