//! The `/_mock/` control plane and the operation engine's timing.

use std::time::Duration;

use provmock::Config;
use serde_json::json;

use crate::helpers::{R1, spawn_app, spawn_with};

#[tokio::test]
async fn health_answers_ok_with_ports() {
    let app = spawn_app().await;
    let h = app.get("/_mock/health").await.ok();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["port"], app.server.addr().port());
}

#[tokio::test]
async fn reset_goes_back_to_the_fixtures() {
    let app = spawn_app().await;
    app.create_customer(R1, "temp.com").await;
    app.post(
        &format!("/v1/{R1}/customers:import"),
        json!({"domain": "altostrat.com"}),
    )
    .await
    .ok();
    assert_eq!(
        app.post("/_mock/reset", json!({})).await.ok()["status"],
        "reset"
    );
    let list = app.get(&format!("/v1/{R1}/customers")).await.ok();
    assert_eq!(
        list["customers"].as_array().map(|a| a.len()),
        Some(1),
        "{list}"
    );
}

#[tokio::test]
async fn state_export_holds_the_world_but_no_secret() {
    let app = spawn_app().await;
    app.create_customer(R1, "exported.com").await;
    let state = app.get("/_mock/state").await.ok();
    let text = state.to_string();
    assert!(text.contains("exported.com"));
    assert!(text.contains("C00000000"));
    for secret in [
        "example-auth-token",
        "reseller-one-token",
        "altostrat-admin-token",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into /_mock/state");
    }
    assert!(
        state["google"]["cloud_identities"][1]["auth_token_sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );
}

#[tokio::test]
async fn operations_complete_fail_and_flush_by_name() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let mut names = Vec::new();
    for d in ["one.com", "two.com", "three.com"] {
        let c = app.create_customer(R1, d).await;
        let op = app
            .post(
                &format!(
                    "/v1/{}:provisionCloudIdentity",
                    c["name"].as_str().expect("name")
                ),
                json!({"user": {"email": format!("a@{d}")}}),
            )
            .await
            .ok();
        names.push(op["name"].as_str().expect("op").to_string());
    }
    let pending = app
        .get("/_mock/operations?done=false&family=channel")
        .await
        .ok();
    assert_eq!(pending["operations"].as_array().map(|a| a.len()), Some(3));

    let done = app
        .post(
            &format!(
                "/_mock/operations/{}:complete",
                names[0].trim_start_matches("operations/")
            ),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(done["done"], true);
    assert_eq!(
        app.get(&format!("/v1/{}", names[0])).await.ok()["response"]["domain"],
        "one.com"
    );

    let failed = app
        .post(
            &format!("/_mock/{}:fail", names[1]),
            json!({"code": "RESOURCE_EXHAUSTED", "message": "quota"}),
        )
        .await
        .ok();
    assert_eq!(failed["error"]["code"], "RESOURCE_EXHAUSTED");
    let op = app.get(&format!("/v1/{}", names[1])).await.ok();
    assert_eq!(op["error"]["code"], 8);
    assert_eq!(op["error"]["message"], "quota");
    app.post(&format!("/_mock/{}:fail", names[1]), json!({}))
        .await
        .expect_error(400, "FAILED_PRECONDITION");
    app.post("/_mock/operations/nope:complete", json!({}))
        .await
        .expect_error(404, "NOT_FOUND");
    app.post(&format!("/_mock/{}:fail", names[2]), json!({"code": "OK"}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    assert_eq!(
        app.post("/_mock/operations:flush", json!({})).await.ok()["completed"],
        1
    );
    assert_eq!(
        app.get(&format!("/v1/{}", names[2])).await.ok()["done"],
        true
    );
}

#[tokio::test]
async fn the_completer_finishes_operations_when_the_clock_reaches_their_deadline() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(60),
        ..Config::default()
    })
    .await;
    let start = chrono::Utc::now();
    app.server.clock().set(start);
    let op = app
        .post(
            "/v1/accounts/C01234567/customers/S0NEWCUSTOMER1:provisionCloudIdentity",
            json!({"user": {"email": "c@example.org"}}),
        )
        .await
        .ok();
    let name = op["name"].as_str().expect("name");
    app.server.clock().advance(chrono::Duration::seconds(30));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.ok()["done"],
        false,
        "not yet due"
    );
    app.server.clock().advance(chrono::Duration::seconds(31));
    let done = app.wait_operation(name).await;
    assert!(done["response"]["cloudIdentityId"].is_string(), "{done}");
}

#[tokio::test]
async fn zero_lro_delay_returns_operations_already_done() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let op = app
        .post(
            "/v1/accounts/C01234567/customers/S0NEWCUSTOMER1:provisionCloudIdentity",
            json!({"user": {"email": "z@example.org"}}),
        )
        .await
        .ok();
    assert_eq!(op["done"], true);
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.channel.v1.Customer"
    );
}

#[tokio::test]
async fn unknown_control_routes_are_404_in_json() {
    let app = spawn_app().await;
    app.get("/_mock/nothing")
        .await
        .expect_error(404, "NOT_FOUND");
    app.call("DELETE", "/_mock/health", None, None)
        .await
        .expect_error(405, "UNIMPLEMENTED");
}
