//! UserpoolService: get, list, create (with its name and subdomain rules) and delete.

use crate::error::{ApiError, ApiResult};
use crate::paging;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::Ctx;
use crate::providers::yandex::iam::Checked;
use crate::world::actions::Action;
use crate::world::messages::{pool_not_found, pool_proto};
use crate::world::ops::Operation;
use crate::world::stored;
use crate::world::yandex::{PoolStatus, Userpool};

use super::operations::{NewOp, new_id, start_op};
use super::render::empty;
use super::validate::{max_len, required};

pub const CREATE_POOL_KIND: &str = "yandex.createUserpool";
/// guess: the userpool domain suffix Yandex shows for a default subdomain.
const DOMAIN_SUFFIX: &str = "idp.yandexcloud.net";

/// The userpool a get or delete names.
pub struct PoolId(String);

fn pool_id(id: String) -> ApiResult<PoolId> {
    required("userpool_id", &id, 50)?;
    Ok(PoolId(id))
}

impl TryFrom<pb::GetUserpoolRequest> for Checked<PoolId> {
    type Error = ApiError;
    fn try_from(req: pb::GetUserpoolRequest) -> ApiResult<Self> {
        Ok(Checked(pool_id(req.userpool_id)))
    }
}

pub fn get_userpool(ctx: &mut Ctx<'_>, req: Checked<PoolId>) -> ApiResult<pb::Userpool> {
    let (_, PoolId(id)) = req.authorize(ctx)?;
    ctx.st
        .world
        .yandex
        .userpools
        .get(&id)
        .map(pool_proto)
        .ok_or_else(|| pool_not_found(&id))
}

/// A `ListUserpools` with its page size, filter and token checked.
pub struct ListUserpools {
    organization_id: String,
    size: usize,
    fp: String,
    after: String,
}

impl TryFrom<pb::ListUserpoolsRequest> for Checked<ListUserpools> {
    type Error = ApiError;
    fn try_from(req: pb::ListUserpoolsRequest) -> ApiResult<Self> {
        Ok(Checked(list_userpools_request(req)))
    }
}

fn list_userpools_request(req: pb::ListUserpoolsRequest) -> ApiResult<ListUserpools> {
    required("organization_id", &req.organization_id, 50)?;
    if !(0..=1000).contains(&req.page_size) {
        return Err(ApiError::invalid_field(
            "page_size",
            format!("value must be in range 0-1000, got {}", req.page_size),
        ));
    }
    if !req.filter.trim().is_empty() {
        return Err(ApiError::invalid_field(
            "filter",
            "provmock supports no userpool filters",
        ));
    }
    let size = if req.page_size == 0 {
        100
    } else {
        req.page_size as usize
    };
    let fp = paging::fingerprint(&[&req.organization_id]);
    let after = if req.page_token.is_empty() {
        String::new()
    } else {
        paging::decode(&req.page_token, &fp, "page_token")?
    };
    Ok(ListUserpools {
        organization_id: req.organization_id,
        size,
        fp,
        after,
    })
}

pub fn list_userpools(
    ctx: &mut Ctx<'_>,
    req: Checked<ListUserpools>,
) -> ApiResult<pb::ListUserpoolsResponse> {
    let (_, req) = req.authorize(ctx)?;
    let ListUserpools {
        organization_id,
        size,
        fp,
        after,
    } = req;
    let keep = |_: &str, p: &Userpool| p.organization_id == organization_id;
    let (pools, next_page_token) = paging::take_page(
        paging::after(&ctx.st.world.yandex.userpools, after),
        size,
        &fp,
        keep,
        pool_proto,
    );
    Ok(pb::ListUserpoolsResponse {
        userpools: pools,
        next_page_token,
    })
}

fn valid_pool_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

/// A `CreateUserpool` that passed every check of its fields.
pub struct NewUserpool(pb::CreateUserpoolRequest);

impl TryFrom<pb::CreateUserpoolRequest> for Checked<NewUserpool> {
    type Error = ApiError;
    fn try_from(req: pb::CreateUserpoolRequest) -> ApiResult<Self> {
        Ok(Checked(new_userpool(req)))
    }
}

fn new_userpool(req: pb::CreateUserpoolRequest) -> ApiResult<NewUserpool> {
    required("organization_id", &req.organization_id, 50)?;
    if req.name.is_empty() {
        return Err(ApiError::invalid_field("name", "value is required"));
    }
    if !valid_pool_name(&req.name) {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "`{}` does not match `[a-z]([-a-z0-9]{{0,61}}[a-z0-9])?`",
                req.name
            ),
        ));
    }
    max_len("description", &req.description, 256)?;
    if req.labels.len() > 64 {
        return Err(ApiError::invalid_field("labels", "at most 64 labels"));
    }
    for (k, v) in &req.labels {
        let ok = |s: &str| {
            s.len() <= 63
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        };
        if !ok(k) || !ok(v) {
            return Err(ApiError::invalid_field(
                "labels",
                format!("label `{k}={v}` does not match `[-_0-9a-z]*` (<= 63)"),
            ));
        }
    }
    required("default_subdomain", &req.default_subdomain, 63)?;
    if !valid_pool_name(&req.default_subdomain) {
        return Err(ApiError::invalid_field(
            "default_subdomain",
            format!("`{}` is not a DNS label", req.default_subdomain),
        ));
    }
    Ok(NewUserpool(req))
}

pub fn create_userpool(ctx: &mut Ctx<'_>, req: Checked<NewUserpool>) -> ApiResult<Operation> {
    let (subject, NewUserpool(req)) = req.authorize(ctx)?;
    let now = ctx.now;
    let st = &mut *ctx.st;
    if st.world.strict
        && !st
            .world
            .yandex
            .organizations
            .contains_key(&req.organization_id)
    {
        return Err(ApiError::not_found(format!(
            "organization `{}` not found",
            req.organization_id
        )));
    }
    let domain = format!("{}.{DOMAIN_SUFFIX}", req.default_subdomain);
    if let Some(p) = st.world.yandex.domains.get(&domain) {
        return Err(ApiError::already_exists(format!(
            "domain `{domain}` is already used by userpool `{p}`"
        )));
    }
    if let Some(p) = st
        .world
        .yandex
        .userpools
        .values()
        .find(|p| p.organization_id == req.organization_id && p.name == req.name)
    {
        return Err(ApiError::already_exists(format!(
            "userpool named `{}` already exists: `{}`",
            req.name, p.id
        )));
    }
    let id = new_id(st, "ek0");
    st.world.yandex.put_pool(Userpool {
        id: id.clone(),
        organization_id: req.organization_id,
        name: req.name,
        description: req.description,
        labels: req.labels.into_iter().collect(),
        domains: vec![domain],
        status: PoolStatus::Creating,
        created_at: now,
        updated_at: now,
    });
    let metadata = stored::YANDEX_CREATE_USERPOOL.of(&pb::CreateUserpoolMetadata {
        userpool_id: id.clone(),
    });
    start_op(
        ctx,
        NewOp {
            kind: CREATE_POOL_KIND,
            subject: &subject,
            description: "Create userpool",
            metadata,
            response: None,
            action: Some(Action::YandexCreateUserpool { userpool_id: id }),
        },
    )
}

impl TryFrom<pb::DeleteUserpoolRequest> for Checked<PoolId> {
    type Error = ApiError;
    fn try_from(req: pb::DeleteUserpoolRequest) -> ApiResult<Self> {
        Ok(Checked(pool_id(req.userpool_id)))
    }
}

pub fn delete_userpool(ctx: &mut Ctx<'_>, req: Checked<PoolId>) -> ApiResult<Operation> {
    let (subject, PoolId(id)) = req.authorize(ctx)?;
    let w = &mut ctx.st.world.yandex;
    if !w.userpools.contains_key(&id) {
        return Err(pool_not_found(&id));
    }
    if w.pool_has_users(&id) {
        return Err(ApiError::failed_precondition(format!(
            "userpool `{id}` still has users; delete them first"
        )));
    }
    w.remove_pool(&id);
    let metadata =
        stored::YANDEX_DELETE_USERPOOL.of(&pb::DeleteUserpoolMetadata { userpool_id: id });
    start_op(
        ctx,
        NewOp {
            kind: "yandex.deleteUserpool",
            subject: &subject,
            description: "Delete userpool",
            metadata,
            response: Some(empty()),
            action: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_names_are_dns_like() {
        assert!(valid_pool_name("my-pool1"));
        assert!(!valid_pool_name("1pool"));
        assert!(!valid_pool_name("pool-"));
        assert!(!valid_pool_name("Pool"));
    }
}
