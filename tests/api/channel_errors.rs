//! Bad input gets a clear error in Google's envelope and changes nothing.

use serde_json::json;

use crate::helpers::{R1, spawn_app};

async fn customer_count(app: &crate::helpers::TestApp) -> usize {
    app.get(&format!("/v1/{R1}/customers?pageSize=50"))
        .await
        .ok()["customers"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn malformed_json_wrong_types_and_unknown_fields_are_invalid_argument() {
    let app = spawn_app().await;
    let before = customer_count(&app).await;
    let path = format!("/v1/{R1}/customers");
    let r = app.raw("POST", &path, b"{\"domain\": ".to_vec()).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        r.error_message()
            .starts_with("Invalid JSON payload received."),
        "{}",
        r.body
    );
    assert_eq!(r.headers["content-type"], "application/json; charset=UTF-8");

    let r = app.raw("POST", &path, br#"{"domain": 42}"#.to_vec()).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert_eq!(
        r.body["error"]["details"][1]["fieldViolations"][0]["field"], "domain",
        "{}",
        r.body
    );

    let r = app
        .raw("POST", &path, br#"{"colour": "red"}"#.to_vec())
        .await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(r.error_message().contains("colour"));
    assert_eq!(
        r.body["error"]["details"][0]["@type"],
        "type.googleapis.com/google.rpc.ErrorInfo"
    );
    assert_eq!(
        r.body["error"]["details"][0]["domain"],
        "cloudchannel.googleapis.com"
    );

    let r = app
        .raw(
            "POST",
            &path,
            br#"{"customerAttestationState": "MAYBE"}"#.to_vec(),
        )
        .await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert_eq!(customer_count(&app).await, before, "nothing was created");
}

#[tokio::test]
async fn unknown_routes_verbs_and_methods_use_the_envelope() {
    let app = spawn_app().await;
    let r = app.get("/v1/nothing/here").await;
    r.expect_error(404, "NOT_FOUND");
    assert!(r.error_message().contains("/v1/nothing/here"));
    let r = app
        .post(&format!("/v1/{R1}/customers:explode"), json!({}))
        .await;
    r.expect_error(404, "NOT_FOUND");
    assert!(r.error_message().contains(":explode"));
    let r = app
        .call("PUT", &format!("/v1/{R1}/customers"), Some(json!({})), None)
        .await;
    r.expect_error(405, "UNIMPLEMENTED");
    assert!(r.error_message().contains("GET, POST"));
    app.get("/v2/accounts/x/customers")
        .await
        .expect_error(404, "NOT_FOUND");
    let r = app.get(&format!("/v1/{R1}/customers?colour=red")).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(r.error_message().contains("colour"));
    app.get(&format!("/v1/{R1}/customers?pageSize=ten"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn oversized_bodies_get_413_in_the_envelope() {
    let app = spawn_app().await;
    let big = format!("{{\"orgDisplayName\": \"{}\"}}", "x".repeat(1_100_000));
    let r = app
        .raw("POST", &format!("/v1/{R1}/customers"), big.into_bytes())
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.error_status(), "INVALID_ARGUMENT");
    assert!(r.error_message().contains("1048576"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let ok = app.get("/_mock/health").await;
    let err = app.get("/v1/nothing").await;
    let ids: Vec<String> = [&ok, &err]
        .iter()
        .map(|r| {
            r.headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(
        ids.iter().all(|id| id.len() >= 16),
        "request ids present: {ids:?}"
    );
    assert_ne!(ids[0], ids[1], "each request has its own id");
    let sent = app
        .http
        .get(app.url("/_mock/health"))
        .header("x-request-id", "mine-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(sent.headers()["x-request-id"], "mine-123");
}

#[tokio::test]
async fn paths_are_percent_decoded() {
    let app = spawn_app().await;
    let c = app.create_customer(R1, "enc.com").await;
    let name = c["name"].as_str().expect("name");
    let encoded = name
        .replace("/customers/", "/customers%2F")
        .replace("S0", "%53%30");
    let got = app
        .get(&format!("/v1/{}", encoded.replace("%2F", "/")))
        .await
        .ok();
    assert_eq!(got["domain"], "enc.com");
}
