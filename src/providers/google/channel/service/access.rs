//! Who may act for which reseller account (`--auth strict`: the bearer token's principal and its Channel accounts),
//! and whether a request's parent account or channel partner link exists.

use crate::error::{ApiError, ApiResult};
use crate::providers::Ctx;
use crate::providers::google::names::Parent;
use crate::world::state::State;

/// Strict auth: the caller's token must belong to a principal of this reseller account.
pub(crate) fn authorize(ctx: &Ctx<'_>, account: &str) -> ApiResult<()> {
    if !ctx.strict() {
        return Ok(());
    }
    let principal = crate::providers::google::principal(&ctx.st.world.google, ctx.caller)?;
    if principal.channel_accounts.iter().any(|a| a == account) {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "principal `{}` may not act for reseller account `accounts/{account}`",
            principal.name
        ))
        .with_reason("PERMISSION_DENIED"))
    }
}

/// Strict auth for methods not tied to one account in their path (operations): the reseller accounts the caller
/// may act for, or `None` (every account) in permissive auth. A principal with no Channel account gets an empty
/// list, so it sees no operation.
pub fn accounts_of_caller(ctx: &Ctx<'_>) -> ApiResult<Option<Vec<String>>> {
    if !ctx.strict() {
        return Ok(None);
    }
    crate::providers::google::principal(&ctx.st.world.google, ctx.caller)
        .map(|p| Some(p.channel_accounts.clone()))
}

/// In a strict world the account (and link) must exist; a permissive world accepts any as empty.
pub(crate) fn check_parent_exists(st: &State, parent: &Parent) -> ApiResult<()> {
    if !st.world.strict {
        return Ok(());
    }
    if !st.world.google.accounts.contains_key(&parent.account) {
        return Err(ApiError::not_found(format!(
            "reseller account `accounts/{}` not found",
            parent.account
        ))
        .with_reason("ACCOUNT_NOT_FOUND"));
    }
    if let Some(l) = &parent.link
        && !st
            .world
            .google
            .partner_links
            .contains_key(&(parent.account.clone(), l.clone()))
    {
        return Err(ApiError::not_found(format!(
            "channel partner link `{}` not found",
            parent.name()
        )));
    }
    Ok(())
}
