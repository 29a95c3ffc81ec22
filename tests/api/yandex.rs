//! Yandex IdP over gRPC and REST: discovery, IAM tokens, userpools, users, operations.

use std::time::Duration;

use prost::Message;
use provmock::internals::proto_json;
use provmock::proto::yandex::cloud::endpoint::ListApiEndpointsRequest;
use provmock::proto::yandex::cloud::endpoint::api_endpoint_service_client::ApiEndpointServiceClient;
use provmock::proto::yandex::cloud::iam::v1 as iam;
use provmock::proto::yandex::cloud::iam::v1::iam_token_service_client::IamTokenServiceClient;
use provmock::proto::yandex::cloud::operation as op;
use provmock::proto::yandex::cloud::operation::operation_service_client::OperationServiceClient;
use provmock::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use provmock::proto::yandex::cloud::organizationmanager::v1::idp::user_service_client::UserServiceClient;
use provmock::{AuthMode, Config};
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::helpers::{TestApp, spawn_app, spawn_with};

const POOL: &str = "ek0provmockpool00001";
const ORG: &str = "bpfprovmockorg000001";

async fn channel(app: &TestApp) -> Channel {
    Channel::from_shared(app.server.uri())
        .expect("uri")
        .connect()
        .await
        .expect("h2c")
}

fn create_req(username: &str) -> pb::CreateUserRequest {
    pb::CreateUserRequest {
        userpool_id: POOL.into(),
        username: username.into(),
        full_name: "Ivan Petrov".into(),
        credentials: Some(pb::create_user_request::Credentials::PasswordSpec(
            pb::PasswordSpec {
                password: "S3cret-Passw0rd!".into(),
                generation_proof: String::new(),
            },
        )),
        ..Default::default()
    }
}

fn rest_user(username: &str) -> Value {
    json!({"userpoolId": POOL, "username": username, "fullName": "Ivan Petrov", "passwordSpec": {"password": "S3cret-Passw0rd!"}})
}

/// Polls a Yandex operation over REST until done.
async fn wait(app: &TestApp, id: &str) -> Value {
    for _ in 0..200 {
        let o = app.get(&format!("/operations/{id}")).await.ok();
        if o["done"] == true {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("operation {id} did not finish");
}

#[tokio::test]
async fn discovery_points_every_required_id_back_at_provmock() {
    let app = spawn_with(Config::default()).await;
    let mut c = ApiEndpointServiceClient::new(channel(&app).await);
    let list = c
        .list(ListApiEndpointsRequest::default())
        .await
        .expect("list")
        .into_inner();
    let tls_port = app.server.tls_addr().expect("tls").port();
    for id in ["iam", "operation", "organization-manager", "endpoint"] {
        let e = list
            .endpoints
            .iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(e.address, format!("localhost:{tls_port}"));
    }
    let rest = app.get("/endpoints").await.ok();
    assert_eq!(rest, proto_json(&list));
}

#[tokio::test]
async fn create_user_runs_an_operation_that_ends_with_the_user() {
    let app = spawn_app().await;
    let ch = channel(&app).await;
    let mut users = UserServiceClient::new(ch.clone());
    let mut ops = OperationServiceClient::new(ch);
    let created = users
        .create(create_req("ivan@provmock.idp.yandexcloud.net"))
        .await
        .expect("create")
        .into_inner();
    assert!(!created.done);
    assert!(created.result.is_none());
    let meta = created.metadata.expect("metadata");
    assert_eq!(
        meta.type_url,
        "type.googleapis.com/yandex.cloud.organizationmanager.v1.idp.CreateUserMetadata"
    );
    let user_id = pb::CreateUserMetadata::decode(meta.value.as_ref())
        .expect("metadata decodes")
        .user_id;
    assert_eq!(user_id.len(), 20);
    let creating = users
        .get(pb::GetUserRequest {
            user_id: user_id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(creating.status, pb::user::Status::Creating as i32);

    let done = wait(&app, &created.id).await;
    assert_eq!(
        done["response"]["@type"],
        "type.googleapis.com/yandex.cloud.organizationmanager.v1.idp.User"
    );
    assert_eq!(done["response"]["status"], "ACTIVE");
    let got = ops
        .get(op::GetOperationRequest {
            operation_id: created.id.clone(),
        })
        .await
        .expect("get op")
        .into_inner();
    match got.result {
        Some(op::operation::Result::Response(any)) => {
            let u = pb::User::decode(any.value.as_ref()).expect("user");
            assert_eq!(u.id, user_id);
            assert_eq!(u.status, pb::user::Status::Active as i32);
        }
        other => panic!("expected a User response, got {other:?}"),
    }
    let rest = app
        .get(&format!("/organization-manager/v1/idp/users/{user_id}"))
        .await
        .ok();
    let grpc = users
        .get(pb::GetUserRequest {
            user_id: user_id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(rest, proto_json(&grpc));
    assert!(rest["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));

    let state = app.get("/_mock/state").await.ok().to_string();
    assert!(
        !state.contains("S3cret-Passw0rd!"),
        "a password leaked into /_mock/state"
    );
}

#[tokio::test]
async fn is_active_false_creates_a_suspended_user_and_suspend_reactivate_work() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let mut body = rest_user("sleepy@provmock.idp.yandexcloud.net");
    body["isActive"] = json!(false);
    let o = app
        .post("/organization-manager/v1/idp/users", body)
        .await
        .ok();
    assert_eq!(o["done"], true);
    assert_eq!(o["response"]["status"], "SUSPENDED");
    let id = o["metadata"]["userId"].as_str().expect("user id");
    let r = app
        .post(
            &format!("/organization-manager/v1/idp/users/{id}:reactivate"),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        r["response"]["@type"],
        "type.googleapis.com/google.protobuf.Empty"
    );
    assert_eq!(
        app.get(&format!("/organization-manager/v1/idp/users/{id}"))
            .await
            .ok()["status"],
        "ACTIVE"
    );
    let again = app
        .post(
            &format!("/organization-manager/v1/idp/users/{id}:reactivate"),
            json!({}),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body["code"], 9, "FAILED_PRECONDITION: {}", again.body);
    app.post(
        &format!("/organization-manager/v1/idp/users/{id}:suspend"),
        json!({"reason": "test"}),
    )
    .await
    .ok();
    assert_eq!(
        app.get(&format!("/organization-manager/v1/idp/users/{id}"))
            .await
            .ok()["status"],
        "SUSPENDED"
    );
}

#[tokio::test]
async fn every_validation_annotation_is_invalid_argument_naming_the_field() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Value)> = vec![
        ("userpool_id", json!({"userpoolId": ""})),
        ("userpool_id", json!({"userpoolId": "x".repeat(51)})),
        ("username", json!({"username": ""})),
        ("username", json!({"username": "no-at-sign"})),
        (
            "username",
            json!({"username": format!("{}@x.com", "a".repeat(65))}),
        ),
        ("full_name", json!({"fullName": ""})),
        ("full_name", json!({"fullName": "x".repeat(257)})),
        ("given_name", json!({"givenName": "x".repeat(257)})),
        ("family_name", json!({"familyName": "x".repeat(257)})),
        ("email", json!({"email": "ab"})),
        (
            "email",
            json!({"email": format!("{}@x.com", "a".repeat(250))}),
        ),
        ("phone_number", json!({"phoneNumber": "1".repeat(51)})),
        (
            "password_spec.password",
            json!({"passwordSpec": {"password": ""}}),
        ),
        (
            "password_spec.password",
            json!({"passwordSpec": {"password": "x".repeat(129)}}),
        ),
        (
            "password_spec.generation_proof",
            json!({"passwordSpec": {"password": "p", "generationProof": "x".repeat(129)}}),
        ),
        ("credentials", json!({"passwordSpec": null})),
        (
            "password_hash.password_hash",
            json!({"passwordSpec": null, "passwordHash": {"passwordHash": "", "passwordHashType": "AD_MD4"}}),
        ),
        (
            "password_hash.password_hash_type",
            json!({"passwordSpec": null, "passwordHash": {"passwordHash": "h"}}),
        ),
        ("external_id", json!({"externalId": "x".repeat(257)})),
        ("company_name", json!({"companyName": "x".repeat(257)})),
        ("department", json!({"department": "x".repeat(257)})),
        ("job_title", json!({"jobTitle": "x".repeat(257)})),
        ("employee_id", json!({"employeeId": "x".repeat(257)})),
        ("expires_at", json!({"expiresAt": "2106-01-01T00:00:00Z"})),
    ];
    for (field, patch) in cases {
        let mut body = rest_user("v@provmock.idp.yandexcloud.net");
        for (k, v) in patch.as_object().cloned().unwrap_or_default() {
            if v.is_null() {
                body.as_object_mut().map(|o| o.remove(&k));
            } else {
                body[k] = v;
            }
        }
        let r = app.post("/organization-manager/v1/idp/users", body).await;
        assert_eq!(r.status, 400, "{field}: {}", r.body);
        assert_eq!(r.body["code"], 3, "{field}: {}", r.body);
        let msg = r.body["message"].as_str().unwrap_or("");
        assert!(msg.contains(field), "{field} not named in {msg:?}");
        assert_eq!(
            r.body["details"][0]["@type"],
            "type.googleapis.com/google.rpc.RequestInfo"
        );
    }
    let both = app
        .post("/organization-manager/v1/idp/users", {
            let mut b = rest_user("both@provmock.idp.yandexcloud.net");
            b["passwordHash"] = json!({"passwordHash": "h", "passwordHashType": "AD_MD4"});
            b
        })
        .await;
    assert_eq!(both.status, 400, "both credentials: {}", both.body);
    let users = app
        .get(&format!(
            "/organization-manager/v1/idp/users?userpoolId={POOL}"
        ))
        .await
        .ok();
    assert_eq!(users, json!({}), "no user was created");
}

#[tokio::test]
async fn unknown_pool_taken_username_and_parallel_creates() {
    let app = spawn_app().await;
    let mut users = UserServiceClient::new(channel(&app).await);
    let mut req = create_req("a@b.c");
    req.userpool_id = "ek0nosuchpool0000000".into();
    assert_eq!(
        users.create(req).await.expect_err("no pool").code(),
        tonic::Code::NotFound
    );

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut c = users.clone();
        tasks.push(tokio::spawn(async move {
            c.create(create_req("dup@provmock.idp.yandexcloud.net"))
                .await
                .map(|_| ())
                .map_err(|e| e.code())
        }));
    }
    let mut ok = 0;
    let mut exists = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(()) => ok += 1,
            Err(tonic::Code::AlreadyExists) => exists += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((ok, exists), (1, 19));
    let list = users
        .list(pb::ListUsersRequest {
            userpool_id: POOL.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.users.len(), 1);
    let err = users
        .create(create_req("DUP@provmock.idp.yandexcloud.net"))
        .await
        .expect_err("case-insensitive");
    assert_eq!(err.code(), tonic::Code::AlreadyExists);
}

#[tokio::test]
async fn list_pages_and_userpool_lifecycle() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let pool = app
        .post(
            "/organization-manager/v1/idp/userpools",
            json!({"organizationId": ORG, "name": "team-pool", "defaultSubdomain": "team"}),
        )
        .await
        .ok();
    assert_eq!(pool["response"]["domains"][0], "team.idp.yandexcloud.net");
    assert_eq!(pool["response"]["status"], "ACTIVE");
    let pool_id = pool["metadata"]["userpoolId"]
        .as_str()
        .expect("pool id")
        .to_string();
    for i in 0..5 {
        let mut b = rest_user(&format!("u{i}@team.idp.yandexcloud.net"));
        b["userpoolId"] = json!(pool_id);
        app.post("/organization-manager/v1/idp/users", b).await.ok();
    }
    let mut seen = 0;
    let mut token = String::new();
    loop {
        let page = app.get(&format!("/organization-manager/v1/idp/users?userpoolId={pool_id}&pageSize=2&pageToken={token}")).await.ok();
        seen += page["users"].as_array().map(|a| a.len()).unwrap_or(0);
        match page["nextPageToken"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_string(),
            _ => break,
        }
    }
    assert_eq!(seen, 5);
    let pools = app
        .get(&format!(
            "/organization-manager/v1/idp/userpools?organizationId={ORG}"
        ))
        .await
        .ok();
    assert_eq!(pools["userpools"].as_array().map(|a| a.len()), Some(2));
    let busy = app
        .delete(&format!("/organization-manager/v1/idp/userpools/{pool_id}"))
        .await;
    assert_eq!(busy.status, 400, "{}", busy.body);
    assert_eq!(busy.body["code"], 9);
    let dup = app
        .post(
            "/organization-manager/v1/idp/userpools",
            json!({"organizationId": ORG, "name": "other", "defaultSubdomain": "team"}),
        )
        .await;
    assert_eq!(dup.status, 409, "{}", dup.body);
    let bad = app
        .post(
            "/organization-manager/v1/idp/userpools",
            json!({"organizationId": ORG, "name": "Bad_Name", "defaultSubdomain": "x"}),
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn cancel_of_a_running_create_removes_the_user() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let o = app
        .post(
            "/organization-manager/v1/idp/users",
            rest_user("gone@provmock.idp.yandexcloud.net"),
        )
        .await
        .ok();
    let id = o["id"].as_str().expect("op id");
    let user_id = o["metadata"]["userId"].as_str().expect("user id");
    let cancelled = app.get(&format!("/operations/{id}:cancel")).await.ok();
    assert_eq!(cancelled["done"], true);
    assert_eq!(cancelled["error"]["code"], 1);
    assert_eq!(
        app.get(&format!("/organization-manager/v1/idp/users/{user_id}"))
            .await
            .status,
        404
    );
    let missing = app.get("/operations/idpnosuchoperation00").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], 5);
}

#[tokio::test]
async fn iam_tokens_are_issued_and_required_in_strict_mode() {
    let app = spawn_with(Config {
        no_tls: true,
        auth: AuthMode::Strict,
        ..Config::default()
    })
    .await;
    let ch = channel(&app).await;
    let mut iam_client = IamTokenServiceClient::new(ch.clone());
    let resp = iam_client
        .create(iam::CreateIamTokenRequest {
            identity: Some(
                iam::create_iam_token_request::Identity::YandexPassportOauthToken(
                    "provmock-oauth-token".into(),
                ),
            ),
        })
        .await
        .expect("create token")
        .into_inner();
    assert!(resp.iam_token.starts_with("t1."), "{}", resp.iam_token);
    assert!(resp.expires_at.is_some());
    let unknown = iam_client
        .create(iam::CreateIamTokenRequest {
            identity: Some(
                iam::create_iam_token_request::Identity::YandexPassportOauthToken("nope".into()),
            ),
        })
        .await
        .expect_err("unknown oauth");
    assert_eq!(unknown.code(), tonic::Code::Unauthenticated);
    let jwt = format!(
        "{}.e30.sig",
        base64_url(br#"{"alg":"PS256","kid":"unknown-key"}"#)
    );
    let bad_jwt = iam_client
        .create(iam::CreateIamTokenRequest {
            identity: Some(iam::create_iam_token_request::Identity::Jwt(jwt)),
        })
        .await
        .expect_err("unknown kid");
    assert_eq!(bad_jwt.code(), tonic::Code::Unauthenticated);
    let good_jwt = format!(
        "{}.e30.sig",
        base64_url(br#"{"alg":"PS256","kid":"ajeprovmocksakey0001"}"#)
    );
    iam_client
        .create(iam::CreateIamTokenRequest {
            identity: Some(iam::create_iam_token_request::Identity::Jwt(good_jwt)),
        })
        .await
        .expect("known key");

    let mut users = UserServiceClient::new(ch);
    let denied = users
        .get(pb::GetUserRequest {
            user_id: "x".into(),
        })
        .await
        .expect_err("no token");
    assert_eq!(denied.code(), tonic::Code::Unauthenticated);
    let mut req = tonic::Request::new(create_req("auth@provmock.idp.yandexcloud.net"));
    req.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", resp.iam_token)
            .parse()
            .expect("header"),
    );
    let op = users
        .create(req)
        .await
        .expect("issued token accepted")
        .into_inner();
    assert_eq!(op.created_by, "ajeprovmockadmin0001");
    let rest = app
        .call(
            "GET",
            &format!("/organization-manager/v1/idp/users?userpoolId={POOL}"),
            None,
            Some("provmock-iam-token"),
        )
        .await;
    assert_eq!(rest.status, 200, "{}", rest.body);
    let rest_denied = app
        .call(
            "GET",
            &format!("/organization-manager/v1/idp/users?userpoolId={POOL}"),
            None,
            None,
        )
        .await;
    assert_eq!(rest_denied.status, 401);
    assert_eq!(rest_denied.body["code"], 16);
    // Tokens expire on provmock's clock.
    app.server.clock().advance(chrono::Duration::hours(13));
    let mut late = tonic::Request::new(pb::GetUserRequest {
        user_id: "x".into(),
    });
    late.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", resp.iam_token)
            .parse()
            .expect("header"),
    );
    assert_eq!(
        users.get(late).await.expect_err("expired").code(),
        tonic::Code::Unauthenticated
    );
}

fn base64_url(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[tokio::test]
async fn unserved_rpcs_and_routes_are_unimplemented() {
    let app = spawn_app().await;
    let mut grpc = tonic::client::Grpc::new(channel(&app).await);
    grpc.ready().await.expect("ready");
    let path = http::uri::PathAndQuery::from_static(
        "/yandex.cloud.organizationmanager.v1.idp.UserService/GeneratePassword",
    );
    let codec = tonic_prost::ProstCodec::<pb::GetUserRequest, pb::User>::default();
    let err = grpc
        .unary(
            tonic::Request::new(pb::GetUserRequest::default()),
            path,
            codec,
        )
        .await
        .expect_err("unserved");
    assert_eq!(err.code(), tonic::Code::Unimplemented);
    assert!(err.message().contains("GeneratePassword"));
    let rest = app
        .post(
            "/organization-manager/v1/idp/users:generatePassword",
            json!({}),
        )
        .await;
    assert_eq!(rest.status, 501, "{}", rest.body);
    assert_eq!(rest.body["code"], 12);
}
