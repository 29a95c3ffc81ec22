//! Channel's channel partner link routes (`partner_links.rs`): list, create, get, update.
use http::Method;

use super::bind::{body, enum_param, known, mask, page_size, reply};
use crate::error::{ApiError, ApiResult};
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::binding::grpc;
use crate::providers::google::channel::partner_links;
use crate::providers::google::parse_body;
use crate::providers::{Handler, Route};
use crate::request::Query;

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        template: "{parent=accounts/*}/channelPartnerLinks",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListChannelPartnerLinks",
        writes: false,
        handler: Handler::Json(|r| {
            let q = &r.query;
            q.check_known(&known(&["view"]))?;
            let req = pb::ListChannelPartnerLinksRequest {
                parent: r.var("parent"),
                page_size: page_size(q)?,
                page_token: q.page_token(),
                view: view_param(q)?,
            };
            reply(r, req, partner_links::list_channel_partner_links)
        }),
        grpc: grpc!(Channel, pb::ListChannelPartnerLinksRequest => partner_links::list_channel_partner_links),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}/channelPartnerLinks",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateChannelPartnerLink",
        writes: true,
        handler: Handler::Json(|r| {
            let link: pb::ChannelPartnerLink = body(r)?;
            let req = pb::CreateChannelPartnerLinkRequest {
                parent: r.var("parent"),
                channel_partner_link: Some(link),
            };
            reply(r, req, partner_links::create_channel_partner_link)
        }),
        grpc: grpc!(Channel, pb::CreateChannelPartnerLinkRequest => partner_links::create_channel_partner_link),
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/channelPartnerLinks/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetChannelPartnerLink",
        writes: false,
        handler: Handler::Json(|r| {
            r.query.check_known(&["view"])?;
            let req = pb::GetChannelPartnerLinkRequest {
                name: r.var("name"),
                view: view_param(&r.query)?,
            };
            reply(r, req, partner_links::get_channel_partner_link)
        }),
        grpc: grpc!(Channel, pb::GetChannelPartnerLinkRequest => partner_links::get_channel_partner_link),
    },
    Route {
        method: Method::PATCH,
        template: "{name=accounts/*/channelPartnerLinks/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/UpdateChannelPartnerLink",
        writes: true,
        handler: Handler::Json(|r| {
            r.query.check_known(&[])?;
            let req = update_link_request(&r.body, r.var("name"))?;
            reply(r, req, partner_links::update_channel_partner_link)
        }),
        grpc: grpc!(Channel, pb::UpdateChannelPartnerLinkRequest => partner_links::update_channel_partner_link),
    },
];

/// The `view` query parameter (a ChannelPartnerLinkView, by name or number).
fn view_param(q: &Query) -> ApiResult<i32> {
    enum_param(q, &["view"], |s| {
        pb::ChannelPartnerLinkView::from_str_name(s).map(|v| v as i32)
    })
}

/// An UpdateChannelPartnerLinkRequest body. Its `updateMask` is a FieldMask in its JSON form (`"a.b,c"`), which
/// the strict body decoder would take for an object, so it is split off first.
fn update_link_request(
    body: &[u8],
    name: String,
) -> ApiResult<pb::UpdateChannelPartnerLinkRequest> {
    #[derive(serde::Deserialize, Default)]
    struct Body {
        #[serde(default, alias = "channel_partner_link", rename = "channelPartnerLink")]
        link: Option<serde_json::Value>,
        #[serde(default, alias = "update_mask", rename = "updateMask")]
        mask: Option<String>,
    }
    let b: Body = parse_body(body)?;
    let link = match b.link {
        Some(v) => Some(
            parse_body::<pb::ChannelPartnerLink>(v.to_string().as_bytes())
                .map_err(|e| ApiError::invalid_field("channelPartnerLink", e.message))?,
        ),
        None => None,
    };
    Ok(pb::UpdateChannelPartnerLinkRequest {
        name,
        channel_partner_link: link,
        update_mask: b.mask.as_deref().map(mask),
    })
}
