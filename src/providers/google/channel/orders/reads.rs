//! The entitlement reads: get, list, and listEntitlementChanges (the history, with its filter).

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ApiResult, shown};
use crate::paging;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::google::channel::catalog::{self, customer};
use crate::providers::google::channel::service::authorize;
use crate::providers::google::names::Under;

use pb::entitlement_change::ChangeType;

use super::lookup::OfEntitlement;
use super::lookup::visible_entitlement;

pub fn get_entitlement(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::GetEntitlementRequest>,
) -> ApiResult<pb::Entitlement> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &*ctx.st;
    customer(st, &customer_name)?;
    visible_entitlement(st, &req.name, &customer_name).map(|r| r.entitlement.clone())
}

pub fn list_entitlements(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListEntitlementsRequest>,
) -> ApiResult<pb::ListEntitlementsResponse> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 50, 100, "pageSize")?;
    let fp = paging::fingerprint(&["entitlements", &req.parent]);
    let prefix = format!("{}/entitlements/", req.parent);
    let start = if req.page_token.is_empty() {
        prefix.clone()
    } else {
        paging::decode(&req.page_token, &fp, "pageToken")?
    };
    customer(st, &req.parent)?;
    let items = paging::after(&st.world.google.orders.entitlements, start)
        .take_while(|(k, _)| k.starts_with(&prefix));
    let (entitlements, next_page_token) = paging::take_page(
        items,
        size,
        &fp,
        |_, r| !r.creating,
        |r| r.entitlement.clone(),
    );
    Ok(pb::ListEntitlementsResponse {
        entitlements,
        next_page_token,
    })
}

/// One term of an entitlement-changes filter.
enum ChangeTerm {
    Type(i32),
    Time(std::cmp::Ordering, bool, DateTime<Utc>),
}

/// guess: the reference documents no filter grammar for entitlement changes; provmock takes terms joined by AND:
/// `change_type = SUSPENDED` (also `changeType`, quoted or not) and `create_time >= "2026-01-01T00:00:00Z"`
/// (`>`, `>=`, `<`, `<=`, `=`).
fn parse_change_filter(filter: &str) -> ApiResult<Vec<ChangeTerm>> {
    let mut out = Vec::new();
    if filter.trim().is_empty() {
        return Ok(out);
    }
    let invalid = |m: String| ApiError::invalid_field("filter", m);
    for raw in filter.split(" AND ") {
        let raw = raw.trim();
        let ops = [">=", "<=", "=", ">", "<"];
        let Some((pos, op)) = ops
            .iter()
            .filter_map(|op| raw.find(op).map(|p| (p, *op)))
            .min_by_key(|(p, op)| (*p, std::cmp::Reverse(op.len())))
        else {
            return Err(invalid(format!(
                "`{}` is not `key op value` (change_type or create_time)",
                shown(raw)
            )));
        };
        let key = raw[..pos].trim();
        let value = raw[pos + op.len()..].trim().trim_matches('"');
        match key {
            "change_type" | "changeType" => {
                if op != "=" {
                    return Err(invalid(format!("change_type takes `=`, not `{op}`")));
                }
                let t = ChangeType::from_str_name(value).ok_or_else(|| {
                    invalid(format!(
                        "`{}` is not an EntitlementChange.ChangeType",
                        shown(value)
                    ))
                })?;
                out.push(ChangeTerm::Type(t as i32));
            }
            "create_time" | "createTime" => {
                let t = DateTime::parse_from_rfc3339(value)
                    .map_err(|_| invalid(format!("`{}` is not an RFC 3339 time", shown(value))))?
                    .with_timezone(&Utc);
                let (ord, or_equal) = match op {
                    ">" => (std::cmp::Ordering::Greater, false),
                    ">=" => (std::cmp::Ordering::Greater, true),
                    "<" => (std::cmp::Ordering::Less, false),
                    "<=" => (std::cmp::Ordering::Less, true),
                    _ => (std::cmp::Ordering::Equal, true),
                };
                out.push(ChangeTerm::Time(ord, or_equal, t));
            }
            other => {
                return Err(invalid(format!(
                    "unknown key `{}`; entitlement changes filter by change_type or create_time",
                    shown(other)
                )));
            }
        }
    }
    Ok(out)
}

pub fn list_entitlement_changes(
    ctx: &mut Ctx<'_>,
    req: OfEntitlement<pb::ListEntitlementChangesRequest>,
) -> ApiResult<pb::ListEntitlementChangesResponse> {
    let OfEntitlement {
        customer: customer_name,
        account,
        req,
    } = req;
    authorize(ctx, &account)?;
    let st = &*ctx.st;
    let size = paging::page_size(i64::from(req.page_size), 10, 50, "pageSize")?;
    let terms = parse_change_filter(&req.filter)?;
    let fp = paging::fingerprint(&["entitlementChanges", &req.parent, &req.filter]);
    customer(st, &customer_name)?;
    let r = visible_entitlement(st, &req.parent, &customer_name)?;
    let keep = |c: &pb::EntitlementChange| {
        terms.iter().all(|t| match t {
            ChangeTerm::Type(n) => c.change_type == *n,
            ChangeTerm::Time(ord, or_equal, at) => {
                let Some(ct) = c.create_time.and_then(|t| t.to_datetime()) else {
                    return false;
                };
                let o = ct.cmp(at);
                o == *ord || (*or_equal && o == std::cmp::Ordering::Equal)
            }
        })
    };
    let map: std::collections::BTreeMap<String, &pb::EntitlementChange> = r
        .changes
        .iter()
        .enumerate()
        .filter(|(_, c)| keep(c))
        .map(|(i, c)| (format!("{i:010}"), c))
        .collect();
    let (entitlement_changes, next_page_token) =
        catalog::page_of(&map, &req.page_token, &fp, size, |c| (*c).clone())?;
    Ok(pb::ListEntitlementChangesResponse {
        entitlement_changes,
        next_page_token,
    })
}
