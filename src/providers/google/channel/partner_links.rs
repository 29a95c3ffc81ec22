//! Channel partner links (a distributor's links to its resellers), once for REST and gRPC: list, get, create and
//! patch (the link's state only). The customers under a link (`…/channelPartnerLinks/{l}/customers`) are served by
//! the customer methods in `service/customers.rs`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::catalog::{account_parent, page_of};
use super::service::{Parent, authorize, check_parent_exists, valid_id};
use crate::error::{ApiError, ApiResult, shown};
use crate::paging;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::google::names::{Under, under};
use crate::world::google::{ChannelPartnerLink, GoogleWorld, sha256_hex};
use crate::world::messages::cloud_identity_info;
use crate::world::orders::LinkState;

fn link_name(l: &ChannelPartnerLink) -> String {
    format!("accounts/{}/channelPartnerLinks/{}", l.account, l.id)
}

fn link_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("channel partner link `{}` not found", shown(name)))
        .with_reason("CHANNEL_PARTNER_LINK_NOT_FOUND")
}

/// The link as the API shows it. guess: the invite URI and public id are derived from the link's name (stable, so
/// exports need not keep them); `FULL` adds the partner's Cloud Identity info when the directory has it.
pub fn link_proto(g: &GoogleWorld, l: &ChannelPartnerLink, full: bool) -> pb::ChannelPartnerLink {
    let name = link_name(l);
    let h = sha256_hex(&name);
    let time = |t: Option<DateTime<Utc>>| t.map(Into::into);
    pb::ChannelPartnerLink {
        name,
        reseller_cloud_identity_id: l.reseller_cloud_identity_id.clone(),
        link_state: l.link_state.proto() as i32,
        invite_link_uri: format!(
            "https://partners.cloud.google.com/invitation?token={}",
            &h[..32]
        ),
        create_time: time(l.create_time),
        update_time: time(l.update_time),
        public_id: h[..12].to_ascii_uppercase(),
        channel_partner_cloud_identity_info: full
            .then(|| g.identities.get(&l.reseller_cloud_identity_id))
            .flatten()
            .map(cloud_identity_info),
    }
}

fn full_view(view: i32, field: &str) -> ApiResult<bool> {
    match pb::ChannelPartnerLinkView::try_from(view) {
        // guess: an unspecified view is BASIC, as the enum's order suggests.
        Ok(pb::ChannelPartnerLinkView::Unspecified | pb::ChannelPartnerLinkView::Basic) => {
            Ok(false)
        }
        Ok(pb::ChannelPartnerLinkView::Full) => Ok(true),
        Err(_) => Err(ApiError::invalid_field(
            field,
            format!("{view} is not a ChannelPartnerLinkView"),
        )),
    }
}

fn parse_link_name(name: &str, field: &str) -> ApiResult<Parent> {
    let p = Parent::parse(name, field)?;
    if p.link.is_none() {
        return Err(ApiError::invalid_field(
            field,
            format!(
                "`{}` is not accounts/{{account}}/channelPartnerLinks/{{link}}",
                shown(name)
            ),
        ));
    }
    Ok(p)
}

under! {
    pb::ListChannelPartnerLinksRequest => |r| account_parent(&r.parent, "parent");
    pb::GetChannelPartnerLinkRequest => |r| parse_link_name(&r.name, "name");
    pb::CreateChannelPartnerLinkRequest => |r| account_parent(&r.parent, "parent");
    pb::UpdateChannelPartnerLinkRequest => |r| parse_link_name(&r.name, "name");
}

pub fn list_channel_partner_links(
    ctx: &mut Ctx<'_>,
    req: Under<pb::ListChannelPartnerLinksRequest>,
) -> ApiResult<pb::ListChannelPartnerLinksResponse> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &*ctx.st;
    let full = full_view(req.view, "view")?;
    let size = paging::page_size(i64::from(req.page_size), 25, 200, "pageSize")?;
    let fp = paging::fingerprint(&["channelPartnerLinks", &req.parent, &req.view.to_string()]);
    check_parent_exists(st, &parent)?;
    let g = &st.world.google;
    let of_account: BTreeMap<String, &ChannelPartnerLink> = g
        .partner_links
        .range((parent.account.clone(), String::new())..)
        .take_while(|((a, _), _)| *a == parent.account)
        .map(|((_, id), l)| (id.clone(), l))
        .collect();
    let (channel_partner_links, next_page_token) =
        page_of(&of_account, &req.page_token, &fp, size, |l| {
            link_proto(g, l, full)
        })?;
    Ok(pb::ListChannelPartnerLinksResponse {
        channel_partner_links,
        next_page_token,
    })
}

pub fn get_channel_partner_link(
    ctx: &mut Ctx<'_>,
    req: Under<pb::GetChannelPartnerLinkRequest>,
) -> ApiResult<pb::ChannelPartnerLink> {
    let Under { parent: p, req } = req;
    authorize(ctx, &p.account)?;
    let st = &*ctx.st;
    let full = full_view(req.view, "view")?;
    let g = &st.world.google;
    let l = g
        .partner_links
        .get(&(p.account.clone(), p.link.clone().unwrap_or_default()))
        .ok_or_else(|| link_not_found(&req.name))?;
    Ok(link_proto(g, l, full))
}

pub fn create_channel_partner_link(
    ctx: &mut Ctx<'_>,
    req: Under<pb::CreateChannelPartnerLinkRequest>,
) -> ApiResult<pb::ChannelPartnerLink> {
    let Under { parent, req } = req;
    authorize(ctx, &parent.account)?;
    let st = &mut *ctx.st;
    let input = req
        .channel_partner_link
        .ok_or_else(|| ApiError::invalid_field("channelPartnerLink", "is required"))?;
    if input.reseller_cloud_identity_id.is_empty() {
        return Err(ApiError::invalid_field(
            "channelPartnerLink.resellerCloudIdentityId",
            "is required",
        ));
    }
    // guess: a new link is always an invitation; the partner accepting it makes it ACTIVE.
    match pb::ChannelPartnerLinkState::try_from(input.link_state) {
        Ok(pb::ChannelPartnerLinkState::Unspecified | pb::ChannelPartnerLinkState::Invited) => {}
        _ => {
            return Err(ApiError::invalid_field(
                "channelPartnerLink.linkState",
                format!(
                    "a new link starts as INVITED, not {}",
                    pb::ChannelPartnerLinkState::try_from(input.link_state)
                        .map(|s| s.as_str_name().to_string())
                        .unwrap_or_else(|_| input.link_state.to_string())
                ),
            ));
        }
    }
    let now = ctx.now;
    check_parent_exists(st, &parent)?;
    let ci = &input.reseller_cloud_identity_id;
    if !st.world.google.identities.contains_key(ci) {
        return Err(ApiError::not_found(format!(
            "no Cloud Identity customer `{}` exists to link",
            shown(ci)
        ))
        .with_reason("CLOUD_IDENTITY_NOT_FOUND"));
    }
    if let Some(((_, id), _)) = st
        .world
        .google
        .partner_links
        .range((parent.account.clone(), String::new())..)
        .take_while(|((a, _), _)| *a == parent.account)
        .find(|(_, l)| &l.reseller_cloud_identity_id == ci && l.link_state != LinkState::Revoked)
    {
        return Err(ApiError::already_exists(format!(
            "`accounts/{}` already links Cloud Identity `{ci}` as `accounts/{}/channelPartnerLinks/{id}`",
            parent.account, parent.account
        ))
        .with_reason("CHANNEL_PARTNER_LINK_ALREADY_EXISTS"));
    }
    let id = loop {
        let id = st.ids.mixed_alnum(10);
        if valid_id(&id)
            && !st
                .world
                .google
                .partner_links
                .contains_key(&(parent.account.clone(), id.clone()))
        {
            break id;
        }
    };
    let link = ChannelPartnerLink {
        account: parent.account.clone(),
        id: id.clone(),
        reseller_cloud_identity_id: ci.clone(),
        link_state: LinkState::Invited,
        create_time: Some(now),
        update_time: Some(now),
    };
    st.world
        .google
        .partner_links
        .insert((parent.account.clone(), id), link.clone());
    Ok(link_proto(&st.world.google, &link, false))
}

pub fn update_channel_partner_link(
    ctx: &mut Ctx<'_>,
    req: Under<pb::UpdateChannelPartnerLinkRequest>,
) -> ApiResult<pb::ChannelPartnerLink> {
    let Under { parent: p, req } = req;
    authorize(ctx, &p.account)?;
    let st = &mut *ctx.st;
    let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        return Err(ApiError::invalid_field(
            "updateMask",
            "is required; the only updatable field is channel_partner_link.link_state",
        ));
    }
    for path in &paths {
        let ok = matches!(
            path.as_str(),
            "channel_partner_link.link_state"
                | "channelPartnerLink.linkState"
                | "link_state"
                | "linkState"
        );
        if !ok {
            return Err(ApiError::invalid_field(
                "updateMask",
                format!(
                    "`{}` cannot be updated; the only allowable update mask is channel_partner_link.link_state",
                    shown(path)
                ),
            ));
        }
    }
    let input = req
        .channel_partner_link
        .ok_or_else(|| ApiError::invalid_field("channelPartnerLink", "is required"))?;
    let to = LinkState::from_proto(input.link_state).ok_or_else(|| {
        ApiError::invalid_field(
            "channelPartnerLink.linkState",
            format!("{} is not a link state to set", input.link_state),
        )
    })?;
    let now = ctx.now;
    let key = (p.account.clone(), p.link.clone().unwrap_or_default());
    let l = st
        .world
        .google
        .partner_links
        .get(&key)
        .cloned()
        .ok_or_else(|| link_not_found(&req.name))?;
    use LinkState::*;
    // The reference: a link cannot go from invited to active or suspended. guess: a revoked link stays revoked,
    // and the other moves between active, suspended and revoked are allowed.
    let allowed = matches!(
        (l.link_state, to),
        (Invited, Revoked)
            | (Active, Suspended)
            | (Active, Revoked)
            | (Suspended, Active)
            | (Suspended, Revoked)
    ) || l.link_state == to && to != Revoked;
    if !allowed {
        return Err(ApiError::invalid_field(
            "channelPartnerLink.linkState",
            format!(
                "link `{}` cannot change from {} to {}",
                req.name,
                l.link_state.proto().as_str_name(),
                to.proto().as_str_name()
            ),
        ));
    }
    let updated = ChannelPartnerLink {
        link_state: to,
        update_time: Some(now),
        ..l
    };
    st.world.google.partner_links.insert(key, updated.clone());
    Ok(link_proto(&st.world.google, &updated, false))
}
