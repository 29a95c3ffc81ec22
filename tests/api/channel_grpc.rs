//! Channel over gRPC gives the same results and the same error codes as REST: one test per RPC.

use prost::Message;
use provmock::internals::proto_json;
use provmock::proto::google::cloud::channel::v1 as pb;
use provmock::proto::google::cloud::channel::v1::cloud_channel_service_client::CloudChannelServiceClient;
use provmock::proto::google::longrunning as lro;
use provmock::proto::google::longrunning::operations_client::OperationsClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::helpers::{R1, R2, TestApp, customer_body, spawn_app};

async fn channel(app: &TestApp) -> Channel {
    Channel::from_shared(app.server.uri())
        .expect("uri")
        .connect()
        .await
        .expect("h2c connects")
}

async fn clients(
    app: &TestApp,
) -> (
    CloudChannelServiceClient<Channel>,
    OperationsClient<Channel>,
) {
    let ch = channel(app).await;
    (
        CloudChannelServiceClient::new(ch.clone()),
        OperationsClient::new(ch),
    )
}

fn json_of<M: serde::Serialize>(m: &M) -> Value {
    proto_json(m)
}

/// The REST status for a gRPC code, as the contract's table maps them.
fn http_of(code: tonic::Code) -> u16 {
    provmock::internals::Code::from_i32(code as i32)
        .map(|c| c.http_status().as_u16())
        .unwrap_or(0)
}

fn customer_proto(domain: &str) -> pb::Customer {
    serde_json::from_value(customer_body(domain)).expect("customer body is a Customer")
}

#[tokio::test]
async fn get_customer_matches_rest() {
    let app = spawn_app().await;
    let (mut ch, _) = clients(&app).await;
    let name = "accounts/C01234567/customers/S0NEWCUSTOMER1";
    let grpc = ch
        .get_customer(pb::GetCustomerRequest { name: name.into() })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(json_of(&grpc), app.get(&format!("/v1/{name}")).await.ok());
    let missing = ch
        .get_customer(pb::GetCustomerRequest {
            name: format!("{R1}/customers/S0NONE"),
        })
        .await
        .expect_err("missing");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let rest = app.get(&format!("/v1/{R1}/customers/S0NONE")).await;
    assert_eq!(rest.status, http_of(missing.code()));
    assert_eq!(rest.error_message(), missing.message());
}

#[tokio::test]
async fn list_customers_matches_rest_page_by_page() {
    let app = spawn_app().await;
    for d in ["a.com", "b.com", "c.com"] {
        app.create_customer(R2, d).await;
    }
    let (mut ch, _) = clients(&app).await;
    let mut token = String::new();
    loop {
        let req = pb::ListCustomersRequest {
            parent: R2.into(),
            page_size: 2,
            page_token: token.clone(),
            filter: String::new(),
        };
        let grpc = ch.list_customers(req).await.expect("list").into_inner();
        let rest = app
            .get(&format!("/v1/{R2}/customers?pageSize=2&pageToken={token}"))
            .await
            .ok();
        assert_eq!(json_of(&grpc), rest);
        if grpc.next_page_token.is_empty() {
            break;
        }
        token = grpc.next_page_token;
    }
    let bad = ch
        .list_customers(pb::ListCustomersRequest {
            parent: R2.into(),
            filter: "domain ~ 'x'".into(),
            ..Default::default()
        })
        .await
        .expect_err("bad filter");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        app.get(&format!("/v1/{R2}/customers?filter=domain%20~%20'x'"))
            .await
            .status,
        http_of(bad.code())
    );
}

#[tokio::test]
async fn create_customer_matches_rest_and_conflicts_alike() {
    let app = spawn_app().await;
    let (mut ch, _) = clients(&app).await;
    let created = ch
        .create_customer(pb::CreateCustomerRequest {
            parent: R1.into(),
            customer: Some(customer_proto("grpc.com")),
        })
        .await
        .expect("create")
        .into_inner();
    assert_eq!(
        json_of(&created),
        app.get(&format!("/v1/{}", created.name)).await.ok()
    );
    let dup = ch
        .create_customer(pb::CreateCustomerRequest {
            parent: R1.into(),
            customer: Some(customer_proto("grpc.com")),
        })
        .await
        .expect_err("duplicate");
    assert_eq!(dup.code(), tonic::Code::AlreadyExists);
    assert_eq!(
        app.post(&format!("/v1/{R1}/customers"), customer_body("grpc.com"))
            .await
            .status,
        http_of(dup.code())
    );
    let status = provmock::proto::google::rpc::Status::decode(dup.details())
        .expect("grpc-status-details-bin");
    let info = provmock::proto::google::rpc::ErrorInfo::decode(status.details[0].value.as_ref())
        .expect("ErrorInfo");
    assert_eq!(info.domain, "cloudchannel.googleapis.com");
    assert_eq!(info.reason, "CUSTOMER_ALREADY_EXISTS");
}

#[tokio::test]
async fn update_customer_matches_rest() {
    let app = spawn_app().await;
    let (mut ch, _) = clients(&app).await;
    let name = "accounts/C01234567/customers/S0NEWCUSTOMER1";
    let mut c = customer_proto("example.org");
    c.name = name.into();
    c.org_display_name = "Renamed over gRPC".into();
    let mask = pbjson_types::FieldMask {
        paths: vec!["org_display_name".into()],
    };
    let updated = ch
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(c.clone()),
            update_mask: Some(mask),
        })
        .await
        .expect("update")
        .into_inner();
    assert_eq!(updated.org_display_name, "Renamed over gRPC");
    assert_eq!(
        json_of(&updated),
        app.get(&format!("/v1/{name}")).await.ok()
    );
    let bad = ch
        .update_customer(pb::UpdateCustomerRequest {
            customer: Some(c),
            update_mask: Some(pbjson_types::FieldMask {
                paths: vec!["colour".into()],
            }),
        })
        .await
        .expect_err("bad mask");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        app.patch(&format!("/v1/{name}?updateMask=colour"), json!({}))
            .await
            .status,
        http_of(bad.code())
    );
}

#[tokio::test]
async fn delete_customer_matches_rest() {
    let app = spawn_app().await;
    let (mut ch, _) = clients(&app).await;
    let c = app.create_customer(R1, "gone.com").await;
    let name = c["name"].as_str().expect("name").to_string();
    ch.delete_customer(pb::DeleteCustomerRequest { name: name.clone() })
        .await
        .expect("delete");
    app.get(&format!("/v1/{name}"))
        .await
        .expect_error(404, "NOT_FOUND");
    let again = ch
        .delete_customer(pb::DeleteCustomerRequest { name: name.clone() })
        .await
        .expect_err("gone");
    assert_eq!(again.code(), tonic::Code::NotFound);
    assert_eq!(
        app.delete(&format!("/v1/{name}")).await.status,
        http_of(again.code())
    );
}

#[tokio::test]
async fn import_customer_matches_rest() {
    use pb::import_customer_request::CustomerIdentity;
    let app = spawn_app().await;
    let (mut ch, _) = clients(&app).await;
    let req = |key: CustomerIdentity| pb::ImportCustomerRequest {
        parent: R2.into(),
        customer_identity: Some(key),
        ..Default::default()
    };
    let imported = ch
        .import_customer(req(CustomerIdentity::PrimaryAdminEmail(
            "admin@altostrat.com".into(),
        )))
        .await
        .expect("import")
        .into_inner();
    assert_eq!(imported.cloud_identity_id, "C00000000");
    assert_eq!(
        json_of(&imported),
        app.get(&format!("/v1/{}", imported.name)).await.ok()
    );
    let dup = ch
        .import_customer(req(CustomerIdentity::Domain("altostrat.com".into())))
        .await
        .expect_err("dup");
    assert_eq!(dup.code(), tonic::Code::AlreadyExists);
    let rest_dup = app
        .post(
            &format!("/v1/{R2}/customers:import"),
            json!({"domain": "altostrat.com"}),
        )
        .await;
    assert_eq!(rest_dup.status, http_of(dup.code()));
    let missing = ch
        .import_customer(req(CustomerIdentity::CloudIdentityId("C0NOPE000".into())))
        .await
        .expect_err("missing");
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let none = ch
        .import_customer(pb::ImportCustomerRequest {
            parent: R2.into(),
            ..Default::default()
        })
        .await
        .expect_err("none");
    assert_eq!(none.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn provision_cloud_identity_over_grpc_is_readable_over_rest() {
    let app = spawn_app().await;
    let (mut ch, mut ops) = clients(&app).await;
    let op = ch
        .provision_cloud_identity(pb::ProvisionCloudIdentityRequest {
            customer: "accounts/C01234567/customers/S0NEWCUSTOMER1".into(),
            user: Some(pb::AdminUser {
                email: "root@example.org".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("provision")
        .into_inner();
    assert!(!op.done);
    assert_eq!(
        op.metadata.as_ref().map(|m| m.type_url.as_str()),
        Some("type.googleapis.com/google.cloud.channel.v1.OperationMetadata")
    );
    let meta = pb::OperationMetadata::decode(
        op.metadata
            .as_ref()
            .map(|m| m.value.as_ref())
            .unwrap_or_default(),
    )
    .expect("metadata");
    assert_eq!(
        meta.operation_type,
        pb::operation_metadata::OperationType::ProvisionCloudIdentity as i32
    );
    let done = app.wait_operation(&op.name).await;
    let grpc_done = ops
        .get_operation(lro::GetOperationRequest {
            name: op.name.clone(),
        })
        .await
        .expect("get op")
        .into_inner();
    assert!(grpc_done.done);
    match grpc_done.result {
        Some(lro::operation::Result::Response(any)) => {
            assert_eq!(
                any.type_url,
                "type.googleapis.com/google.cloud.channel.v1.Customer"
            );
            let c = pb::Customer::decode(any.value.as_ref()).expect("customer");
            assert_eq!(
                c.cloud_identity_id,
                done["response"]["cloudIdentityId"].as_str().unwrap_or("?")
            );
        }
        other => panic!("expected a response, got {other:?}"),
    }
    let missing = ch
        .provision_cloud_identity(pb::ProvisionCloudIdentityRequest {
            customer: format!("{R1}/customers/S0NONE"),
            user: Some(pb::AdminUser {
                email: "x@y.com".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("missing customer");
    assert_eq!(missing.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn check_cloud_identity_accounts_exist_matches_rest() {
    let app = spawn_app().await;
    let (mut ch, _) = clients(&app).await;
    let req = pb::CheckCloudIdentityAccountsExistRequest {
        parent: R1.into(),
        domain: "example.com".into(),
        ..Default::default()
    };
    let grpc = ch
        .check_cloud_identity_accounts_exist(req)
        .await
        .expect("check")
        .into_inner();
    let rest = app
        .post(
            &format!("/v1/{R1}:checkCloudIdentityAccountsExist"),
            json!({"domain": "example.com"}),
        )
        .await
        .ok();
    assert_eq!(json_of(&grpc), rest);
    let bad = ch
        .check_cloud_identity_accounts_exist(pb::CheckCloudIdentityAccountsExistRequest {
            parent: R1.into(),
            ..Default::default()
        })
        .await
        .expect_err("no domain");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
}

#[tokio::test]
async fn operations_rpcs_match_rest() {
    let app = spawn_app().await;
    let (_, mut ops) = clients(&app).await;
    let op = app
        .post(
            "/v1/accounts/C01234567/customers/S0NEWCUSTOMER1:provisionCloudIdentity",
            json!({"user": {"email": "r@example.org"}}),
        )
        .await
        .ok();
    let name = op["name"].as_str().expect("name").to_string();
    let listed = ops
        .list_operations(lro::ListOperationsRequest::default())
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.operations.len(), 1);
    assert_eq!(listed.operations[0].name, name);
    ops.cancel_operation(lro::CancelOperationRequest { name: name.clone() })
        .await
        .expect("cancel");
    let got = ops
        .get_operation(lro::GetOperationRequest { name: name.clone() })
        .await
        .expect("get")
        .into_inner();
    match got.result {
        Some(lro::operation::Result::Error(st)) => {
            assert_eq!(st.code, tonic::Code::Cancelled as i32)
        }
        other => panic!("expected CANCELLED, got {other:?}"),
    }
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.ok()["error"]["code"],
        1
    );
    ops.delete_operation(lro::DeleteOperationRequest { name: name.clone() })
        .await
        .expect("delete");
    let gone = ops
        .get_operation(lro::GetOperationRequest { name: name.clone() })
        .await
        .expect_err("deleted");
    assert_eq!(gone.code(), tonic::Code::NotFound);
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.status,
        http_of(gone.code())
    );
}

#[tokio::test]
async fn unserved_rpcs_are_unimplemented_naming_the_rpc() {
    let app = spawn_app().await;
    let mut grpc = tonic::client::Grpc::new(channel(&app).await);
    grpc.ready().await.expect("ready");
    let path = http::uri::PathAndQuery::from_static(
        "/google.cloud.channel.v1.CloudChannelService/ListSkuGroups",
    );
    let codec = tonic_prost::ProstCodec::<pb::GetCustomerRequest, pb::Customer>::default();
    let err = grpc
        .unary(
            tonic::Request::new(pb::GetCustomerRequest::default()),
            path,
            codec,
        )
        .await
        .expect_err("not served");
    assert_eq!(err.code(), tonic::Code::Unimplemented);
    assert!(err.message().contains("ListSkuGroups"), "{}", err.message());
}
