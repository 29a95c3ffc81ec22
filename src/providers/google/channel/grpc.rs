//! Channel over gRPC: `google.cloud.channel.v1.CloudChannelService` and `google.longrunning.Operations`, as thin
//! adapters over the same service functions as REST.

use tonic::{Request, Response, Status};

use super::service;
use crate::app::App;
use crate::error::ApiResult;
use crate::family::Family;
use crate::grpc::caller;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::proto::google::longrunning as lro_pb;
use crate::providers::google::{Version, lro};

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
        let c = caller(&req);
        reply(service::list_customers(&self.0, &c, req.into_inner()))
    }
    async fn get_customer(
        &self,
        req: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = caller(&req);
        reply(service::get_customer(&self.0, &c, req.into_inner()))
    }
    async fn check_cloud_identity_accounts_exist(
        &self,
        req: Request<pb::CheckCloudIdentityAccountsExistRequest>,
    ) -> Result<Response<pb::CheckCloudIdentityAccountsExistResponse>, Status> {
        let c = caller(&req);
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
        let c = caller(&req);
        reply(service::create_customer(&self.0, &c, req.into_inner()))
    }
    async fn update_customer(
        &self,
        req: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = caller(&req);
        reply(service::update_customer(&self.0, &c, req.into_inner()))
    }
    async fn delete_customer(
        &self,
        req: Request<pb::DeleteCustomerRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = caller(&req);
        reply(
            service::delete_customer(&self.0, &c, req.into_inner())
                .map(|()| pbjson_types::Empty {}),
        )
    }
    async fn import_customer(
        &self,
        req: Request<pb::ImportCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let c = caller(&req);
        reply(service::import_customer(&self.0, &c, req.into_inner()))
    }
    async fn provision_cloud_identity(
        &self,
        req: Request<pb::ProvisionCloudIdentityRequest>,
    ) -> Result<Response<lro_pb::Operation>, Status> {
        let c = caller(&req);
        reply(
            service::provision_cloud_identity(&self.0, &c, req.into_inner())
                .map(|op| lro::operation_proto(&op)),
        )
    }
}

pub struct OperationsGrpc(pub App);

#[tonic::async_trait]
impl lro_pb::operations_server::Operations for OperationsGrpc {
    async fn list_operations(
        &self,
        req: Request<lro_pb::ListOperationsRequest>,
    ) -> Result<Response<lro_pb::ListOperationsResponse>, Status> {
        let c = caller(&req);
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
        let c = caller(&req);
        reply(
            lro::get_operation(&self.0, &c, &req.into_inner().name)
                .map(|op| lro::operation_proto(&op)),
        )
    }
    async fn delete_operation(
        &self,
        req: Request<lro_pb::DeleteOperationRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = caller(&req);
        reply(
            lro::delete_operation(&self.0, &c, &req.into_inner().name)
                .map(|()| pbjson_types::Empty {}),
        )
    }
    async fn cancel_operation(
        &self,
        req: Request<lro_pb::CancelOperationRequest>,
    ) -> Result<Response<pbjson_types::Empty>, Status> {
        let c = caller(&req);
        reply(
            lro::cancel_operation(&self.0, &c, &req.into_inner().name)
                .map(|()| pbjson_types::Empty {}),
        )
    }
}
