//! Channel over gRPC: `google.cloud.channel.v1.CloudChannelService` and `google.longrunning.Operations`, as thin
//! adapters over the same service functions as REST.

use tonic::{Request, Response, Status};

use super::{catalog, orders, partner_links, service};
use crate::app::App;
use crate::error::ApiResult;
use crate::family::Family;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::proto::google::longrunning as lro_pb;
use crate::providers::ctx::Later;
use crate::providers::google::{Version, lro};
use crate::providers::{call, serve};
use crate::request::Caller;

fn reply<T>(r: ApiResult<T>) -> Result<Response<T>, Status> {
    r.map(Response::new)
        .map_err(|e| e.to_tonic(Family::Channel))
}

pub struct ChannelGrpc(pub App);

#[tonic::async_trait]
impl pb::cloud_channel_service_server::CloudChannelService for ChannelGrpc {
    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::list_customers,
        ))
    }
    async fn get_customer(
        &self,
        req: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), service::get_customer))
    }
    async fn check_cloud_identity_accounts_exist(
        &self,
        req: Request<pb::CheckCloudIdentityAccountsExistRequest>,
    ) -> Result<Response<pb::CheckCloudIdentityAccountsExistResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            (req.into_inner(), Version::V1),
            service::check_cloud_identity_accounts_exist,
        ))
    }
    async fn create_customer(
        &self,
        req: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::create_customer,
        ))
    }
    async fn update_customer(
        &self,
        req: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::update_customer,
        ))
    }
    async fn delete_customer(
        &self,
        req: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), service::delete_customer)
                .map(|()| pbjson_types::Empty {}),
        )
    }
    async fn import_customer(
        &self,
        req: Request<pb::ImportCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::import_customer,
        ))
    }
    async fn provision_cloud_identity(
        &self,
        req: Request<pb::ProvisionCloudIdentityRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(
                &self.0,
                &c,
                req.into_inner(),
                service::provision_cloud_identity,
            )
            .map(|op| lro::operation_proto(&op)),
        )
    }
    // The order side: catalog, entitlements, transfers, channel partner links.
    async fn list_entitlements(
        &self,
        req: Request<pb::ListEntitlementsRequest>,
    ) -> Result<Response<pb::ListEntitlementsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            orders::list_entitlements,
        ))
    }
    async fn get_entitlement(
        &self,
        req: Request<pb::GetEntitlementRequest>,
    ) -> Result<Response<pb::Entitlement>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            orders::get_entitlement,
        ))
    }
    async fn create_entitlement(
        &self,
        req: Request<pb::CreateEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::create_entitlement)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn change_parameters(
        &self,
        req: Request<pb::ChangeParametersRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::change_parameters)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn change_renewal_settings(
        &self,
        req: Request<pb::ChangeRenewalSettingsRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(
                &self.0,
                &c,
                req.into_inner(),
                orders::change_renewal_settings,
            )
            .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn change_offer(
        &self,
        req: Request<pb::ChangeOfferRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::change_offer)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn start_paid_service(
        &self,
        req: Request<pb::StartPaidServiceRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::start_paid_service)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn suspend_entitlement(
        &self,
        req: Request<pb::SuspendEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::suspend_entitlement)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn activate_entitlement(
        &self,
        req: Request<pb::ActivateEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::activate_entitlement)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn cancel_entitlement(
        &self,
        req: Request<pb::CancelEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::cancel_entitlement)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn transfer_entitlements(
        &self,
        req: Request<pb::TransferEntitlementsRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(&self.0, &c, req.into_inner(), orders::transfer_entitlements)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn transfer_entitlements_to_google(
        &self,
        req: Request<pb::TransferEntitlementsToGoogleRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            serve(
                &self.0,
                &c,
                req.into_inner(),
                orders::transfer_entitlements_to_google,
            )
            .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn list_entitlement_changes(
        &self,
        req: Request<pb::ListEntitlementChangesRequest>,
    ) -> Result<Response<pb::ListEntitlementChangesResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            orders::list_entitlement_changes,
        ))
    }
    async fn list_transferable_skus(
        &self,
        req: Request<pb::ListTransferableSkusRequest>,
    ) -> Result<Response<pb::ListTransferableSkusResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            catalog::list_transferable_skus,
        ))
    }
    async fn list_transferable_offers(
        &self,
        req: Request<pb::ListTransferableOffersRequest>,
    ) -> Result<Response<pb::ListTransferableOffersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            catalog::list_transferable_offers,
        ))
    }
    async fn lookup_offer(
        &self,
        req: Request<pb::LookupOfferRequest>,
    ) -> Result<Response<pb::Offer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), catalog::lookup_offer))
    }
    async fn list_products(
        &self,
        req: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), catalog::list_products).and_then(Later::run))
    }
    async fn list_skus(
        &self,
        req: Request<pb::ListSkusRequest>,
    ) -> Result<Response<pb::ListSkusResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), catalog::list_skus).and_then(Later::run))
    }
    async fn list_offers(
        &self,
        req: Request<pb::ListOffersRequest>,
    ) -> Result<Response<pb::ListOffersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), catalog::list_offers).and_then(Later::run))
    }
    async fn list_purchasable_skus(
        &self,
        req: Request<pb::ListPurchasableSkusRequest>,
    ) -> Result<Response<pb::ListPurchasableSkusResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            catalog::list_purchasable_skus,
        ))
    }
    async fn list_purchasable_offers(
        &self,
        req: Request<pb::ListPurchasableOffersRequest>,
    ) -> Result<Response<pb::ListPurchasableOffersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            catalog::list_purchasable_offers,
        ))
    }
    async fn query_eligible_billing_accounts(
        &self,
        req: Request<pb::QueryEligibleBillingAccountsRequest>,
    ) -> Result<Response<pb::QueryEligibleBillingAccountsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            catalog::query_eligible_billing_accounts,
        ))
    }
    async fn list_channel_partner_links(
        &self,
        req: Request<pb::ListChannelPartnerLinksRequest>,
    ) -> Result<Response<pb::ListChannelPartnerLinksResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            partner_links::list_channel_partner_links,
        ))
    }
    async fn get_channel_partner_link(
        &self,
        req: Request<pb::GetChannelPartnerLinkRequest>,
    ) -> Result<Response<pb::ChannelPartnerLink>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            partner_links::get_channel_partner_link,
        ))
    }
    async fn create_channel_partner_link(
        &self,
        req: Request<pb::CreateChannelPartnerLinkRequest>,
    ) -> Result<Response<pb::ChannelPartnerLink>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            partner_links::create_channel_partner_link,
        ))
    }
    async fn update_channel_partner_link(
        &self,
        req: Request<pb::UpdateChannelPartnerLinkRequest>,
    ) -> Result<Response<pb::ChannelPartnerLink>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            partner_links::update_channel_partner_link,
        ))
    }
}

pub struct OperationsGrpc(pub App);

#[tonic::async_trait]
impl lro_pb::operations_server::Operations for OperationsGrpc {
    async fn list_operations(
        &self,
        req: Request<lro_pb::ListOperationsRequest>,
    ) -> Result<Response<lro_pb::ListOperationsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        let r = req.into_inner();
        reply(
            call(
                &self.0,
                &c,
                lro::ListOperations {
                    filter: &r.filter,
                    page_size: i64::from(r.page_size),
                    page_token: &r.page_token,
                },
                lro::list_operations,
            )
            .map(|(ops, next)| lro_pb::ListOperationsResponse {
                operations: ops.iter().map(lro::operation_proto).collect(),
                next_page_token: next,
                unreachable: Vec::new(),
            }),
        )
    }
    async fn get_operation(
        &self,
        req: Request<lro_pb::GetOperationRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            call(&self.0, &c, &*req.into_inner().name, lro::get_operation)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn delete_operation(
        &self,
        req: Request<lro_pb::DeleteOperationRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            call(&self.0, &c, &*req.into_inner().name, lro::delete_operation)
                .map(|()| pbjson_types::Empty {}),
        )
    }
    async fn cancel_operation(
        &self,
        req: Request<lro_pb::CancelOperationRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            call(&self.0, &c, &*req.into_inner().name, lro::cancel_operation)
                .map(|()| pbjson_types::Empty {}),
        )
    }
}
