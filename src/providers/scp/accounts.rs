//! SCP Organization's account reads, which clients poll until an account is ACTIVE: get, and list with its
//! filters, sort and paging (checked outside the lock, [`ListQuery`]).

use serde_json::{Value, json};

use super::auth::{Signed, Versioned};
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use crate::providers::Ctx;
use crate::world::scp::{Account, AccountState, ScpWorld};

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

/// `GET /v1/organization-accounts/{id}`.
pub fn get_account(ctx: &mut Ctx<'_>, req: Signed<String>) -> ApiResult<Versioned<Value>> {
    let checked = req.check(ctx, "organization")?;
    let id = &checked.req;
    let w = &ctx.st.world.scp;
    let a = w.accounts.get(id).ok_or_else(|| {
        ApiError::not_found(format!("organization account `{id}` not found"))
            .with_reason("ACCOUNT_NOT_FOUND")
    })?;
    Ok(Versioned {
        body: json!({"account": account_json(w, a)}),
        warning: checked.warning,
    })
}

/// List filters and paging of `GET /v1/organization-accounts`, as the adapter reads them from the query.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub page: usize,
    pub size: usize,
    pub sort: String,
    pub name: String,
    pub email: String,
    pub parent_unit_id: String,
}

/// A [`ListQuery`] whose sort was checked: the key and the direction.
pub struct ListAccounts {
    pub q: ListQuery,
    pub sort: String,
    pub desc: bool,
}

impl TryFrom<ListQuery> for ListAccounts {
    type Error = ApiError;
    fn try_from(q: ListQuery) -> ApiResult<ListAccounts> {
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
        Ok(ListAccounts {
            sort: sort.to_string(),
            desc: dir == "desc",
            q,
        })
    }
}

impl ListAccounts {
    /// The sort key (`created_at`, `modified_at`, `name` or `email`).
    fn key(&self) -> &str {
        self.sort
            .split_once(':')
            .map_or(self.sort.as_str(), |(k, _)| k)
    }
}

/// `GET /v1/organization-accounts`.
pub fn list_accounts(ctx: &mut Ctx<'_>, req: Signed<ListAccounts>) -> ApiResult<Versioned<Value>> {
    let checked = req.check(ctx, "organization")?;
    let list = &checked.req;
    let (q, sort, key) = (&list.q, list.sort.as_str(), list.key());
    let desc = list.desc;
    let w = &ctx.st.world.scp;
    let unfiltered = q.name.is_empty() && q.email.is_empty() && q.parent_unit_id.is_empty();
    if unfiltered && key == "created_at" {
        // The default listing walks the creation-order index: a page costs its offset and size, not a sort.
        let skip = q.page.saturating_mul(q.size);
        let page: Vec<Value> = if desc {
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
        return Ok(Versioned {
            body: json!({"accounts": page, "count": count, "page": q.page, "size": q.size, "sort": [sort]}),
            warning: checked.warning,
        });
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
        if desc { ord.reverse() } else { ord }
    });
    let count = items.len();
    let page: Vec<Value> = items
        .into_iter()
        .skip(q.page.saturating_mul(q.size))
        .take(q.size)
        .map(|a| account_json(w, a))
        .collect();
    Ok(Versioned {
        body: json!({"accounts": page, "count": count, "page": q.page, "size": q.size, "sort": [sort]}),
        warning: checked.warning,
    })
}
