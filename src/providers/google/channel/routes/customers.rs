//! Channel's customer routes (`service/`): customers under an account and under a channel partner link (one RPC on
//! two paths: its REST binding is a named fn next to the entries, its gRPC binding on the first), import,
//! checkCloudIdentityAccountsExist and provisionCloudIdentity.
use http::Method;
use pbjson_types::Empty;

use super::bind::{body, empty, json, mask, operation, page_size, reply};
use crate::error::ApiResult;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::binding::grpc;
use crate::providers::google::channel::service;
use crate::providers::google::{JsonBody, Version, lro, parse_body};
use crate::providers::{Handler, RestRequest, Route, serve};

pub static ROUTES: &[Route] = &[
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}:checkCloudIdentityAccountsExist",
        rpc: "google.cloud.channel.v1.CloudChannelService/CheckCloudIdentityAccountsExist",
        writes: false,
        handler: Handler::Json(|r| {
            let mut req: pb::CheckCloudIdentityAccountsExistRequest = body(r)?;
            req.parent = r.var("parent");
            let resp = serve(
                &r.app,
                &r.caller,
                (req, r.version()),
                service::check_cloud_identity_accounts_exist,
            )?;
            Ok(json(r, &resp))
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::CheckCloudIdentityAccountsExistRequest| {
                serve(
                    app,
                    caller,
                    (req, Version::V1),
                    service::check_cloud_identity_accounts_exist,
                )
            }
        ),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListCustomers",
        writes: false,
        handler: Handler::Json(list_customers),
        grpc: grpc!(Channel, pb::ListCustomersRequest => service::list_customers),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateCustomer",
        writes: true,
        handler: Handler::Json(create_customer),
        grpc: grpc!(Channel, pb::CreateCustomerRequest => service::create_customer),
    },
    Route {
        method: Method::GET,
        template: "{parent=accounts/*/channelPartnerLinks/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/ListCustomers",
        writes: false,
        handler: Handler::Json(list_customers),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/channelPartnerLinks/*}/customers",
        rpc: "google.cloud.channel.v1.CloudChannelService/CreateCustomer",
        writes: true,
        handler: Handler::Json(create_customer),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*}/customers:import",
        rpc: "google.cloud.channel.v1.CloudChannelService/ImportCustomer",
        writes: true,
        handler: Handler::Json(import_customer),
        grpc: grpc!(Channel, pb::ImportCustomerRequest => service::import_customer),
    },
    Route {
        method: Method::POST,
        template: "{parent=accounts/*/channelPartnerLinks/*}/customers:import",
        rpc: "google.cloud.channel.v1.CloudChannelService/ImportCustomer",
        writes: true,
        handler: Handler::Json(import_customer),
        grpc: None,
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetCustomer",
        writes: false,
        handler: Handler::Json(get_customer),
        grpc: grpc!(Channel, pb::GetCustomerRequest => service::get_customer),
    },
    Route {
        method: Method::PATCH,
        template: "{name=accounts/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/UpdateCustomer",
        writes: true,
        handler: Handler::Json(update_customer),
        grpc: grpc!(Channel, pb::UpdateCustomerRequest => service::update_customer),
    },
    Route {
        method: Method::DELETE,
        template: "{name=accounts/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/DeleteCustomer",
        writes: true,
        handler: Handler::Json(delete_customer),
        grpc: grpc!(Channel, |app, caller, req: pb::DeleteCustomerRequest| {
            serve(app, caller, req, service::delete_customer).map(|()| Empty {})
        }),
    },
    Route {
        method: Method::GET,
        template: "{name=accounts/*/channelPartnerLinks/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/GetCustomer",
        writes: false,
        handler: Handler::Json(get_customer),
        grpc: None,
    },
    Route {
        method: Method::PATCH,
        template: "{name=accounts/*/channelPartnerLinks/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/UpdateCustomer",
        writes: true,
        handler: Handler::Json(update_customer),
        grpc: None,
    },
    Route {
        method: Method::DELETE,
        template: "{name=accounts/*/channelPartnerLinks/*/customers/*}",
        rpc: "google.cloud.channel.v1.CloudChannelService/DeleteCustomer",
        writes: true,
        handler: Handler::Json(delete_customer),
        grpc: None,
    },
    Route {
        method: Method::POST,
        template: "{customer=accounts/*/customers/*}:provisionCloudIdentity",
        rpc: "google.cloud.channel.v1.CloudChannelService/ProvisionCloudIdentity",
        writes: true,
        handler: Handler::Json(|r| {
            let mut req: pb::ProvisionCloudIdentityRequest = body(r)?;
            req.customer = r.var("customer");
            operation(r, req, service::provision_cloud_identity)
        }),
        grpc: grpc!(
            Channel,
            |app, caller, req: pb::ProvisionCloudIdentityRequest| {
                serve(app, caller, req, service::provision_cloud_identity)
                    .map(|op| lro::operation_proto(&op))
            }
        ),
    },
];

// The REST bindings of the RPCs served on both paths (`accounts/*/customers…` and
// `accounts/*/channelPartnerLinks/*/customers…`).

fn list_customers(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query
        .check_known(&["pageSize", "page_size", "pageToken", "page_token", "filter"])?;
    let req = pb::ListCustomersRequest {
        parent: r.var("parent"),
        page_size: page_size(&r.query)?,
        page_token: r.query.page_token(),
        filter: r.query.text(&["filter"]),
    };
    reply(r, req, service::list_customers)
}

fn create_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    let customer: pb::Customer = body(r)?;
    let parent = r.var("parent");
    let req = pb::CreateCustomerRequest {
        parent,
        customer: Some(customer),
    };
    reply(r, req, service::create_customer)
}

fn import_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    let mut req: pb::ImportCustomerRequest = body(r)?;
    req.parent = r.var("parent");
    reply(r, req, service::import_customer)
}

fn get_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let name = r.var("name");
    reply(r, pb::GetCustomerRequest { name }, service::get_customer)
}

fn update_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&["updateMask", "update_mask"])?;
    let mut customer: pb::Customer = parse_body(&r.body)?;
    customer.name = r.var("name");
    let req = pb::UpdateCustomerRequest {
        customer: Some(customer),
        update_mask: r.query.get(&["updateMask", "update_mask"]).map(mask),
    };
    reply(r, req, service::update_customer)
}

fn delete_customer(r: &RestRequest) -> ApiResult<JsonBody> {
    r.query.check_known(&[])?;
    let name = r.var("name");
    serve(
        &r.app,
        &r.caller,
        pb::DeleteCustomerRequest { name },
        service::delete_customer,
    )?;
    Ok(empty())
}
