//! The reseller's order flow: the catalog, entitlements and their changes, transfers, channel partner links —
//! over REST and gRPC (which must agree), with their errors, paging, filters, operation policies, strict auth and
//! the state document.

use std::time::Duration;

use proptest::prelude::*;
use prost::Message;
use provmock::internals::proto_json;
use provmock::proto::google::cloud::channel::v1 as pb;
use provmock::proto::google::cloud::channel::v1::cloud_channel_service_client::CloudChannelServiceClient;
use provmock::{AuthMode, Config};
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::helpers::{R1, R2, TestApp, spawn_with};

const NEW: &str = "accounts/C01234567/customers/S0NEWCUSTOMER1";
const STANDARD: &str = "products/GOOGLE_WORKSPACE/skus/1010020028";
const STARTER: &str = "products/GOOGLE_WORKSPACE/skus/1010020027";

/// Operations finish at once (`--lro-delay 0`), so a flow reads like a script.
async fn spawn_now() -> TestApp {
    spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::ZERO,
        seed: Some(15),
        ..Config::default()
    })
    .await
}

async fn spawn_strict_now() -> TestApp {
    spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::ZERO,
        auth: AuthMode::Strict,
        ..Config::default()
    })
    .await
}

fn offer(account: &str, id: &str) -> String {
    format!("{account}/offers/{id}")
}

fn units(name: &str, n: i64) -> Value {
    json!([{"name": name, "value": {"int64Value": n.to_string()}}])
}

/// Provisions the default world's new customer (done at once).
async fn provision(app: &TestApp) {
    let op = app
        .post(
            &format!("/v1/{NEW}:provisionCloudIdentity"),
            json!({"user": {"email": "admin@example.org"}}),
        )
        .await
        .ok();
    assert_eq!(op["done"], true, "{op}");
}

/// Creates an entitlement and returns the finished operation's entitlement.
async fn order(app: &TestApp, customer: &str, offer_id: &str, params: Value) -> Value {
    let op = app
        .post(
            &format!("/v1/{customer}/entitlements"),
            json!({"entitlement": {"offer": offer(R1, offer_id), "parameters": params}}),
        )
        .await
        .ok();
    assert_eq!(op["done"], true, "{op}");
    assert_eq!(op["metadata"]["operationType"], "CREATE_ENTITLEMENT");
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.channel.v1.Entitlement"
    );
    without_type(&op["response"])
}

/// A message from an operation's `response`, without its `@type`.
fn without_type(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("@type");
    }
    v
}

fn name_of(v: &Value) -> String {
    v["name"].as_str().expect("a name").to_string()
}

async fn import(app: &TestApp, parent: &str, body: Value) -> Value {
    app.post(&format!("/v1/{parent}/customers:import"), body)
        .await
        .ok()
}

async fn verb(app: &TestApp, entitlement: &str, verb: &str, body: Value) -> crate::helpers::Reply {
    app.post(&format!("/v1/{entitlement}:{verb}"), body).await
}

#[track_caller]
fn done_with(op: &Value, operation_type: &str) -> Value {
    assert_eq!(op["done"], true, "{op}");
    assert_eq!(op["metadata"]["operationType"], operation_type, "{op}");
    without_type(&op["response"])
}

// ---------- catalog ----------

#[tokio::test]
async fn products_and_skus_list_with_paging_and_need_an_account() {
    let app = spawn_now().await;
    let all = app
        .get("/v1/products?account=accounts/C01234567")
        .await
        .ok();
    let names: Vec<&str> = all["products"]
        .as_array()
        .expect("products")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "products/CLOUD_IDENTITY",
            "products/GOOGLE_CLOUD",
            "products/GOOGLE_WORKSPACE"
        ]
    );
    let first = app
        .get("/v1/products?account=accounts/C01234567&pageSize=2")
        .await
        .ok();
    assert_eq!(first["products"].as_array().map(Vec::len), Some(2));
    let token = first["nextPageToken"].as_str().expect("a next page");
    let second = app
        .get(&format!(
            "/v1/products?account=accounts/C01234567&pageSize=2&pageToken={token}"
        ))
        .await
        .ok();
    assert_eq!(second["products"][0]["name"], "products/GOOGLE_WORKSPACE");
    assert!(second.get("nextPageToken").is_none(), "{second}");

    let missing = app.get("/v1/products").await;
    missing.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        missing.error_message().contains("account"),
        "{}",
        missing.body
    );

    let ws = app
        .get("/v1/products/GOOGLE_WORKSPACE/skus?account=accounts/C01234567")
        .await
        .ok();
    let skus = ws["skus"].as_array().expect("skus");
    assert_eq!(skus.len(), 3);
    assert!(
        skus.iter()
            .all(|s| s["product"]["name"] == "products/GOOGLE_WORKSPACE")
    );
    assert_eq!(
        skus.iter()
            .find(|s| s["name"] == STANDARD)
            .map(|s| s["marketingInfo"]["displayName"].clone()),
        Some(json!("Google Workspace Business Standard"))
    );
    let every = app
        .get("/v1/products/-/skus?account=accounts/C01234567")
        .await
        .ok();
    assert_eq!(every["skus"].as_array().map(Vec::len), Some(6));
    app.get("/v1/products/NOPE/skus?account=accounts/C01234567")
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn offers_filter_by_name_sku_and_product_and_page() {
    let app = spawn_now().await;
    let all = app.get(&format!("/v1/{R1}/offers")).await.ok();
    let offers = all["offers"].as_array().expect("offers");
    assert_eq!(offers.len(), 12);
    assert!(offers.iter().all(|o| {
        o["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("accounts/C01234567/offers/"))
    }));
    let annual = offers
        .iter()
        .find(|o| o["name"] == offer(R1, "WS-STANDARD-ANNUAL"))
        .expect("annual offer");
    assert_eq!(annual["plan"]["paymentPlan"], "COMMITMENT");
    assert_eq!(annual["plan"]["paymentCycle"]["periodType"], "YEAR");
    assert_eq!(
        annual["sku"]["product"]["name"],
        "products/GOOGLE_WORKSPACE"
    );
    assert_eq!(annual["parameterDefinitions"][0]["name"], "num_units");
    // Reseller Two sees the same catalog under its own name.
    let two = app.get(&format!("/v1/{R2}/offers?pageSize=1")).await.ok();
    assert!(
        two["offers"][0]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("accounts/C07654321/offers/"))
    );

    let q = |f: &str| format!("/v1/{R1}/offers?filter={}", urlencode(f));
    let ci = app
        .get(&q("sku.product.name=products/CLOUD_IDENTITY"))
        .await
        .ok();
    assert_eq!(ci["offers"].as_array().map(Vec::len), Some(2));
    let not_standard = app
        .get(&q(&format!(
            "sku.product.name=products/GOOGLE_WORKSPACE AND sku.name!={STANDARD}"
        )))
        .await
        .ok();
    assert_eq!(not_standard["offers"].as_array().map(Vec::len), Some(6));
    let one = app
        .get(&q(&format!("name=\"{}\"", offer(R1, "CI-FREE"))))
        .await
        .ok();
    assert_eq!(one["offers"].as_array().map(Vec::len), Some(1));
    let bad = app.get(&q("colour=red")).await;
    bad.expect_error(400, "INVALID_ARGUMENT");
    assert!(bad.error_message().contains("colour"), "{}", bad.body);

    // Paging, and a token bound to its filter.
    let page = app.get(&format!("/v1/{R1}/offers?pageSize=5")).await.ok();
    assert_eq!(page["offers"].as_array().map(Vec::len), Some(5));
    let token = page["nextPageToken"].as_str().expect("token").to_string();
    let mut seen = 5;
    let mut next = Some(token.clone());
    while let Some(t) = next {
        let p = app
            .get(&format!("/v1/{R1}/offers?pageSize=5&pageToken={t}"))
            .await
            .ok();
        seen += p["offers"].as_array().map(Vec::len).unwrap_or(0);
        next = p["nextPageToken"].as_str().map(str::to_string);
    }
    assert_eq!(seen, 12);
    app.get(&format!(
        "{}&pageToken={token}",
        q("sku.product.name=products/CLOUD_IDENTITY")
    ))
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    // No future offers in the default catalog.
    let future = app
        .get(&format!("/v1/{R1}/offers?showFutureOffers=true"))
        .await
        .ok();
    assert!(future.get("offers").is_none(), "{future}");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn purchasable_skus_and_offers_follow_the_customer_and_its_entitlements() {
    let app = spawn_now().await;
    provision(&app).await;
    let skus = app
        .get(&format!(
            "/v1/{NEW}:listPurchasableSkus?createEntitlementPurchase.product=products/-"
        ))
        .await
        .ok();
    assert_eq!(skus["purchasableSkus"].as_array().map(Vec::len), Some(6));
    let offers = app
        .get(&format!(
            "/v1/{NEW}:listPurchasableOffers?createEntitlementPurchase.sku={STANDARD}"
        ))
        .await
        .ok();
    let names: Vec<&str> = offers["purchasableOffers"]
        .as_array()
        .expect("offers")
        .iter()
        .filter_map(|o| o["offer"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "accounts/C01234567/offers/WS-STANDARD-ANNUAL",
            "accounts/C01234567/offers/WS-STANDARD-FLEX",
            "accounts/C01234567/offers/WS-STANDARD-TRIAL"
        ]
    );
    let e = order(&app, NEW, "WS-STANDARD-FLEX", json!([])).await;
    let e = name_of(&e);
    let after = app
        .get(&format!(
            "/v1/{NEW}:listPurchasableSkus?createEntitlementPurchase.product=products/GOOGLE_WORKSPACE"
        ))
        .await
        .ok();
    assert!(
        !after.to_string().contains(STANDARD),
        "held SKUs are not offered: {after}"
    );
    let up = app
        .get(&format!(
            "/v1/{NEW}:listPurchasableSkus?changeOfferPurchase.entitlement={e}&changeOfferPurchase.changeType=UPGRADE"
        ))
        .await
        .ok();
    assert_eq!(
        up["purchasableSkus"][0]["sku"]["name"],
        "products/GOOGLE_WORKSPACE/skus/1010020025"
    );
    assert_eq!(up["purchasableSkus"].as_array().map(Vec::len), Some(1));
    let down = app
        .get(&format!(
            "/v1/{NEW}:listPurchasableSkus?changeOfferPurchase.entitlement={e}&changeOfferPurchase.changeType=2"
        ))
        .await
        .ok();
    assert_eq!(down["purchasableSkus"][0]["sku"]["name"], STARTER);
    let switch = app
        .get(&format!(
            "/v1/{NEW}:listPurchasableOffers?changeOfferPurchase.entitlement={e}"
        ))
        .await
        .ok();
    assert_eq!(
        switch["purchasableOffers"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(!switch.to_string().contains("WS-STANDARD-FLEX"));
    app.get(&format!("/v1/{NEW}:listPurchasableOffers"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let no_type = app
        .get(&format!(
            "/v1/{NEW}:listPurchasableSkus?changeOfferPurchase.entitlement={e}"
        ))
        .await;
    no_type.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        no_type.error_message().contains("changeType"),
        "{}",
        no_type.body
    );
    app.get(&format!(
        "/v1/{NEW}:listPurchasableOffers?createEntitlementPurchase.sku=products/X/skus/Y"
    ))
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    app.get(&format!(
        "/v1/{R1}/customers/NOPE:listPurchasableSkus?createEntitlementPurchase.product=products/-"
    ))
    .await
    .expect_error(404, "NOT_FOUND");
    // A TEAM customer is not sold Business Plus.
    let team = import(&app, R1, json!({"domain": "cymbalgroup.com"})).await;
    let team_offers = app
        .get(&format!(
            "/v1/{}:listPurchasableOffers?createEntitlementPurchase.sku=products/GOOGLE_WORKSPACE/skus/1010020025",
            name_of(&team)
        ))
        .await
        .ok();
    assert!(
        team_offers.get("purchasableOffers").is_none(),
        "{team_offers}"
    );
}

#[tokio::test]
async fn eligible_billing_accounts_group_skus_by_product() {
    let app = spawn_now().await;
    let r = app
        .get(&format!(
            "/v1/{NEW}:queryEligibleBillingAccounts?skus={STANDARD}&skus=products/GOOGLE_CLOUD/skus/GCP_BILLING_SUBACCOUNT"
        ))
        .await
        .ok();
    let groups = r["skuPurchaseGroups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[0]["billingAccountPurchaseInfos"][0]["billingAccount"]["name"],
        "accounts/C01234567/billingAccounts/01A2B3-C4D5E6-F7G8H9"
    );
    app.get(&format!("/v1/{NEW}:queryEligibleBillingAccounts"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let bad = app
        .get(&format!(
            "/v1/{NEW}:queryEligibleBillingAccounts?skus={STANDARD}&skus=products/X/skus/Y"
        ))
        .await;
    bad.expect_error(400, "INVALID_ARGUMENT");
    assert_eq!(
        bad.body["error"]["details"][1]["fieldViolations"][0]["field"],
        "skus[1]"
    );
}

// ---------- entitlements ----------

#[tokio::test]
async fn the_order_flow_create_change_seats_suspend_activate_cancel() {
    let app = spawn_now().await;
    let body = json!({"entitlement": {"offer": offer(R1, "WS-STANDARD-ANNUAL"), "parameters": units("num_units", 5),
        "commitmentSettings": {"renewalSettings": {"enableRenewal": true, "paymentPlan": "COMMITMENT",
            "paymentCycle": {"periodType": "YEAR", "duration": 1}}}, "purchaseOrderId": "A codelab test"}});
    // No Cloud Identity yet.
    let early = app
        .post(&format!("/v1/{NEW}/entitlements"), body.clone())
        .await;
    early.expect_error(400, "FAILED_PRECONDITION");
    assert!(
        early.error_message().contains("Cloud Identity"),
        "{}",
        early.body
    );
    provision(&app).await;
    let op = app
        .post(&format!("/v1/{NEW}/entitlements"), body)
        .await
        .ok();
    let e = done_with(&op, "CREATE_ENTITLEMENT");
    let name = name_of(&e);
    assert!(name.starts_with(&format!("{NEW}/entitlements/")));
    assert_eq!(e["provisioningState"], "ACTIVE");
    assert_eq!(e["purchaseOrderId"], "A codelab test");
    assert_eq!(e["provisionedService"]["skuId"], "1010020028");
    assert_eq!(e["provisionedService"]["productId"], "GOOGLE_WORKSPACE");
    assert_eq!(
        e["commitmentSettings"]["renewalSettings"]["enableRenewal"],
        true
    );
    assert!(e["commitmentSettings"]["endTime"].is_string());
    assert_eq!(app.get(&format!("/v1/{name}")).await.ok(), e);
    let list = app.get(&format!("/v1/{NEW}/entitlements")).await.ok();
    assert_eq!(list["entitlements"], json!([e.clone()]));

    // Seats: up is fine; down on a commitment, beyond the bounds, or an unknown parameter is INVALID_ARGUMENT.
    let op = verb(
        &app,
        &name,
        "changeParameters",
        json!({"parameters": units("num_units", 10)}),
    )
    .await
    .ok();
    let changed = done_with(&op, "CHANGE_PARAMETERS");
    assert_eq!(changed["parameters"][0]["value"]["int64Value"], "10");
    for (params, needle) in [
        (units("num_units", 3), "num_units = 3"),
        (units("num_units", 50001), "num_units = 50001"),
        (units("max_units", 3), "max_units"),
        (
            json!([{"name": "num_units", "value": {"stringValue": "ten"}}]),
            "int64",
        ),
    ] {
        let r = verb(
            &app,
            &name,
            "changeParameters",
            json!({"parameters": params}),
        )
        .await;
        r.expect_error(400, "INVALID_ARGUMENT");
        assert!(r.error_message().contains(needle), "{needle}: {}", r.body);
        assert!(
            r.body["error"]["details"][1]["fieldViolations"][0]["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("parameters[0]")),
            "{}",
            r.body
        );
    }
    verb(&app, &name, "changeParameters", json!({}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    // Renewal settings.
    let op = verb(
        &app,
        &name,
        "changeRenewalSettings",
        json!({"renewalSettings": {"enableRenewal": false}}),
    )
    .await
    .ok();
    let r = done_with(&op, "CHANGE_RENEWAL_SETTINGS");
    assert!(
        r["commitmentSettings"]["renewalSettings"]
            .get("enableRenewal")
            .is_none()
    );

    // Suspend, and what a suspended entitlement refuses.
    let op = verb(&app, &name, "suspend", json!({})).await.ok();
    let s = done_with(&op, "SUSPEND_ENTITLEMENT");
    assert_eq!(s["provisioningState"], "SUSPENDED");
    assert_eq!(s["suspensionReasons"], json!(["RESELLER_INITIATED"]));
    let again = verb(&app, &name, "suspend", json!({})).await;
    again.expect_error(400, "FAILED_PRECONDITION");
    assert_eq!(again.error_reason(), "NOT_ACTIVE");
    verb(
        &app,
        &name,
        "changeParameters",
        json!({"parameters": units("num_units", 12)}),
    )
    .await
    .expect_error(400, "FAILED_PRECONDITION");
    let op = verb(&app, &name, "activate", json!({})).await.ok();
    let a = done_with(&op, "ACTIVATE_ENTITLEMENT");
    assert_eq!(a["provisioningState"], "ACTIVE");
    assert!(a.get("suspensionReasons").is_none(), "{a}");
    let again = verb(&app, &name, "activate", json!({})).await;
    again.expect_error(400, "FAILED_PRECONDITION");
    assert_eq!(again.error_reason(), "NOT_SUSPENDED");
    verb(&app, &name, "startPaidService", json!({}))
        .await
        .expect_error(400, "FAILED_PRECONDITION");

    // The offer behind it, and its history.
    let o = app.get(&format!("/v1/{name}:lookupOffer")).await.ok();
    assert_eq!(o["name"], offer(R1, "WS-STANDARD-ANNUAL"));
    let changes = app
        .get(&format!("/v1/{name}:listEntitlementChanges"))
        .await
        .ok();
    let types: Vec<&str> = changes["entitlementChanges"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["changeType"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "CREATED",
            "COMMITMENT_CHANGED",
            "RENEWAL_SETTING_CHANGED",
            "SUSPENDED",
            "ACTIVATED"
        ]
    );
    let suspended = app
        .get(&format!(
            "/v1/{name}:listEntitlementChanges?filter={}",
            urlencode("change_type = SUSPENDED")
        ))
        .await
        .ok();
    assert_eq!(
        suspended["entitlementChanges"][0]["suspensionReason"],
        "RESELLER_INITIATED"
    );
    assert_eq!(
        suspended["entitlementChanges"].as_array().map(Vec::len),
        Some(1)
    );
    let paged = app
        .get(&format!("/v1/{name}:listEntitlementChanges?pageSize=2"))
        .await
        .ok();
    let t = paged["nextPageToken"].as_str().expect("token");
    let rest = app
        .get(&format!(
            "/v1/{name}:listEntitlementChanges?pageSize=2&pageToken={t}"
        ))
        .await
        .ok();
    assert_eq!(
        rest["entitlementChanges"][0]["changeType"],
        "RENEWAL_SETTING_CHANGED"
    );
    app.get(&format!(
        "/v1/{name}:listEntitlementChanges?filter=colour%3Dred"
    ))
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // Change the plan: annual to flexible keeps the SKU; renewal settings then do not apply.
    let op = verb(
        &app,
        &name,
        "changeOffer",
        json!({"offer": offer(R1, "WS-STANDARD-FLEX"), "parameters": units("max_units", 10)}),
    )
    .await
    .ok();
    let f = done_with(&op, "CHANGE_OFFER");
    assert_eq!(f["offer"], offer(R1, "WS-STANDARD-FLEX"));
    assert!(f.get("commitmentSettings").is_none(), "{f}");
    let r = verb(
        &app,
        &name,
        "changeRenewalSettings",
        json!({"renewalSettings": {"enableRenewal": true}}),
    )
    .await;
    r.expect_error(400, "FAILED_PRECONDITION");
    assert_eq!(r.error_reason(), "NOT_COMMITMENT_PLAN");
    verb(
        &app,
        &name,
        "changeOffer",
        json!({"offer": offer(R1, "CI-FREE")}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    verb(
        &app,
        &name,
        "changeOffer",
        json!({"offer": offer(R1, "NOPE")}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    // Upgrade the SKU.
    let op = verb(
        &app,
        &name,
        "changeOffer",
        json!({"offer": offer(R1, "WS-PLUS-FLEX")}),
    )
    .await
    .ok();
    let p = done_with(&op, "CHANGE_OFFER");
    assert_eq!(p["provisionedService"]["skuId"], "1010020025");
    assert_eq!(
        p["parameters"][0]["name"], "max_units",
        "parameters carry over"
    );

    // A customer with entitlements cannot be deleted; cancel, then it can.
    let del = app.delete(&format!("/v1/{NEW}")).await;
    del.expect_error(400, "FAILED_PRECONDITION");
    assert!(del.error_message().contains(&name), "{}", del.body);
    let op = verb(&app, &name, "cancel", json!({})).await.ok();
    assert_eq!(op["metadata"]["operationType"], "CANCEL_ENTITLEMENT");
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.protobuf.Empty"
    );
    app.get(&format!("/v1/{name}"))
        .await
        .expect_error(404, "NOT_FOUND");
    verb(&app, &name, "suspend", json!({}))
        .await
        .expect_error(404, "NOT_FOUND");
    app.delete(&format!("/v1/{NEW}")).await.ok();
}

#[tokio::test]
async fn create_refuses_unknown_offers_repeats_and_bad_parameters() {
    let app = spawn_now().await;
    provision(&app).await;
    let post = |body: Value| {
        let app = &app;
        async move {
            app.post(
                &format!("/v1/{NEW}/entitlements"),
                json!({"entitlement": body}),
            )
            .await
        }
    };
    post(json!({"offer": offer(R1, "NOPE")}))
        .await
        .expect_error(404, "NOT_FOUND");
    post(json!({"offer": offer(R2, "CI-FREE")}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    post(json!({})).await.expect_error(400, "INVALID_ARGUMENT");
    let missing = post(json!({"offer": offer(R1, "WS-STARTER-ANNUAL")})).await;
    missing.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        missing.error_message().contains("num_units"),
        "{}",
        missing.body
    );
    post(json!({"offer": offer(R1, "WS-STARTER-ANNUAL"), "parameters": units("num_units", 0)}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    post(json!({"offer": offer(R1, "WS-STARTER-FLEX"), "purchaseOrderId": "x".repeat(81)}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    post(json!({"offer": offer(R1, "WS-STARTER-FLEX"),
        "commitmentSettings": {"renewalSettings": {"enableRenewal": true}}}))
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    post(json!({"offer": offer(R1, "GCP-POSTPAY"), "billingAccount": "accounts/C07654321/billingAccounts/01Z9Y8-X7W6V5-U4T3S2"}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let gcp = order(
        &app,
        NEW,
        "GCP-POSTPAY",
        json!([{"name": "display_name", "value": {"stringValue": "Example billing"}}]),
    )
    .await;
    assert_eq!(gcp["provisionedService"]["productId"], "GOOGLE_CLOUD");

    order(&app, NEW, "WS-STARTER-FLEX", units("max_units", 5)).await;
    let twice =
        post(json!({"offer": offer(R1, "WS-STARTER-ANNUAL"), "parameters": units("num_units", 5)}))
            .await;
    twice.expect_error(409, "ALREADY_EXISTS");
    let family = post(json!({"offer": offer(R1, "WS-PLUS-FLEX")})).await;
    family.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        family.error_message().contains("same product"),
        "{}",
        family.body
    );
    // Cloud Identity is another product: both may be held.
    order(&app, NEW, "CI-PREMIUM-FLEX", json!([])).await;

    app.post(
        &format!("/v1/{R1}/customers/NOPE/entitlements"),
        json!({"entitlement": {"offer": offer(R1, "CI-FREE")}}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.post(
        "/v1/accounts/C01234567/channelPartnerLinks/L1/customers/X/entitlements",
        json!({}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.get(&format!("/v1/{NEW}/entitlements/has%20space"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.get(&format!("/v1/{NEW}/entitlements/unknown"))
        .await
        .expect_error(404, "NOT_FOUND");

    // A SKU the Cloud Identity already holds elsewhere is transferred, not bought.
    let alto = import(&app, R1, json!({"domain": "altostrat.com"})).await;
    let held = app
        .post(
            &format!("/v1/{}/entitlements", name_of(&alto)),
            json!({"entitlement": {"offer": offer(R1, "WS-STANDARD-FLEX")}}),
        )
        .await;
    held.expect_error(409, "ALREADY_EXISTS");
    assert!(held.error_message().contains("transfer"), "{}", held.body);
    // A TEAM customer cannot buy an offer for DOMAIN customers.
    let team = import(&app, R1, json!({"domain": "cymbalgroup.com"})).await;
    app.post(
        &format!("/v1/{}/entitlements", name_of(&team)),
        json!({"entitlement": {"offer": offer(R1, "WS-PLUS-FLEX")}}),
    )
    .await
    .expect_error(400, "FAILED_PRECONDITION");
}

#[tokio::test]
async fn a_trial_ends_in_paid_service_on_the_flexible_offer() {
    let app = spawn_now().await;
    provision(&app).await;
    app.post(
        &format!("/v1/{NEW}/entitlements"),
        json!({"entitlement": {"offer": offer(R1, "WS-STARTER-TRIAL"), "parameters": units("max_units", 11)}}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    let t = order(&app, NEW, "WS-STARTER-TRIAL", units("max_units", 10)).await;
    assert_eq!(t["trialSettings"]["trial"], true);
    let created = chrono::DateTime::parse_from_rfc3339(t["createTime"].as_str().expect("time"))
        .expect("rfc3339");
    let ends =
        chrono::DateTime::parse_from_rfc3339(t["trialSettings"]["endTime"].as_str().expect("end"))
            .expect("rfc3339");
    assert_eq!((ends - created).num_days(), 14);
    let name = name_of(&t);
    let op = verb(&app, &name, "startPaidService", json!({})).await.ok();
    let paid = done_with(&op, "START_PAID_SERVICE");
    assert_eq!(paid["offer"], offer(R1, "WS-STARTER-FLEX"));
    assert!(paid["trialSettings"].get("trial").is_none(), "{paid}");
    let again = verb(&app, &name, "startPaidService", json!({})).await;
    again.expect_error(400, "FAILED_PRECONDITION");
    assert_eq!(again.error_reason(), "NOT_IN_TRIAL");
}

#[tokio::test]
async fn order_operations_follow_their_policies_and_roll_back_when_they_fail() {
    let app = spawn_now().await;
    provision(&app).await;
    app.call(
        "PUT",
        "/_mock/operations/policy",
        Some(json!({"kind": "channel.createEntitlement", "policy": "manual"})),
        None,
    )
    .await
    .ok();
    let body = json!({"entitlement": {"offer": offer(R1, "WS-STARTER-FLEX")}});
    let op = app
        .post(&format!("/v1/{NEW}/entitlements"), body.clone())
        .await
        .ok();
    assert_eq!(op["done"], false);
    assert!(op.get("response").is_none());
    let listed = app.get(&format!("/v1/{NEW}/entitlements")).await.ok();
    assert!(
        listed.get("entitlements").is_none(),
        "not visible while created: {listed}"
    );
    // The SKU is reserved meanwhile.
    app.post(&format!("/v1/{NEW}/entitlements"), body.clone())
        .await
        .expect_error(409, "ALREADY_EXISTS");
    let pending = app
        .get("/_mock/operations?kind=channel.createEntitlement&done=false")
        .await
        .ok();
    assert_eq!(pending["operations"].as_array().map(Vec::len), Some(1));
    let op_name = name_of(&op);
    app.post(
        &format!("/_mock/operations/{op_name}:fail"),
        json!({"code": "RESOURCE_EXHAUSTED", "message": "no seats left"}),
    )
    .await
    .ok();
    let failed = app.get(&format!("/v1/{op_name}")).await.ok();
    assert_eq!(failed["error"]["code"], 8);
    assert_eq!(failed["error"]["message"], "no seats left");
    // Rolled back: the SKU is free again.
    let op = app
        .post(&format!("/v1/{NEW}/entitlements"), body)
        .await
        .ok();
    let op_name = name_of(&op);
    app.post(&format!("/_mock/operations/{op_name}:complete"), json!({}))
        .await
        .ok();
    let done = app.get(&format!("/v1/{op_name}")).await.ok();
    let e = done_with(&done, "CREATE_ENTITLEMENT");
    let name = name_of(&e);
    assert_eq!(app.get(&format!("/v1/{name}")).await.ok(), e);

    // A change in flight blocks the next; cancelling the operation leaves the entitlement as it was.
    app.call(
        "PUT",
        "/_mock/operations/policy",
        Some(json!({"kind": "channel.suspendEntitlement", "policy": "manual"})),
        None,
    )
    .await
    .ok();
    let op = verb(&app, &name, "suspend", json!({})).await.ok();
    assert_eq!(op["done"], false);
    let busy = verb(
        &app,
        &name,
        "changeParameters",
        json!({"parameters": units("max_units", 3)}),
    )
    .await;
    busy.expect_error(400, "FAILED_PRECONDITION");
    assert!(
        busy.error_message().contains(&name_of(&op)),
        "{}",
        busy.body
    );
    app.post(&format!("/v1/{}:cancel", name_of(&op)), json!({}))
        .await
        .ok();
    let still = app.get(&format!("/v1/{name}")).await.ok();
    assert_eq!(still["provisioningState"], "ACTIVE");
    verb(
        &app,
        &name,
        "changeParameters",
        json!({"parameters": units("max_units", 3)}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn a_repeated_request_id_answers_the_first_operation_again() {
    let app = spawn_now().await;
    provision(&app).await;
    let id = "6b0c2f1e-8d3a-4c57-9a1b-2f4e5d6c7b8a";
    let body = json!({"entitlement": {"offer": offer(R1, "CI-FREE")}, "requestId": id});
    let first = app
        .post(&format!("/v1/{NEW}/entitlements"), body.clone())
        .await
        .ok();
    let again = app
        .post(&format!("/v1/{NEW}/entitlements"), body)
        .await
        .ok();
    assert_eq!(first, again);
    let list = app.get(&format!("/v1/{NEW}/entitlements")).await.ok();
    assert_eq!(list["entitlements"].as_array().map(Vec::len), Some(1));
    let name = name_of(&first["response"]);
    // The same id on another method is another request.
    let s = verb(&app, &name, "suspend", json!({"requestId": id}))
        .await
        .ok();
    assert_eq!(s["metadata"]["operationType"], "SUSPEND_ENTITLEMENT");
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let r = verb(&app, &name, "activate", json!({"requestId": bad})).await;
        r.expect_error(400, "INVALID_ARGUMENT");
        assert!(r.error_message().contains("UUID"), "{}", r.body);
    }
}

// ---------- transfers ----------

#[tokio::test]
async fn import_then_transfer_what_the_cloud_identity_holds_and_back_to_google() {
    let app = spawn_now().await;
    let alto = import(&app, R1, json!({"domain": "altostrat.com"})).await;
    let alto = name_of(&alto);
    let by_name = app
        .post(
            &format!("/v1/{R1}:listTransferableSkus"),
            json!({"customerName": alto}),
        )
        .await
        .ok();
    let skus = by_name["transferableSkus"].as_array().expect("skus");
    assert_eq!(skus.len(), 1);
    assert_eq!(skus[0]["sku"]["name"], STANDARD);
    assert_eq!(
        skus[0]["sku"]["product"]["name"],
        "products/GOOGLE_WORKSPACE"
    );
    assert_eq!(skus[0]["transferEligibility"]["isEligible"], true);
    let by_id = app
        .post(
            &format!("/v1/{R1}:listTransferableSkus"),
            json!({"cloudIdentityId": "C00000000"}),
        )
        .await
        .ok();
    assert_eq!(by_id, by_name);
    app.post(&format!("/v1/{R1}:listTransferableSkus"), json!({}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.post(
        &format!("/v1/{R1}:listTransferableSkus"),
        json!({"cloudIdentityId": "C0NOBODY0"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.post(
        &format!("/v1/{R1}:listTransferableSkus"),
        json!({"customerName": format!("{R2}/customers/x")}),
    )
    .await
    .expect_error(403, "PERMISSION_DENIED");
    // A token-protected identity needs its token.
    for body in [
        json!({"cloudIdentityId": "C0EXAMPL1"}),
        json!({"cloudIdentityId": "C0EXAMPL1", "authToken": "wrong"}),
    ] {
        app.post(&format!("/v1/{R1}:listTransferableSkus"), body)
            .await
            .expect_error(403, "PERMISSION_DENIED");
    }
    let example = app
        .post(
            &format!("/v1/{R1}:listTransferableSkus"),
            json!({"cloudIdentityId": "C0EXAMPL1", "authToken": "example-auth-token"}),
        )
        .await
        .ok();
    let ex = example["transferableSkus"].as_array().expect("skus");
    assert_eq!(ex.len(), 2);
    let suspended = ex
        .iter()
        .find(|s| s["sku"]["name"] == "products/CLOUD_IDENTITY/skus/1010050001")
        .expect("the suspended SKU is listed");
    assert!(suspended["transferEligibility"].get("isEligible").is_none());
    assert_eq!(
        suspended["transferEligibility"]["ineligibilityReason"],
        "SKU_SUSPENDED"
    );

    let offers = app
        .post(
            &format!("/v1/{R1}:listTransferableOffers"),
            json!({"customerName": alto, "sku": STANDARD}),
        )
        .await
        .ok();
    let names: Vec<&str> = offers["transferableOffers"]
        .as_array()
        .expect("offers")
        .iter()
        .filter_map(|o| o["offer"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "accounts/C01234567/offers/WS-STANDARD-ANNUAL",
            "accounts/C01234567/offers/WS-STANDARD-FLEX"
        ]
    );
    app.post(
        &format!("/v1/{R1}:listTransferableOffers"),
        json!({"customerName": alto}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");

    // Transfer: not held, wrong offer, then the right one.
    app.post(
        &format!("/v1/{alto}:transferEntitlements"),
        json!({"entitlements": [{"offer": offer(R1, "WS-STARTER-FLEX")}]}),
    )
    .await
    .expect_error(400, "FAILED_PRECONDITION");
    app.post(
        &format!("/v1/{alto}:transferEntitlements"),
        json!({"entitlements": [{"offer": offer(R1, "NOPE")}]}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.post(&format!("/v1/{alto}:transferEntitlements"), json!({}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let op = app
        .post(
            &format!("/v1/{alto}:transferEntitlements"),
            json!({"entitlements": [{"offer": offer(R1, "WS-STANDARD-FLEX"), "parameters": units("max_units", 20)}]}),
        )
        .await
        .ok();
    let resp = done_with(&op, "TRANSFER_ENTITLEMENTS");
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.cloud.channel.v1.TransferEntitlementsResponse"
    );
    let moved = resp["entitlements"][0].clone();
    assert_eq!(moved["provisionedService"]["skuId"], "1010020028");
    let name = name_of(&moved);
    assert_eq!(app.get(&format!("/v1/{name}")).await.ok(), moved);
    // Nothing left to transfer; a second transfer is ALREADY_EXISTS.
    let left = app
        .post(
            &format!("/v1/{R1}:listTransferableSkus"),
            json!({"customerName": alto}),
        )
        .await
        .ok();
    assert!(left.get("transferableSkus").is_none(), "{left}");
    app.post(
        &format!("/v1/{alto}:transferEntitlements"),
        json!({"entitlements": [{"offer": offer(R1, "WS-STANDARD-ANNUAL"), "parameters": units("num_units", 20)}]}),
    )
    .await
    .expect_error(409, "ALREADY_EXISTS");

    // Back to Google: the entitlement goes, the Cloud Identity holds the SKU again.
    app.post(
        &format!("/v1/{alto}:transferEntitlementsToGoogle"),
        json!({"entitlements": [{"name": format!("{alto}/entitlements/nope")}]}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let op = app
        .post(
            &format!("/v1/{alto}:transferEntitlementsToGoogle"),
            json!({"entitlements": [{"name": name}]}),
        )
        .await
        .ok();
    assert_eq!(
        op["metadata"]["operationType"],
        "TRANSFER_ENTITLEMENTS_TO_GOOGLE"
    );
    assert_eq!(
        op["response"]["@type"],
        "type.googleapis.com/google.protobuf.Empty"
    );
    app.get(&format!("/v1/{name}"))
        .await
        .expect_error(404, "NOT_FOUND");
    let back = app
        .post(
            &format!("/v1/{R1}:listTransferableSkus"),
            json!({"customerName": alto}),
        )
        .await
        .ok();
    assert_eq!(back["transferableSkus"][0]["sku"]["name"], STANDARD);
    let state = app.get("/_mock/state").await.ok();
    let ci = state["google"]["cloud_identities"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == "C00000000"))
        .expect("identity");
    assert_eq!(ci["held_skus"], json!([{"sku": STANDARD, "units": 20}]));
}

#[tokio::test]
async fn another_reseller_takes_an_entitlement_over() {
    let app = spawn_now().await;
    let one = name_of(&import(&app, R1, json!({"domain": "altostrat.com"})).await);
    let op = app
        .post(
            &format!("/v1/{one}:transferEntitlements"),
            json!({"entitlements": [{"offer": offer(R1, "WS-STANDARD-ANNUAL"), "parameters": units("num_units", 20)}]}),
        )
        .await
        .ok();
    let first = name_of(&done_with(&op, "TRANSFER_ENTITLEMENTS")["entitlements"][0]);
    let two = name_of(&import(&app, R2, json!({"domain": "altostrat.com"})).await);
    let skus = app
        .post(
            &format!("/v1/{R2}:listTransferableSkus"),
            json!({"customerName": two}),
        )
        .await
        .ok();
    assert_eq!(skus["transferableSkus"][0]["sku"]["name"], STANDARD);
    let op = app
        .post(
            &format!("/v1/{two}:transferEntitlements"),
            json!({"entitlements": [{"offer": offer(R2, "WS-STANDARD-FLEX")}]}),
        )
        .await
        .ok();
    let second = done_with(&op, "TRANSFER_ENTITLEMENTS");
    assert!(name_of(&second["entitlements"][0]).starts_with(&two));
    app.get(&format!("/v1/{first}"))
        .await
        .expect_error(404, "NOT_FOUND");
    // Reseller One may now delete its customer.
    app.delete(&format!("/v1/{one}")).await.ok();
}

// ---------- channel partner links ----------

#[tokio::test]
async fn channel_partner_links_list_get_create_patch_and_their_customers() {
    let app = spawn_now().await;
    let list = app.get(&format!("/v1/{R1}/channelPartnerLinks")).await.ok();
    let links = list["channelPartnerLinks"].as_array().expect("links");
    assert_eq!(links.len(), 1);
    assert_eq!(
        links[0]["name"],
        "accounts/C01234567/channelPartnerLinks/L1"
    );
    assert_eq!(links[0]["linkState"], "ACTIVE");
    assert!(
        links[0]["inviteLinkUri"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    let created = app
        .post(
            &format!("/v1/{R1}/channelPartnerLinks"),
            json!({"resellerCloudIdentityId": "C0EXAMPL1", "linkState": "INVITED"}),
        )
        .await
        .ok();
    assert_eq!(created["linkState"], "INVITED");
    assert!(created.get("channelPartnerCloudIdentityInfo").is_none());
    let name = name_of(&created);
    assert_eq!(app.get(&format!("/v1/{name}")).await.ok(), created);
    let full = app.get(&format!("/v1/{name}?view=FULL")).await.ok();
    assert_eq!(
        full["channelPartnerCloudIdentityInfo"]["primaryDomain"],
        "example.com"
    );
    app.post(
        &format!("/v1/{R1}/channelPartnerLinks"),
        json!({"resellerCloudIdentityId": "C0EXAMPL1", "linkState": "INVITED"}),
    )
    .await
    .expect_error(409, "ALREADY_EXISTS");
    app.post(
        &format!("/v1/{R1}/channelPartnerLinks"),
        json!({"resellerCloudIdentityId": "C0NOBODY0", "linkState": "INVITED"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.post(&format!("/v1/{R1}/channelPartnerLinks"), json!({}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    app.post(
        &format!("/v1/{R1}/channelPartnerLinks"),
        json!({"resellerCloudIdentityId": "C0TEAM001", "linkState": "ACTIVE"}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    let page = app
        .get(&format!("/v1/{R1}/channelPartnerLinks?pageSize=1"))
        .await
        .ok();
    let t = page["nextPageToken"].as_str().expect("token");
    let next = app
        .get(&format!(
            "/v1/{R1}/channelPartnerLinks?pageSize=1&pageToken={t}"
        ))
        .await
        .ok();
    assert_eq!(
        next["channelPartnerLinks"].as_array().map(Vec::len),
        Some(1)
    );

    // Patch: only link_state, and an invitation cannot become active by the distributor's hand.
    let patch = |state: &str, mask: &str| json!({"channelPartnerLink": {"linkState": state}, "updateMask": mask});
    app.patch(
        &format!("/v1/{name}"),
        patch("ACTIVE", "channel_partner_link.link_state"),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    app.patch(
        &format!("/v1/{name}"),
        patch("REVOKED", "channel_partner_link.invite_link_uri"),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    app.patch(
        &format!("/v1/{name}"),
        json!({"channelPartnerLink": {"linkState": "REVOKED"}}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
    let revoked = app
        .patch(
            &format!("/v1/{name}"),
            patch("REVOKED", "channel_partner_link.link_state"),
        )
        .await
        .ok();
    assert_eq!(revoked["linkState"], "REVOKED");
    let l1 = "accounts/C01234567/channelPartnerLinks/L1";
    let s = app
        .patch(&format!("/v1/{l1}"), patch("SUSPENDED", "link_state"))
        .await
        .ok();
    assert_eq!(s["linkState"], "SUSPENDED");
    app.get(&format!("/v1/{R1}/channelPartnerLinks/NOPE"))
        .await
        .expect_error(404, "NOT_FOUND");

    // Customers under a link.
    let c = app
        .post(
            &format!("/v1/{l1}/customers"),
            crate::helpers::customer_body("linked.example"),
        )
        .await
        .ok();
    assert!(name_of(&c).starts_with(&format!("{l1}/customers/")));
    let under = app.get(&format!("/v1/{l1}/customers")).await.ok();
    assert_eq!(under["customers"][0]["domain"], "linked.example");
    let direct = app.get(&format!("/v1/{R1}/customers")).await.ok();
    assert!(!direct.to_string().contains("linked.example"));
    app.get(&format!("/v1/{}", name_of(&c))).await.ok();
}

// ---------- strict auth ----------

#[tokio::test]
async fn strict_auth_keeps_entitlements_and_catalog_to_their_reseller() {
    let app = spawn_strict_now().await;
    let one = Some("reseller-one-token");
    let two = Some("reseller-two-token");
    let op = app
        .call(
            "POST",
            &format!("/v1/{NEW}:provisionCloudIdentity"),
            Some(json!({"user": {"email": "admin@example.org"}})),
            one,
        )
        .await
        .ok();
    assert_eq!(op["done"], true);
    let op = app
        .call(
            "POST",
            &format!("/v1/{NEW}/entitlements"),
            Some(json!({"entitlement": {"offer": offer(R1, "CI-FREE")}})),
            one,
        )
        .await
        .ok();
    let name = name_of(&op["response"]);
    app.call("GET", &format!("/v1/{name}"), None, one)
        .await
        .ok();
    app.call("GET", &format!("/v1/{name}"), None, None)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    for (method, path, body) in [
        ("GET", format!("/v1/{name}"), None),
        ("GET", format!("/v1/{NEW}/entitlements"), None),
        ("POST", format!("/v1/{name}:suspend"), Some(json!({}))),
        ("GET", format!("/v1/{name}:lookupOffer"), None),
        ("GET", format!("/v1/{R1}/offers"), None),
        (
            "GET",
            "/v1/products?account=accounts/C01234567".into(),
            None,
        ),
        (
            "POST",
            format!("/v1/{R1}:listTransferableSkus"),
            Some(json!({"cloudIdentityId": "C00000000"})),
        ),
        ("GET", format!("/v1/{R1}/channelPartnerLinks"), None),
        (
            "POST",
            format!("/v1/{NEW}:transferEntitlements"),
            Some(json!({"entitlements": [{"offer": offer(R1, "CI-FREE")}]})),
        ),
    ] {
        let r = app.call(method, &path, body, two).await;
        r.expect_error(403, "PERMISSION_DENIED");
    }
    // Reseller Two sees none of Reseller One's order operations.
    let op_name = name_of(&op);
    app.call("GET", &format!("/v1/{op_name}"), None, two)
        .await
        .expect_error(404, "NOT_FOUND");
    app.call("GET", &format!("/v1/{op_name}"), None, one)
        .await
        .ok();
    app.call("GET", &format!("/v1/{R2}/offers"), None, two)
        .await
        .ok();
}

// ---------- gRPC ----------

async fn grpc(app: &TestApp) -> CloudChannelServiceClient<Channel> {
    let ch = Channel::from_shared(app.server.uri())
        .expect("uri")
        .connect()
        .await
        .expect("h2c connects");
    CloudChannelServiceClient::new(ch)
}

fn http_of(code: tonic::Code) -> u16 {
    provmock::internals::Code::from_i32(code as i32)
        .map(|c| c.http_status().as_u16())
        .unwrap_or(0)
}

fn unpack<M: prost::Message + Default>(op: &provmock::proto::google::longrunning::Operation) -> M {
    match &op.result {
        Some(provmock::proto::google::longrunning::operation::Result::Response(any)) => {
            M::decode(any.value.as_ref()).expect("response decodes")
        }
        other => panic!("operation {} not answered: {other:?}", op.name),
    }
}

#[tokio::test]
async fn grpc_and_rest_agree_on_the_order_flow_and_its_errors() {
    let app = spawn_now().await;
    let mut ch = grpc(&app).await;
    provision(&app).await;
    // Listings agree.
    let offers = ch
        .list_offers(pb::ListOffersRequest {
            parent: R1.into(),
            ..Default::default()
        })
        .await
        .expect("offers")
        .into_inner();
    assert_eq!(
        proto_json(&offers),
        app.get(&format!("/v1/{R1}/offers")).await.ok()
    );
    let products = ch
        .list_products(pb::ListProductsRequest {
            account: R1.into(),
            ..Default::default()
        })
        .await
        .expect("products")
        .into_inner();
    assert_eq!(
        proto_json(&products),
        app.get(&format!("/v1/products?account={R1}")).await.ok()
    );
    let skus = ch
        .list_skus(pb::ListSkusRequest {
            parent: "products/-".into(),
            account: R1.into(),
            ..Default::default()
        })
        .await
        .expect("skus")
        .into_inner();
    assert_eq!(
        proto_json(&skus),
        app.get(&format!("/v1/products/-/skus?account={R1}"))
            .await
            .ok()
    );
    use pb::list_purchasable_offers_request::{CreateEntitlementPurchase, PurchaseOption};
    let purchasable = ch
        .list_purchasable_offers(pb::ListPurchasableOffersRequest {
            customer: NEW.into(),
            purchase_option: Some(PurchaseOption::CreateEntitlementPurchase(
                CreateEntitlementPurchase {
                    sku: STANDARD.into(),
                    billing_account: String::new(),
                },
            )),
            ..Default::default()
        })
        .await
        .expect("purchasable")
        .into_inner();
    assert_eq!(
        proto_json(&purchasable),
        app.get(&format!(
            "/v1/{NEW}:listPurchasableOffers?createEntitlementPurchase.sku={STANDARD}"
        ))
        .await
        .ok()
    );

    // The flow over gRPC; each step read back over REST.
    let op = ch
        .create_entitlement(pb::CreateEntitlementRequest {
            parent: NEW.into(),
            entitlement: Some(pb::Entitlement {
                offer: offer(R1, "WS-STANDARD-ANNUAL"),
                parameters: serde_json::from_value(units("num_units", 5)).expect("params"),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("create")
        .into_inner();
    assert!(op.done);
    let meta =
        pb::OperationMetadata::decode(op.metadata.as_ref().expect("metadata").value.as_ref())
            .expect("metadata decodes");
    assert_eq!(
        meta.operation_type,
        pb::operation_metadata::OperationType::CreateEntitlement as i32
    );
    let e: pb::Entitlement = unpack(&op);
    assert_eq!(
        proto_json(&e),
        app.get(&format!("/v1/{}", e.name)).await.ok()
    );
    let got = ch
        .get_entitlement(pb::GetEntitlementRequest {
            name: e.name.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(got, e);
    let op = ch
        .change_parameters(pb::ChangeParametersRequest {
            name: e.name.clone(),
            parameters: serde_json::from_value(units("num_units", 8)).expect("params"),
            ..Default::default()
        })
        .await
        .expect("seats")
        .into_inner();
    let seats: pb::Entitlement = unpack(&op);
    assert_eq!(
        provmock::internals::int_parameter(&seats.parameters, "num_units"),
        Some(8)
    );
    let op = ch
        .suspend_entitlement(pb::SuspendEntitlementRequest {
            name: e.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("suspend")
        .into_inner();
    let s: pb::Entitlement = unpack(&op);
    assert_eq!(
        s.provisioning_state,
        pb::entitlement::ProvisioningState::Suspended as i32
    );
    let op = ch
        .activate_entitlement(pb::ActivateEntitlementRequest {
            name: e.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("activate")
        .into_inner();
    let a: pb::Entitlement = unpack(&op);
    assert_eq!(
        proto_json(&a),
        app.get(&format!("/v1/{}", e.name)).await.ok()
    );
    let changes = ch
        .list_entitlement_changes(pb::ListEntitlementChangesRequest {
            parent: e.name.clone(),
            ..Default::default()
        })
        .await
        .expect("changes")
        .into_inner();
    assert_eq!(
        proto_json(&changes),
        app.get(&format!("/v1/{}:listEntitlementChanges", e.name))
            .await
            .ok()
    );
    let looked = ch
        .lookup_offer(pb::LookupOfferRequest {
            entitlement: e.name.clone(),
        })
        .await
        .expect("lookup")
        .into_inner();
    assert_eq!(looked.name, offer(R1, "WS-STANDARD-ANNUAL"));
    let list = ch
        .list_entitlements(pb::ListEntitlementsRequest {
            parent: NEW.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(
        proto_json(&list),
        app.get(&format!("/v1/{NEW}/entitlements")).await.ok()
    );

    // Errors: the same code over both transports.
    let cases: Vec<(tonic::Status, crate::helpers::Reply)> = vec![
        (
            ch.create_entitlement(pb::CreateEntitlementRequest {
                parent: NEW.into(),
                entitlement: Some(pb::Entitlement {
                    offer: offer(R1, "NOPE"),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect_err("unknown offer"),
            app.post(
                &format!("/v1/{NEW}/entitlements"),
                json!({"entitlement": {"offer": offer(R1, "NOPE")}}),
            )
            .await,
        ),
        (
            ch.activate_entitlement(pb::ActivateEntitlementRequest {
                name: e.name.clone(),
                request_id: String::new(),
            })
            .await
            .expect_err("not suspended"),
            verb(&app, &e.name, "activate", json!({})).await,
        ),
        (
            ch.change_parameters(pb::ChangeParametersRequest {
                name: e.name.clone(),
                parameters: serde_json::from_value(units("num_units", 2)).expect("params"),
                ..Default::default()
            })
            .await
            .expect_err("fewer committed seats"),
            verb(
                &app,
                &e.name,
                "changeParameters",
                json!({"parameters": units("num_units", 2)}),
            )
            .await,
        ),
        (
            ch.get_entitlement(pb::GetEntitlementRequest {
                name: format!("{NEW}/entitlements/none"),
            })
            .await
            .expect_err("missing"),
            app.get(&format!("/v1/{NEW}/entitlements/none")).await,
        ),
    ];
    for (status, reply) in cases {
        assert_eq!(
            http_of(status.code()),
            reply.status,
            "{status:?} vs {}",
            reply.body
        );
        assert_eq!(status.message(), reply.error_message());
    }

    // Transfers and partner links over gRPC.
    let alto = name_of(&import(&app, R1, json!({"domain": "altostrat.com"})).await);
    use pb::list_transferable_skus_request::TransferredCustomerIdentity;
    let t = ch
        .list_transferable_skus(pb::ListTransferableSkusRequest {
            parent: R1.into(),
            transferred_customer_identity: Some(TransferredCustomerIdentity::CustomerName(
                alto.clone(),
            )),
            ..Default::default()
        })
        .await
        .expect("transferable")
        .into_inner();
    assert_eq!(
        proto_json(&t),
        app.post(
            &format!("/v1/{R1}:listTransferableSkus"),
            json!({"customerName": alto})
        )
        .await
        .ok()
    );
    let offers = ch
        .list_transferable_offers(pb::ListTransferableOffersRequest {
            parent: R1.into(),
            transferred_customer_identity: Some(
                pb::list_transferable_offers_request::TransferredCustomerIdentity::CustomerName(
                    alto.clone(),
                ),
            ),
            sku: STANDARD.into(),
            ..Default::default()
        })
        .await
        .expect("offers")
        .into_inner();
    let chosen = offers.transferable_offers[0]
        .offer
        .clone()
        .expect("an offer");
    let op = ch
        .transfer_entitlements(pb::TransferEntitlementsRequest {
            parent: alto.clone(),
            entitlements: vec![pb::Entitlement {
                offer: chosen.name.clone(),
                parameters: serde_json::from_value(units("num_units", 20)).expect("params"),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("transfer")
        .into_inner();
    let moved: pb::TransferEntitlementsResponse = unpack(&op);
    assert_eq!(moved.entitlements.len(), 1);
    let op = ch
        .transfer_entitlements_to_google(pb::TransferEntitlementsToGoogleRequest {
            parent: alto.clone(),
            entitlements: vec![pb::Entitlement {
                name: moved.entitlements[0].name.clone(),
                ..Default::default()
            }],
            request_id: String::new(),
        })
        .await
        .expect("to google")
        .into_inner();
    assert!(op.done);
    let links = ch
        .list_channel_partner_links(pb::ListChannelPartnerLinksRequest {
            parent: R1.into(),
            ..Default::default()
        })
        .await
        .expect("links")
        .into_inner();
    assert_eq!(
        proto_json(&links),
        app.get(&format!("/v1/{R1}/channelPartnerLinks")).await.ok()
    );
    let created = ch
        .create_channel_partner_link(pb::CreateChannelPartnerLinkRequest {
            parent: R1.into(),
            channel_partner_link: Some(pb::ChannelPartnerLink {
                reseller_cloud_identity_id: "C0EXAMPL1".into(),
                link_state: pb::ChannelPartnerLinkState::Invited as i32,
                ..Default::default()
            }),
        })
        .await
        .expect("create link")
        .into_inner();
    let got = ch
        .get_channel_partner_link(pb::GetChannelPartnerLinkRequest {
            name: created.name.clone(),
            view: 0,
        })
        .await
        .expect("get link")
        .into_inner();
    assert_eq!(got, created);
    let revoked = ch
        .update_channel_partner_link(pb::UpdateChannelPartnerLinkRequest {
            name: created.name.clone(),
            channel_partner_link: Some(pb::ChannelPartnerLink {
                link_state: pb::ChannelPartnerLinkState::Revoked as i32,
                ..Default::default()
            }),
            update_mask: Some(pbjson_types::FieldMask {
                paths: vec!["channel_partner_link.link_state".into()],
            }),
        })
        .await
        .expect("revoke")
        .into_inner();
    assert_eq!(
        revoked.link_state,
        pb::ChannelPartnerLinkState::Revoked as i32
    );
    let billing = ch
        .query_eligible_billing_accounts(pb::QueryEligibleBillingAccountsRequest {
            customer: NEW.into(),
            skus: vec![STANDARD.into()],
        })
        .await
        .expect("billing")
        .into_inner();
    assert_eq!(billing.sku_purchase_groups.len(), 1);
    let op = ch
        .cancel_entitlement(pb::CancelEntitlementRequest {
            name: e.name.clone(),
            request_id: String::new(),
        })
        .await
        .expect("cancel")
        .into_inner();
    assert!(op.done);
    app.delete(&format!("/v1/{NEW}")).await.ok();
}

#[tokio::test]
async fn fault_rules_and_the_journal_name_order_rpcs_on_both_transports() {
    let app = spawn_now().await;
    provision(&app).await;
    app.post(
        "/_mock/faults",
        json!({"match": {"method": "channel.CreateEntitlement"}, "error": {"code": "UNAVAILABLE"}, "times": 2}),
    )
    .await
    .ok();
    let body = json!({"entitlement": {"offer": offer(R1, "CI-FREE")}});
    app.post(&format!("/v1/{NEW}/entitlements"), body.clone())
        .await
        .expect_error(503, "UNAVAILABLE");
    let mut ch = grpc(&app).await;
    let err = ch
        .create_entitlement(pb::CreateEntitlementRequest {
            parent: NEW.into(),
            entitlement: Some(pb::Entitlement {
                offer: offer(R1, "CI-FREE"),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("faulted");
    assert_eq!(err.code(), tonic::Code::Unavailable);
    let e = order(&app, NEW, "CI-FREE", json!([])).await;
    // REST requests are classified to the RPC names too, custom verbs and plain routes alike.
    let cases: Vec<(&str, &str, String, Option<Value>)> = vec![
        (
            "ChangeParameters",
            "POST",
            format!("/v1/{}:changeParameters", name_of(&e)),
            Some(json!({"parameters": units("max_units", 9)})),
        ),
        (
            "SuspendEntitlement",
            "POST",
            format!("/v1/{}:suspend", name_of(&e)),
            Some(json!({})),
        ),
        (
            "CancelEntitlement",
            "POST",
            format!("/v1/{}:cancel", name_of(&e)),
            Some(json!({})),
        ),
        (
            "GetEntitlement",
            "GET",
            format!("/v1/{}", name_of(&e)),
            None,
        ),
        (
            "ListEntitlements",
            "GET",
            format!("/v1/{NEW}/entitlements"),
            None,
        ),
        ("ListOffers", "GET", format!("/v1/{R1}/offers"), None),
        (
            "ListProducts",
            "GET",
            "/v1/products?account=accounts/C01234567".to_string(),
            None,
        ),
        (
            "ListSkus",
            "GET",
            "/v1/products/-/skus?account=accounts/C01234567".to_string(),
            None,
        ),
        (
            "ListTransferableSkus",
            "POST",
            format!("/v1/{R1}:listTransferableSkus"),
            Some(json!({"cloudIdentityId": "C00000000"})),
        ),
        (
            "ListChannelPartnerLinks",
            "GET",
            format!("/v1/{R1}/channelPartnerLinks"),
            None,
        ),
        (
            "UpdateChannelPartnerLink",
            "PATCH",
            format!("/v1/{R1}/channelPartnerLinks/L1"),
            Some(json!({})),
        ),
    ];
    for (rpc, method, path, body) in cases {
        app.post(
            "/_mock/faults",
            json!({"match": {"method": rpc}, "error": {"code": "ABORTED"}, "times": 1}),
        )
        .await
        .ok();
        let r = app.call(method, &path, body, None).await;
        assert_eq!(r.status, 409, "{rpc}: {}", r.body);
        assert_eq!(r.error_status(), "ABORTED", "{rpc}: {}", r.body);
    }
    let count = app
        .get("/_mock/journal:count?method=CreateEntitlement")
        .await
        .ok();
    assert_eq!(
        count["count"], 1,
        "the gRPC call is journaled by its RPC: {count}"
    );
}

// ---------- the state document ----------

#[tokio::test]
async fn entitlements_round_trip_through_the_state_document_and_are_validated() {
    let app = spawn_now().await;
    provision(&app).await;
    let e = order(&app, NEW, "WS-STARTER-FLEX", units("max_units", 4)).await;
    verb(&app, &name_of(&e), "suspend", json!({})).await.ok();
    let first = app.get("/_mock/state").await.ok();
    assert_eq!(
        first["google"]["entitlements"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(
        first["google"].get("catalog").is_none(),
        "the default catalog is not repeated in exports"
    );
    app.call("PUT", "/_mock/state", Some(first.clone()), None)
        .await
        .ok();
    let second = app.get("/_mock/state").await.ok();
    assert_eq!(first, second, "export → import → export is the identity");

    let mut dangling = first.clone();
    dangling["google"]["entitlements"][0]["entitlement"]["name"] =
        json!("accounts/C01234567/customers/GONE/entitlements/x");
    let r = app.call("PUT", "/_mock/state", Some(dangling), None).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        r.error_message()
            .contains("google.entitlements[0].entitlement.name"),
        "{}",
        r.body
    );
    assert!(r.error_message().contains("GONE"), "{}", r.body);
    let mut too_many = first.clone();
    too_many["google"]["entitlements"][0]["entitlement"]["parameters"] =
        units("max_units", 999_999);
    let r = app.call("PUT", "/_mock/state", Some(too_many), None).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(r.error_message().contains("parameters[0]"), "{}", r.body);
    let mut unknown_offer = first.clone();
    unknown_offer["google"]["entitlements"][0]["entitlement"]["offer"] =
        json!("accounts/C01234567/offers/NOPE");
    app.call("PUT", "/_mock/state", Some(unknown_offer), None)
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    // A custom catalog replaces the default one.
    let mut custom = first.clone();
    custom["google"]["entitlements"] = json!([]);
    for ci in custom["google"]["cloud_identities"]
        .as_array_mut()
        .expect("identities")
    {
        ci.as_object_mut().map(|o| o.remove("held_skus"));
    }
    custom["google"]["catalog"] = json!({
        "products": [{"name": "products/P", "marketingInfo": {"displayName": "P"}}],
        "skus": [{"name": "products/P/skus/S", "marketingInfo": {"displayName": "S"}}],
        "offers": [{"name": "O", "sku": {"name": "products/P/skus/S"}, "plan": {"paymentPlan": "FREE"}}]
    });
    app.call("PUT", "/_mock/state", Some(custom), None)
        .await
        .ok();
    let offers = app.get(&format!("/v1/{R1}/offers")).await.ok();
    assert_eq!(offers["offers"][0]["name"], "accounts/C01234567/offers/O");
    assert_eq!(offers["offers"][0]["sku"]["product"]["name"], "products/P");
    assert_eq!(offers["offers"].as_array().map(Vec::len), Some(1));
    // The state as before is unchanged by the rejected documents (still exportable after a reset).
    app.post("/_mock/reset", json!({})).await.ok();
    let reset = app.get("/_mock/state").await.ok();
    assert!(reset["google"].get("entitlements").is_none());
}

#[tokio::test]
async fn entitlements_and_pending_orders_survive_a_restart_with_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("provmock-orders-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = || Config {
        no_tls: true,
        data_dir: Some(dir.clone()),
        lro_delay: Duration::ZERO,
        seed: Some(3),
        ..Config::default()
    };
    let app = spawn_with(config()).await;
    provision(&app).await;
    let e = order(&app, NEW, "WS-STARTER-ANNUAL", units("num_units", 7)).await;
    let name = name_of(&e);
    verb(
        &app,
        &name,
        "changeParameters",
        json!({"parameters": units("num_units", 9)}),
    )
    .await
    .ok();
    app.call(
        "PUT",
        "/_mock/operations/policy",
        Some(json!({"kind": "channel.suspendEntitlement", "policy": "manual"})),
        None,
    )
    .await
    .ok();
    let pending = verb(&app, &name, "suspend", json!({})).await.ok();
    let before = app.get("/_mock/state").await.ok();
    app.server.shutdown().await;
    let app = spawn_with(config()).await;
    assert_eq!(app.get("/_mock/state").await.ok(), before);
    // The pending suspension finishes after the restart.
    app.post(
        &format!("/_mock/operations/{}:complete", name_of(&pending)),
        json!({}),
    )
    .await
    .ok();
    let e = app.get(&format!("/v1/{name}")).await.ok();
    assert_eq!(e["provisioningState"], "SUSPENDED");
    assert_eq!(e["parameters"][0]["value"]["int64Value"], "9");
    app.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------- a model of one entitlement's life ----------

#[derive(Debug, Clone)]
enum Step {
    Create { annual: bool, seats: i64 },
    Seats(i64),
    Suspend,
    Activate,
    SwitchPlan,
    Cancel,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (any::<bool>(), -2i64..50_010).prop_map(|(annual, seats)| Step::Create { annual, seats }),
        prop_oneof![-2i64..20, 49_990i64..50_010].prop_map(Step::Seats),
        Just(Step::Suspend),
        Just(Step::Activate),
        Just(Step::SwitchPlan),
        Just(Step::Cancel),
    ]
}

/// What the model expects of one entitlement: absent, or on a plan with seats and a state.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Model {
    annual: bool,
    seats: i64,
    suspended: bool,
}

async fn run_model(steps: Vec<Step>) {
    let app = spawn_now().await;
    provision(&app).await;
    let mut model: Option<Model> = None;
    let mut name = String::new();
    let in_bounds = |n: i64| (1..=50_000).contains(&n);
    for s in steps {
        match (&s, model) {
            (Step::Create { annual, seats }, m) => {
                let (id, param) = if *annual {
                    ("WS-STANDARD-ANNUAL", "num_units")
                } else {
                    ("WS-STANDARD-FLEX", "max_units")
                };
                let r = app
                    .post(
                        &format!("/v1/{NEW}/entitlements"),
                        json!({"entitlement": {"offer": offer(R1, id), "parameters": units(param, *seats)}}),
                    )
                    .await;
                match (m, in_bounds(*seats)) {
                    (Some(_), _) => assert_eq!(r.status, 409, "{s:?}: {}", r.body),
                    (None, false) => assert_eq!(r.status, 400, "{s:?}: {}", r.body),
                    (None, true) => {
                        let op = r.ok();
                        name = name_of(&op["response"]);
                        model = Some(Model {
                            annual: *annual,
                            seats: *seats,
                            suspended: false,
                        });
                    }
                }
            }
            (_, None) => {
                // Without an entitlement every change is NOT_FOUND (or, before the first, a malformed name).
                if !name.is_empty() {
                    let r = verb(&app, &name, "suspend", json!({})).await;
                    assert_eq!(r.status, 404, "{s:?}: {}", r.body);
                }
            }
            (Step::Seats(n), Some(m)) => {
                let param = if m.annual { "num_units" } else { "max_units" };
                let r = verb(
                    &app,
                    &name,
                    "changeParameters",
                    json!({"parameters": units(param, *n)}),
                )
                .await;
                let ok = !m.suspended && in_bounds(*n) && !(m.annual && *n < m.seats);
                assert_eq!(
                    (200..300).contains(&r.status),
                    ok,
                    "{s:?} on {m:?}: {}",
                    r.body
                );
                if ok {
                    model = Some(Model { seats: *n, ..m });
                }
            }
            (Step::Suspend, Some(m)) => {
                let r = verb(&app, &name, "suspend", json!({})).await;
                assert_eq!(
                    (200..300).contains(&r.status),
                    !m.suspended,
                    "{s:?} on {m:?}: {}",
                    r.body
                );
                model = Some(Model {
                    suspended: true,
                    ..m
                });
            }
            (Step::Activate, Some(m)) => {
                let r = verb(&app, &name, "activate", json!({})).await;
                assert_eq!(
                    (200..300).contains(&r.status),
                    m.suspended,
                    "{s:?} on {m:?}: {}",
                    r.body
                );
                model = Some(Model {
                    suspended: false,
                    ..m
                });
            }
            (Step::SwitchPlan, Some(m)) => {
                let (id, param) = if m.annual {
                    ("WS-STANDARD-FLEX", "max_units")
                } else {
                    ("WS-STANDARD-ANNUAL", "num_units")
                };
                let r = verb(
                    &app,
                    &name,
                    "changeOffer",
                    json!({"offer": offer(R1, id), "parameters": units(param, m.seats)}),
                )
                .await;
                assert_eq!(
                    (200..300).contains(&r.status),
                    !m.suspended,
                    "{s:?} on {m:?}: {}",
                    r.body
                );
                if !m.suspended {
                    model = Some(Model {
                        annual: !m.annual,
                        ..m
                    });
                }
            }
            (Step::Cancel, Some(m)) => {
                let r = verb(&app, &name, "cancel", json!({})).await;
                assert!((200..300).contains(&r.status), "{s:?} on {m:?}: {}", r.body);
                model = None;
            }
        }
        // Invariants after every step: the world agrees with the model; seats stay within the offer's bounds.
        let list = app.get(&format!("/v1/{NEW}/entitlements")).await.ok();
        let all = list["entitlements"].as_array().cloned().unwrap_or_default();
        match model {
            None => assert!(all.is_empty(), "{all:?}"),
            Some(m) => {
                assert_eq!(all.len(), 1, "{all:?}");
                let e = &all[0];
                let param = if m.annual { "num_units" } else { "max_units" };
                let seats: i64 = e["parameters"]
                    .as_array()
                    .and_then(|ps| ps.iter().find(|p| p["name"] == param))
                    .and_then(|p| p["value"]["int64Value"].as_str())
                    .and_then(|v| v.parse().ok())
                    .expect("seats");
                assert_eq!(seats, m.seats);
                assert!(in_bounds(seats));
                assert_eq!(
                    e["provisioningState"],
                    if m.suspended { "SUSPENDED" } else { "ACTIVE" }
                );
            }
        }
    }
    let first = app.get("/_mock/state").await.ok();
    app.call("PUT", "/_mock/state", Some(first.clone()), None)
        .await
        .ok();
    assert_eq!(app.get("/_mock/state").await.ok(), first);
    app.server.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_entitlement_changes_keep_the_state_machine_and_seat_bounds(
        steps in prop::collection::vec(step(), 1..14)
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(run_model(steps));
    }
}
