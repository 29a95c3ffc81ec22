//! The steering control plane: operation policies, faults, latency, clock, journal, state import, per-family reset
//! and deterministic ids.

use std::time::{Duration, Instant};

use provmock::Config;
use provmock::proto::google::cloud::channel::v1 as pb;
use provmock::proto::google::cloud::channel::v1::cloud_channel_service_client::CloudChannelServiceClient;
use provmock::proto::google::longrunning::GetOperationRequest;
use provmock::proto::google::longrunning::operations_client::OperationsClient;
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::helpers::{R1, R2, TestApp, spawn_app, spawn_with};

const PROVISION: &str = "/v1/accounts/C01234567/customers/S0NEWCUSTOMER1:provisionCloudIdentity";

async fn channel(app: &TestApp) -> Channel {
    Channel::from_shared(app.server.uri())
        .expect("uri")
        .connect()
        .await
        .expect("h2c")
}

async fn provision(app: &TestApp) -> String {
    let op = app
        .post(PROVISION, json!({"user": {"email": "p@example.org"}}))
        .await
        .ok();
    op["name"].as_str().expect("op name").to_string()
}

#[tokio::test]
async fn manual_after_polls_and_immediate_policies() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_millis(50),
        ..Config::default()
    })
    .await;
    let set = app
        .call(
            "PUT",
            "/_mock/operations/policy",
            Some(json!({"kind": "channel.provisionCloudIdentity", "policy": "manual"})),
            None,
        )
        .await
        .ok();
    assert_eq!(set["kinds"]["channel.provisionCloudIdentity"], "manual");
    let name = provision(&app).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.ok()["done"],
        false,
        "manual: not finished by time"
    );
    app.post(&format!("/_mock/{name}:complete"), json!({}))
        .await
        .ok();
    assert_eq!(app.get(&format!("/v1/{name}")).await.ok()["done"], true);

    app.call(
        "PUT",
        "/_mock/operations/policy",
        Some(json!({"policy": {"after_polls": 3}})),
        None,
    )
    .await
    .ok();
    let c = app.create_customer(R1, "polls.com").await;
    let op = app
        .post(
            &format!(
                "/v1/{}:provisionCloudIdentity",
                c["name"].as_str().expect("n")
            ),
            json!({"user": {"email": "a@polls.com"}}),
        )
        .await
        .ok();
    let name = op["name"].as_str().expect("op");
    let mut ops = OperationsClient::new(channel(&app).await);
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.ok()["done"],
        false,
        "poll 1"
    );
    let second = ops
        .get_operation(GetOperationRequest { name: name.into() })
        .await
        .expect("poll 2 over gRPC")
        .into_inner();
    assert!(!second.done);
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.ok()["done"],
        true,
        "poll 3 finishes it"
    );

    app.call(
        "PUT",
        "/_mock/operations/policy",
        Some(json!({"policy": "immediate"})),
        None,
    )
    .await
    .ok();
    let c = app.create_customer(R1, "now.com").await;
    let op = app
        .post(
            &format!(
                "/v1/{}:provisionCloudIdentity",
                c["name"].as_str().expect("n")
            ),
            json!({"user": {"email": "a@now.com"}}),
        )
        .await
        .ok();
    assert_eq!(op["done"], true);
    let bad = app
        .call(
            "PUT",
            "/_mock/operations/policy",
            Some(json!({"policy": "sometimes"})),
            None,
        )
        .await;
    bad.expect_error(400, "INVALID_ARGUMENT");
    let reset = app
        .call("DELETE", "/_mock/operations/policy", None, None)
        .await
        .ok();
    assert_eq!(reset["default"], json!({"after_ms": 50}));
}

#[tokio::test]
async fn fault_rules_fail_rest_and_grpc_in_each_familys_format() {
    let app = spawn_app().await;
    let rule = app
        .post("/_mock/faults", json!({"match": {"method": "channel.ImportCustomer"}, "error": {"code": "UNAVAILABLE"}, "times": 2}))
        .await;
    assert_eq!(rule.status, 201, "{}", rule.body);
    let rest = app
        .post(
            &format!("/v1/{R2}/customers:import"),
            json!({"domain": "altostrat.com"}),
        )
        .await;
    rest.expect_error(503, "UNAVAILABLE");
    assert_eq!(rest.error_reason(), "INJECTED_FAULT");
    let mut ch = CloudChannelServiceClient::new(channel(&app).await);
    let grpc = ch
        .import_customer(pb::ImportCustomerRequest {
            parent: R2.into(),
            customer_identity: Some(pb::import_customer_request::CustomerIdentity::Domain(
                "altostrat.com".into(),
            )),
            ..Default::default()
        })
        .await
        .expect_err("injected");
    assert_eq!(grpc.code(), tonic::Code::Unavailable);
    // Spent after two hits; nothing was imported meanwhile.
    app.post(
        &format!("/v1/{R2}/customers:import"),
        json!({"domain": "altostrat.com"}),
    )
    .await
    .ok();
    let rules = app.get("/_mock/faults").await.ok();
    assert_eq!(rules["rules"][0]["hits"], 2);

    app.post(
        "/_mock/faults",
        json!({"match": {"family": "scp"}, "error": {"http_status": 429}}),
    )
    .await
    .ok();
    let scp = app.post("/v1/accounts", json!({"name": "x"})).await;
    assert_eq!(scp.status, 429, "{}", scp.body);
    assert!(
        scp.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("fault")),
        "{}",
        scp.body
    );

    app.post(
        "/_mock/faults",
        json!({"match": {"method": "GET /operations/*"}, "error": {"code": 13}}),
    )
    .await
    .ok();
    let y = app.get("/operations/whatever").await;
    assert_eq!(y.status, 500);
    assert_eq!(y.body["code"], 13, "Yandex error body: {}", y.body);

    app.post(
        "/_mock/faults",
        json!({"match": {"header": "x-test-case: flaky"}, "error": {"code": "ABORTED"}}),
    )
    .await
    .ok();
    let flaky = app
        .http
        .get(app.url(&format!("/v1/{R1}/customers")))
        .header("x-test-case", "flaky")
        .send()
        .await
        .expect("sent");
    assert_eq!(flaky.status(), 409);
    assert_eq!(
        app.get(&format!("/v1/{R1}/customers")).await.status,
        200,
        "no header, no fault"
    );

    assert_eq!(
        app.call("DELETE", "/_mock/faults", None, None).await.ok(),
        json!({})
    );
    assert_eq!(app.get("/_mock/faults").await.ok()["rules"], json!([]));
    let bad = app
        .post("/_mock/faults", json!({"error": {"code": "NOPE"}}))
        .await;
    bad.expect_error(400, "INVALID_ARGUMENT");
    app.call("DELETE", "/_mock/faults/fault-99", None, None)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn the_fault_header_forces_one_error_without_a_rule() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(app.url(&format!("/v1/{R1}/customers")))
        .header("x-provmock-fault", "PERMISSION_DENIED")
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 403);
    let r = app
        .http
        .get(app.url(&format!("/v1/{R1}/customers")))
        .header("x-provmock-fault", "503")
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 503);
    let mut ch = CloudChannelServiceClient::new(channel(&app).await);
    let mut req = tonic::Request::new(pb::GetCustomerRequest {
        name: format!("{R1}/customers/S0NEWCUSTOMER1"),
    });
    req.metadata_mut().insert(
        "x-provmock-fault",
        "RESOURCE_EXHAUSTED".parse().expect("ascii"),
    );
    assert_eq!(
        ch.get_customer(req).await.expect_err("forced").code(),
        tonic::Code::ResourceExhausted
    );
}

#[tokio::test]
async fn latency_rules_delay_answers() {
    let app = spawn_app().await;
    app.post(
        "/_mock/faults",
        json!({"match": {"method": "ListCustomers"}, "latency_ms": 300}),
    )
    .await
    .ok();
    let started = Instant::now();
    assert_eq!(app.get(&format!("/v1/{R1}/customers")).await.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn clock_can_be_read_frozen_advanced_and_released() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(120),
        ..Config::default()
    })
    .await;
    let frozen = app
        .call(
            "PUT",
            "/_mock/clock",
            Some(json!({"now": "2026-06-29T23:59:00Z"})),
            None,
        )
        .await
        .ok();
    assert_eq!(frozen["now"], "2026-06-29T23:59:00Z");
    assert_eq!(frozen["mode"]["mode"], "frozen");
    let c = app.create_customer(R1, "clock.com").await;
    assert_eq!(
        c["createTime"], "2026-06-29T23:59:00Z",
        "timestamps follow the clock"
    );
    let name = provision(&app).await;
    // An SCP version date follows the clock too: 1.1 is still accepted on 2026-06-29.
    let v = app.http.post(app.url("/v1/accounts")).header("Scp-API-Version", "cloudcontrol 1.1")
        .json(&json!({"name": "clocked", "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681", "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}))
        .send().await.expect("sent");
    assert_eq!(v.status(), 201);
    let moved = app
        .post("/_mock/clock:advance", json!({"seconds": 121}))
        .await
        .ok();
    assert_eq!(moved["now"], "2026-06-30T00:01:01Z");
    let done = app.wait_operation(&name).await;
    assert_eq!(done["done"], true);
    let v = app.http.post(app.url("/v1/accounts")).header("Scp-API-Version", "cloudcontrol 1.1")
        .json(&json!({"name": "late", "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681", "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}))
        .send().await.expect("sent");
    assert_eq!(v.status(), 400, "1.1 refused from its Not Before date");
    let real = app.call("DELETE", "/_mock/clock", None, None).await.ok();
    assert_eq!(real["mode"]["mode"], "real");
    app.call(
        "PUT",
        "/_mock/clock",
        Some(json!({"now": "yesterday"})),
        None,
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn journal_records_filters_counts_redacts_and_clears() {
    let app = spawn_with(Config {
        no_tls: true,
        journal_size: 5,
        ..Config::default()
    })
    .await;
    app.post(
        &format!("/v1/{R2}/customers:import"),
        json!({"domain": "example.com", "authToken": "example-auth-token"}),
    )
    .await
    .ok();
    app.get("/v1/nothing").await;
    app.post(
        "/organization-manager/v1/idp/users",
        json!({"userpoolId": "ek0provmockpool00001", "username": "j@x.y",
        "fullName": "J", "passwordSpec": {"password": "TopSecret123"}}),
    )
    .await
    .ok();
    let mut ch = CloudChannelServiceClient::new(channel(&app).await);
    let _ = ch
        .get_customer(pb::GetCustomerRequest {
            name: format!("{R1}/customers/S0NONE"),
        })
        .await;
    app.get("/_mock/health").await;

    let all = app.get("/_mock/journal").await.ok();
    let entries = all["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 4, "control calls are not journaled: {all}");
    let text = all.to_string();
    assert!(
        !text.contains("TopSecret123") && !text.contains("example-auth-token"),
        "secrets leaked: {text}"
    );
    assert_eq!(entries[0]["family"], "channel");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[2]["family"], "yandex");
    assert_eq!(
        entries[3]["method"],
        "google.cloud.channel.v1.CloudChannelService/GetCustomer"
    );
    assert_eq!(entries[3]["status"], 5, "gRPC entries carry the gRPC code");

    assert_eq!(
        app.get("/_mock/journal:count?status=404").await.ok()["count"],
        1
    );
    assert_eq!(
        app.get("/_mock/journal:count?family=yandex").await.ok()["count"],
        1
    );
    assert_eq!(
        app.get("/_mock/journal?path=/v1/accounts/*/customers:import")
            .await
            .ok()["entries"]
            .as_array()
            .map(|a| a.len()),
        Some(1)
    );
    assert_eq!(
        app.get("/_mock/journal?limit=1").await.ok()["entries"][0]["protocol"],
        "grpc"
    );
    for i in 0..5 {
        app.get(&format!("/v1/{R1}/customers?pageSize={}", i + 1))
            .await;
    }
    assert_eq!(
        app.get("/_mock/journal:count").await.ok()["count"],
        5,
        "bounded by --journal-size"
    );
    app.call("DELETE", "/_mock/journal", None, None).await.ok();
    assert_eq!(app.get("/_mock/journal:count").await.ok()["count"], 0);
}

#[tokio::test]
async fn state_round_trips_and_a_bad_document_changes_nothing() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let created = app.create_customer(R1, "kept.com").await;
    let op = provision(&app).await;
    let exported = app.get("/_mock/state").await.ok();
    app.post("/_mock/reset", json!({})).await.ok();
    app.get(&format!("/v1/{}", created["name"].as_str().expect("n")))
        .await
        .expect_error(404, "NOT_FOUND");

    assert_eq!(
        app.call("PUT", "/_mock/state", Some(exported.clone()), None)
            .await
            .ok()["status"],
        "replaced"
    );
    assert_eq!(
        app.get(&format!("/v1/{}", created["name"].as_str().expect("n")))
            .await
            .ok()["domain"],
        "kept.com"
    );
    assert_eq!(
        app.get(&format!("/v1/{op}")).await.ok()["done"],
        false,
        "pending operation restored"
    );
    app.post("/_mock/operations:flush", json!({})).await.ok();
    assert_eq!(app.get(&format!("/v1/{op}")).await.ok()["done"], true);

    let mut bad = exported.clone();
    bad["google"]["customers"][0]["cloud_identity_id"] = json!("C0DANGLING");
    let r = app.call("PUT", "/_mock/state", Some(bad), None).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        r.error_message()
            .contains("google.customers[0].cloud_identity_id"),
        "{}",
        r.body
    );
    let mut unknown = exported;
    unknown["google"]["colour"] = json!("red");
    app.call("PUT", "/_mock/state", Some(unknown), None)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    assert_eq!(
        app.get(&format!("/v1/{}", created["name"].as_str().expect("n")))
            .await
            .ok()["domain"],
        "kept.com",
        "unchanged"
    );
}

#[tokio::test]
async fn reset_of_one_family_keeps_the_others() {
    let app = spawn_app().await;
    let c = app.create_customer(R1, "stays.com").await;
    let scp = app
        .post(
            "/v1/accounts",
            json!({"name": "goes", "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
        "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}),
        )
        .await
        .ok();
    app.post("/_mock/reset?family=scp", json!({})).await.ok();
    assert_eq!(
        app.get(&format!(
            "/v1/organization-accounts/{}",
            scp["account_id"].as_str().expect("id")
        ))
        .await
        .status,
        404
    );
    assert_eq!(
        app.get(&format!("/v1/{}", c["name"].as_str().expect("n")))
            .await
            .status,
        200
    );
    app.post("/_mock/reset?family=nonsense", json!({}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

async fn scripted_run(seed: u64) -> Vec<Value> {
    let app = spawn_with(Config {
        no_tls: true,
        seed: Some(seed),
        ..Config::default()
    })
    .await;
    let mut out = Vec::new();
    for d in ["a.com", "b.com", "c.com"] {
        out.push(app.create_customer(R2, d).await["name"].clone());
    }
    let op = app
        .post(PROVISION, json!({"user": {"email": "s@example.org"}}))
        .await
        .ok();
    out.push(op["name"].clone());
    let page = app
        .get(&format!("/v1/{R2}/customers?pageSize=1"))
        .await
        .ok();
    out.push(page["nextPageToken"].clone());
    let scp = app
        .post(
            "/v1/accounts",
            json!({"name": "seeded", "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
        "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}),
        )
        .await
        .ok();
    out.push(scp["account_id"].clone());
    out.push(scp["job_id"].clone());
    let y = app
        .post(
            "/organization-manager/v1/idp/users",
            json!({"userpoolId": "ek0provmockpool00001", "username": "s@x.y",
        "fullName": "S", "passwordSpec": {"password": "p"}}),
        )
        .await
        .ok();
    out.push(y["id"].clone());
    out.push(y["metadata"]["userId"].clone());
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_page_tokens_and_operation_names() {
    let first = scripted_run(42).await;
    let second = scripted_run(42).await;
    assert_eq!(first, second);
    assert!(
        first
            .iter()
            .all(|v| v.as_str().is_some_and(|s| !s.is_empty())),
        "{first:?}"
    );
    let other = scripted_run(43).await;
    assert_ne!(first[0], other[0], "another seed, other ids");
}
