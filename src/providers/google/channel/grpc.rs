//! Channel over gRPC: `google.cloud.channel.v1.CloudChannelService` and `google.longrunning.Operations`, as thin
//! adapters over the same service functions as REST.

use tonic::{Request, Response, Status};

use super::{catalog, orders, partner_links, service};
use crate::app::App;
use crate::error::ApiResult;
use crate::family::Family;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::proto::google::longrunning as lro_pb;
use crate::providers::google::{Version, lro};
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
        reply(service::list_customers(&self.0, &c, req.into_inner()))
    }
    async fn get_customer(
        &self,
        req: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(service::get_customer(&self.0, &c, req.into_inner()))
    }
    async fn check_cloud_identity_accounts_exist(
        &self,
        req: Request<pb::CheckCloudIdentityAccountsExistRequest>,
    ) -> Result<Response<pb::CheckCloudIdentityAccountsExistResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(service::check_cloud_identity_accounts_exist(
            &self.0,
            &c,
            Version::V1,
            req.into_inner(),
        ))
    }
    async fn create_customer(
        &self,
        req: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(service::create_customer(&self.0, &c, req.into_inner()))
    }
    async fn update_customer(
        &self,
        req: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(service::update_customer(&self.0, &c, req.into_inner()))
    }
    async fn delete_customer(
        &self,
        req: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            service::delete_customer(&self.0, &c, req.into_inner())
                .map(|()| pbjson_types::Empty {}),
        )
    }
    async fn import_customer(
        &self,
        req: Request<pb::ImportCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(service::import_customer(&self.0, &c, req.into_inner()))
    }
    async fn provision_cloud_identity(
        &self,
        req: Request<pb::ProvisionCloudIdentityRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            service::provision_cloud_identity(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    // The order side: catalog, entitlements, transfers, channel partner links.
    async fn list_entitlements(
        &self,
        req: Request<pb::ListEntitlementsRequest>,
    ) -> Result<Response<pb::ListEntitlementsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(orders::list_entitlements(&self.0, &c, req.into_inner()))
    }
    async fn get_entitlement(
        &self,
        req: Request<pb::GetEntitlementRequest>,
    ) -> Result<Response<pb::Entitlement>, Status> {
        let c = Caller::of_grpc(&req);
        reply(orders::get_entitlement(&self.0, &c, req.into_inner()))
    }
    async fn create_entitlement(
        &self,
        req: Request<pb::CreateEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::create_entitlement(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn change_parameters(
        &self,
        req: Request<pb::ChangeParametersRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::change_parameters(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn change_renewal_settings(
        &self,
        req: Request<pb::ChangeRenewalSettingsRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::change_renewal_settings(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn change_offer(
        &self,
        req: Request<pb::ChangeOfferRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::change_offer(&self.0, &c, req.into_inner()).map(|op| lro::operation_proto(&op)),
        )
    }
    async fn start_paid_service(
        &self,
        req: Request<pb::StartPaidServiceRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::start_paid_service(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn suspend_entitlement(
        &self,
        req: Request<pb::SuspendEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::suspend_entitlement(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn activate_entitlement(
        &self,
        req: Request<pb::ActivateEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::activate_entitlement(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn cancel_entitlement(
        &self,
        req: Request<pb::CancelEntitlementRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::cancel_entitlement(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn transfer_entitlements(
        &self,
        req: Request<pb::TransferEntitlementsRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::transfer_entitlements(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn transfer_entitlements_to_google(
        &self,
        req: Request<pb::TransferEntitlementsToGoogleRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            orders::transfer_entitlements_to_google(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn list_entitlement_changes(
        &self,
        req: Request<pb::ListEntitlementChangesRequest>,
    ) -> Result<Response<pb::ListEntitlementChangesResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(orders::list_entitlement_changes(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn list_transferable_skus(
        &self,
        req: Request<pb::ListTransferableSkusRequest>,
    ) -> Result<Response<pb::ListTransferableSkusResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::list_transferable_skus(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn list_transferable_offers(
        &self,
        req: Request<pb::ListTransferableOffersRequest>,
    ) -> Result<Response<pb::ListTransferableOffersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::list_transferable_offers(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn lookup_offer(
        &self,
        req: Request<pb::LookupOfferRequest>,
    ) -> Result<Response<pb::Offer>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::lookup_offer(&self.0, &c, req.into_inner()))
    }
    async fn list_products(
        &self,
        req: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::list_products(&self.0, &c, req.into_inner()))
    }
    async fn list_skus(
        &self,
        req: Request<pb::ListSkusRequest>,
    ) -> Result<Response<pb::ListSkusResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::list_skus(&self.0, &c, req.into_inner()))
    }
    async fn list_offers(
        &self,
        req: Request<pb::ListOffersRequest>,
    ) -> Result<Response<pb::ListOffersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::list_offers(&self.0, &c, req.into_inner()))
    }
    async fn list_purchasable_skus(
        &self,
        req: Request<pb::ListPurchasableSkusRequest>,
    ) -> Result<Response<pb::ListPurchasableSkusResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::list_purchasable_skus(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn list_purchasable_offers(
        &self,
        req: Request<pb::ListPurchasableOffersRequest>,
    ) -> Result<Response<pb::ListPurchasableOffersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::list_purchasable_offers(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn query_eligible_billing_accounts(
        &self,
        req: Request<pb::QueryEligibleBillingAccountsRequest>,
    ) -> Result<Response<pb::QueryEligibleBillingAccountsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(catalog::query_eligible_billing_accounts(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn list_channel_partner_links(
        &self,
        req: Request<pb::ListChannelPartnerLinksRequest>,
    ) -> Result<Response<pb::ListChannelPartnerLinksResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(partner_links::list_channel_partner_links(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn get_channel_partner_link(
        &self,
        req: Request<pb::GetChannelPartnerLinkRequest>,
    ) -> Result<Response<pb::ChannelPartnerLink>, Status> {
        let c = Caller::of_grpc(&req);
        reply(partner_links::get_channel_partner_link(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn create_channel_partner_link(
        &self,
        req: Request<pb::CreateChannelPartnerLinkRequest>,
    ) -> Result<Response<pb::ChannelPartnerLink>, Status> {
        let c = Caller::of_grpc(&req);
        reply(partner_links::create_channel_partner_link(
            &self.0,
            &c,
            req.into_inner(),
        ))
    }
    async fn update_channel_partner_link(
        &self,
        req: Request<pb::UpdateChannelPartnerLinkRequest>,
    ) -> Result<Response<pb::ChannelPartnerLink>, Status> {
        let c = Caller::of_grpc(&req);
        reply(partner_links::update_channel_partner_link(
            &self.0,
            &c,
            req.into_inner(),
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
            lro::list_operations(
                &self.0,
                &c,
                &r.filter,
                i64::from(r.page_size),
                &r.page_token,
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
            lro::get_operation(&self.0, &c, &req.into_inner().name)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn delete_operation(
        &self,
        req: Request<lro_pb::DeleteOperationRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            lro::delete_operation(&self.0, &c, &req.into_inner().name)
                .map(|()| pbjson_types::Empty {}),
        )
    }
    async fn cancel_operation(
        &self,
        req: Request<lro_pb::CancelOperationRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = Caller::of_grpc(&req);
        reply(
            lro::cancel_operation(&self.0, &c, &req.into_inner().name)
                .map(|()| pbjson_types::Empty {}),
        )
    }
}
