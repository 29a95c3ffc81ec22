//! A route's gRPC binding ([`GrpcFn`]): a plain `fn`, built by [`grpc!`](crate::providers::binding::grpc) in the
//! route's entry from a closure over the service function. It does per call what tonic's generated server code does
//! per method — decode the request message with `ProstCodec` through `tonic::server::Grpc::unary` (bounded at
//! [`BODY_LIMIT`], no compression, as the generated servers were configured), serve it, encode the answer or the
//! error in the family's format ([`ApiError::to_tonic`]) — with one boxed future per call (the generated code
//! boxes three: the route's, the unary service's and the `async_trait` method's).

use std::future::{Future, Ready, ready};
use std::pin::Pin;

use axum::body::Body;
use tonic::server::UnaryService;

use crate::app::App;
use crate::error::ApiResult;
use crate::family::Family;
use crate::request::{BODY_LIMIT, Caller};

/// A gRPC call as the router hands it over.
pub type GrpcRequest = http::Request<Body>;
/// Its answer (status and details in headers or trailers, as tonic writes them).
pub type GrpcFuture = Pin<Box<dyn Future<Output = http::Response<Body>> + Send>>;
/// A route's gRPC binding.
pub type GrpcFn = fn(App, GrpcRequest) -> GrpcFuture;

/// What a binding serves a decoded request with: the service call of the route's entry.
pub type Serve<Q, R> = fn(&App, &Caller, Q) -> ApiResult<R>;

/// The unary service tonic's `Grpc::unary` calls with the decoded message: the caller's bearer token was read from
/// the call's headers, and the service runs at once (it never waits), so its future is [`Ready`].
struct Unary<Q, R> {
    app: App,
    caller: Caller,
    family: Family,
    serve: Serve<Q, R>,
}

impl<Q, R> UnaryService<Q> for Unary<Q, R> {
    type Response = R;
    type Future = Ready<Result<tonic::Response<R>, tonic::Status>>;

    fn call(&mut self, req: tonic::Request<Q>) -> Self::Future {
        ready(
            (self.serve)(&self.app, &self.caller, req.into_inner())
                .map(tonic::Response::new)
                .map_err(|e| e.to_tonic(self.family)),
        )
    }
}

/// Serves one unary call: decode `Q`, run `serve`, encode `R`.
pub fn unary<Q, R>(app: App, req: GrpcRequest, family: Family, serve: Serve<Q, R>) -> GrpcFuture
where
    Q: prost::Message + Default + Send + 'static,
    R: prost::Message + Send + 'static,
{
    Box::pin(async move {
        let method = Unary {
            caller: Caller::from_headers(req.headers()),
            app,
            family,
            serve,
        };
        let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<R, Q>::default())
            .apply_max_message_size_config(Some(BODY_LIMIT), None);
        grpc.unary(method, req).await.map(Body::new)
    })
}

/// The `grpc` field of a route entry: `Some` binding of the RPC to a service call, in the family's error format.
///
/// - `grpc!(Channel, pb::GetCustomerRequest => service::get_customer)`: [`serve`](crate::providers::serve) the
///   decoded message (parsed by the service's `TryFrom`) and answer what the service returns;
/// - `grpc!(Channel, |app, caller, req: pb::DeleteCustomerRequest| serve(app, caller, req, service::delete_customer)
///   .map(|()| Empty {}))`: any call over the decoded message whose `Ok` is the response message.
macro_rules! grpc {
    ($family:ident, $ty:ty => $service:path) => {
        $crate::providers::binding::grpc!($family, |app, caller, req: $ty| {
            $crate::providers::serve(app, caller, req, $service)
        })
    };
    ($family:ident, |$app:ident, $caller:ident, $req:ident: $ty:ty| $body:expr) => {
        Some(
            |app: $crate::app::App, req: $crate::providers::binding::GrpcRequest| {
                $crate::providers::binding::unary(
                    app,
                    req,
                    $crate::family::Family::$family,
                    |$app: &$crate::app::App, $caller: &$crate::request::Caller, $req: $ty| $body,
                )
            },
        )
    };
}
pub(crate) use grpc;
