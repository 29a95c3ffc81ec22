//! Yandex over gRPC: thin adapters over `service/`, `iam.rs` and `discovery.rs`.

use tonic::{Request, Response, Status};

use super::{discovery, iam, service};
use crate::app::App;
use crate::error::ApiResult;
use crate::family::Family;
use crate::proto::yandex::cloud::endpoint as endpb;
use crate::proto::yandex::cloud::iam::v1 as iampb;
use crate::proto::yandex::cloud::operation as oppb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::serve;
use crate::request::Caller;
use crate::world::ops::Operation;

fn reply<T>(r: ApiResult<T>) -> Result<Response<T>, Status> {
    r.map(Response::new).map_err(|e| e.to_tonic(Family::Yandex))
}

fn op_reply(r: ApiResult<Operation>) -> Result<Response<oppb::Operation>, Status> {
    reply(r.map(|op| service::operation_proto(&op)))
}

pub struct Users(pub App);

#[tonic::async_trait]
impl pb::user_service_server::UserService for Users {
    async fn get(&self, req: Request<pb::GetUserRequest>) -> Result<Response<pb::User>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), service::get_user))
    }
    async fn list(
        &self,
        req: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), service::list_users))
    }
    async fn create(
        &self,
        req: Request<pb::CreateUserRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(&self.0, &c, req.into_inner(), service::create_user))
    }
    async fn update(
        &self,
        req: Request<pb::UpdateUserRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(&self.0, &c, req.into_inner(), service::update_user))
    }
    async fn delete(
        &self,
        req: Request<pb::DeleteUserRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(&self.0, &c, req.into_inner(), service::delete_user))
    }
    async fn suspend(
        &self,
        req: Request<pb::SuspendUserRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(&self.0, &c, req.into_inner(), service::suspend_user))
    }
    async fn reactivate(
        &self,
        req: Request<pb::ReactivateUserRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::reactivate_user,
        ))
    }
}

pub struct Userpools(pub App);

#[tonic::async_trait]
impl pb::userpool_service_server::UserpoolService for Userpools {
    async fn get(
        &self,
        req: Request<pb::GetUserpoolRequest>,
    ) -> Result<Response<pb::Userpool>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), service::get_userpool))
    }
    async fn list(
        &self,
        req: Request<pb::ListUserpoolsRequest>,
    ) -> Result<Response<pb::ListUserpoolsResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::list_userpools,
        ))
    }
    async fn create(
        &self,
        req: Request<pb::CreateUserpoolRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::create_userpool,
        ))
    }
    async fn delete(
        &self,
        req: Request<pb::DeleteUserpoolRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::delete_userpool,
        ))
    }
}

pub struct Operations(pub App);

#[tonic::async_trait]
impl oppb::operation_service_server::OperationService for Operations {
    async fn get(
        &self,
        req: Request<oppb::GetOperationRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(&self.0, &c, req.into_inner(), service::get_operation))
    }
    async fn cancel(
        &self,
        req: Request<oppb::CancelOperationRequest>,
    ) -> Result<Response<oppb::Operation>, Status> {
        let c = Caller::of_grpc(&req);
        op_reply(serve(
            &self.0,
            &c,
            req.into_inner(),
            service::cancel_operation,
        ))
    }
}

pub struct Endpoints(pub App);

#[tonic::async_trait]
impl endpb::api_endpoint_service_server::ApiEndpointService for Endpoints {
    async fn get(
        &self,
        req: Request<endpb::GetApiEndpointRequest>,
    ) -> Result<Response<endpb::ApiEndpoint>, Status> {
        let addr = discovery::address(&self.0);
        reply(discovery::get(&addr, &req.into_inner().api_endpoint_id))
    }
    async fn list(
        &self,
        _req: Request<endpb::ListApiEndpointsRequest>,
    ) -> Result<Response<endpb::ListApiEndpointsResponse>, Status> {
        reply(Ok(discovery::list(&discovery::address(&self.0))))
    }
}

pub struct IamTokens(pub App);

#[tonic::async_trait]
impl iampb::iam_token_service_server::IamTokenService for IamTokens {
    async fn create(
        &self,
        req: Request<iampb::CreateIamTokenRequest>,
    ) -> Result<Response<iampb::CreateIamTokenResponse>, Status> {
        let c = Caller::of_grpc(&req);
        reply(serve(&self.0, &c, req.into_inner(), iam::create_token))
    }
}
