//! Cloud Channel over REST: customers, import, provisionCloudIdentity, checkCloudIdentityAccountsExist, operations.

use std::collections::HashSet;

use serde_json::json;

use crate::helpers::{R1, R2, customer_body, spawn_app, spawn_strict};

#[tokio::test]
async fn create_get_patch_delete_round_trip() {
    let app = spawn_app().await;
    let created = app.create_customer(R1, "acme.com").await;
    let name = created["name"].as_str().expect("name").to_string();
    assert!(
        name.starts_with("accounts/C01234567/customers/S0"),
        "{name}"
    );
    assert_eq!(created["primaryContactInfo"]["displayName"], "Ada Admin");
    assert!(
        created["createTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{created}"
    );
    assert!(created.get("cloudIdentityId").is_none());

    let got = app.get(&format!("/v1/{name}")).await.ok();
    assert_eq!(got, created);

    let patched = app
        .patch(&format!("/v1/{name}?updateMask=orgDisplayName,primaryContactInfo.title"), json!({
            "orgDisplayName": "Acme Renamed", "domain": "ignored.com", "primaryContactInfo": {"title": "CTO"}}))
        .await
        .ok();
    assert_eq!(patched["orgDisplayName"], "Acme Renamed");
    assert_eq!(patched["domain"], "acme.com", "domain was not in the mask");
    assert_eq!(patched["primaryContactInfo"]["title"], "CTO");
    assert_eq!(patched["primaryContactInfo"]["email"], "ada@acme.com");

    let bad_mask = app
        .patch(&format!("/v1/{name}?updateMask=colour"), json!({}))
        .await;
    bad_mask.expect_error(400, "INVALID_ARGUMENT");
    assert!(bad_mask.error_message().contains("colour"));

    assert_eq!(app.delete(&format!("/v1/{name}")).await.ok(), json!({}));
    app.get(&format!("/v1/{name}"))
        .await
        .expect_error(404, "NOT_FOUND");
    app.delete(&format!("/v1/{name}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn create_rejects_invalid_customers_naming_the_field() {
    let app = spawn_app().await;
    let path = format!("/v1/{R1}/customers");
    let mut body = customer_body("acme.com");
    body["primaryContactInfo"]["email"] = json!("ada@other.com");
    let r = app.post(&path, body).await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        r.error_message().contains("primaryContactInfo.email"),
        "{}",
        r.body
    );
    assert_eq!(
        r.body["error"]["details"][1]["fieldViolations"][0]["field"],
        "primaryContactInfo.email"
    );

    let r = app
        .post(&path, json!({"orgDisplayName": "x", "domain": "acme.com"}))
        .await;
    r.expect_error(400, "INVALID_ARGUMENT");
    assert!(r.error_message().contains("orgPostalAddress"));

    let r = app.post(&path, customer_body("not a domain")).await;
    r.expect_error(400, "INVALID_ARGUMENT");

    let mut long = customer_body("acme.com");
    long["orgDisplayName"] = json!("x".repeat(5000));
    app.post(&path, long)
        .await
        .expect_error(400, "INVALID_ARGUMENT");

    app.create_customer(R1, "acme.com").await;
    app.post(&path, customer_body("ACME.com"))
        .await
        .expect_error(409, "ALREADY_EXISTS");
    let list = app.get(&path).await.ok();
    let n = list["customers"].as_array().map(|a| a.len()).unwrap_or(0);
    assert_eq!(n, 2, "the seeded customer and acme.com only: {list}");
}

#[tokio::test]
async fn list_pages_with_tokens_bound_to_the_query() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.create_customer(R2, &format!("d{i}.example")).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .get(&format!("/v1/{R2}/customers?pageSize=2&pageToken={token}"))
            .await
            .ok();
        let items = page["customers"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|c| c["domain"].as_str().unwrap_or("").to_string()),
        );
        match page["nextPageToken"].as_str() {
            Some(t) if !t.is_empty() => token = t.to_string(),
            _ => break,
        }
    }
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 5);
    assert_eq!(unique.len(), 5);

    let first = app
        .get(&format!("/v1/{R2}/customers?pageSize=2"))
        .await
        .ok();
    let token = first["nextPageToken"].as_str().expect("token");
    let reused = app
        .get(&format!(
            "/v1/{R2}/customers?pageSize=2&pageToken={token}&filter=domain%3D%22d1.example%22"
        ))
        .await;
    reused.expect_error(400, "INVALID_ARGUMENT");
    assert!(reused.error_message().contains("different query"));
}

#[tokio::test]
async fn list_filters_by_the_documented_grammar() {
    let app = spawn_app().await;
    for d in ["alpha.com", "alpine.org", "beta.net"] {
        app.create_customer(R2, d).await;
    }
    let q = |f: &str| format!("/v1/{R2}/customers?filter={}", urlencode(f));
    let domains = |v: serde_json::Value| -> Vec<String> {
        v["customers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|c| c["domain"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        domains(app.get(&q(r#"domain = "beta.net""#)).await.ok()),
        ["beta.net"]
    );
    assert_eq!(
        domains(app.get(&q(r#"domain : "alp*""#)).await.ok()).len(),
        2
    );
    assert_eq!(
        domains(
            app.get(&q(
                r#"(domain = "beta.net" OR domain = "alpha.com") AND org_display_name : "Org*""#
            ))
            .await
            .ok()
        )
        .len(),
        2
    );
    let bad = app
        .get(&q(r#"domain = "a" AND domain = "b" OR domain = "c""#))
        .await;
    bad.expect_error(400, "INVALID_ARGUMENT");
    assert!(bad.error_message().contains("position"), "{}", bad.body);
    app.get(&format!("/v1/{R2}/customers?pageSize=-1"))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    let big = app
        .get(&format!("/v1/{R2}/customers?pageSize=5000"))
        .await
        .ok();
    assert_eq!(big["customers"].as_array().map(|a| a.len()), Some(3));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn import_by_each_key_with_overwrite_and_conflict() {
    let app = spawn_app().await;
    let path = format!("/v1/{R2}/customers:import");
    let import = |body| app.post(&path, body);
    let first = import(json!({"domain": "altostrat.com"})).await.ok();
    assert_eq!(first["cloudIdentityId"], "C00000000");
    assert_eq!(first["cloudIdentityInfo"]["customerType"], "DOMAIN");
    assert_eq!(first["cloudIdentityInfo"]["primaryDomain"], "altostrat.com");

    let again = import(json!({"cloudIdentityId": "C00000000"})).await;
    again.expect_error(409, "ALREADY_EXISTS");
    assert!(
        again
            .error_message()
            .contains(first["name"].as_str().unwrap_or("?"))
    );
    assert_eq!(again.error_reason(), "CUSTOMER_ALREADY_EXISTS");

    let over =
        import(json!({"primaryAdminEmail": "admin@altostrat.com", "overwriteIfExists": true}))
            .await
            .ok();
    assert_eq!(over["name"], first["name"]);

    let team = import(json!({"cloud_identity_id": "C0TEAM001"})).await.ok();
    assert_eq!(team["cloudIdentityInfo"]["customerType"], "TEAM");

    import(json!({"domain": "nobody-here.com"}))
        .await
        .expect_error(404, "NOT_FOUND");
    let none = import(json!({})).await;
    none.expect_error(400, "INVALID_ARGUMENT");
    assert!(none.error_message().contains("exactly one"));
    import(json!({"domain": "altostrat.com", "cloudIdentityId": "C00000000"}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn import_needs_the_auth_token_until_authorised() {
    let app = spawn_app().await;
    let path = format!("/v1/{R1}/customers:import");
    let missing = app.post(&path, json!({"domain": "example.com"})).await;
    missing.expect_error(400, "INVALID_ARGUMENT");
    assert!(missing.error_message().contains("authToken"));
    let wrong = app
        .post(
            &path,
            json!({"domain": "example.com", "authToken": "guess"}),
        )
        .await;
    wrong.expect_error(400, "INVALID_ARGUMENT");
    assert!(wrong.error_message().contains("invalid or expired"));
    let ok = app
        .post(
            &path,
            json!({"domain": "example.com", "authToken": "example-auth-token"}),
        )
        .await
        .ok();
    assert_eq!(ok["cloudIdentityId"], "C0EXAMPL1");
    let name = ok["name"].as_str().expect("name");
    app.delete(&format!("/v1/{name}")).await.ok();
    // Once authorised, the token may be omitted.
    app.post(&path, json!({"domain": "example.com"})).await.ok();
}

#[tokio::test]
async fn fifty_parallel_imports_create_exactly_one_customer() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let http = app.http.clone();
        let url = app.url(&format!("/v1/{R2}/customers:import"));
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .json(&json!({"domain": "altostrat.com"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        49,
        "{statuses:?}"
    );
    let list = app
        .get(&format!(
            "/v1/{R2}/customers?filter=cloud_identity_id%3D%22C00000000%22"
        ))
        .await
        .ok();
    assert_eq!(list["customers"].as_array().map(|a| a.len()), Some(1));
}

#[tokio::test]
async fn provision_runs_as_an_operation_and_the_identity_becomes_importable() {
    let app = spawn_app().await;
    let customer = app.create_customer(R1, "newco.com").await;
    let name = customer["name"].as_str().expect("name");
    let body = json!({"cloudIdentityInfo": {"customerType": "DOMAIN", "alternateEmail": "it@other.org"},
                      "user": {"email": "boss@newco.com", "givenName": "B", "familyName": "Oss"}});
    let op = app
        .post(&format!("/v1/{name}:provisionCloudIdentity"), body.clone())
        .await
        .ok();
    assert_eq!(op["done"], false, "{op}");
    assert!(op.get("response").is_none() && op.get("error").is_none());
    assert_eq!(
        op["metadata"]["@type"],
        "type.googleapis.com/google.cloud.channel.v1.OperationMetadata"
    );
    assert_eq!(op["metadata"]["operationType"], "PROVISION_CLOUD_IDENTITY");
    // A second provision while the first runs is refused.
    app.post(&format!("/v1/{name}:provisionCloudIdentity"), body.clone())
        .await
        .expect_error(400, "FAILED_PRECONDITION");

    let done = app
        .wait_operation(op["name"].as_str().expect("op name"))
        .await;
    assert_eq!(
        done["response"]["@type"],
        "type.googleapis.com/google.cloud.channel.v1.Customer"
    );
    let ci = done["response"]["cloudIdentityId"]
        .as_str()
        .expect("cloud identity id")
        .to_string();
    assert!(ci.starts_with("C0") && ci.len() == 9, "{ci}");
    assert_eq!(
        done["response"]["cloudIdentityInfo"]["primaryDomain"],
        "newco.com"
    );
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.ok()["cloudIdentityId"],
        ci.as_str()
    );

    // The directory now knows the identity: another reseller can import it.
    let imported = app
        .post(
            &format!("/v1/{R2}/customers:import"),
            json!({"cloudIdentityId": ci}),
        )
        .await
        .ok();
    assert_eq!(imported["domain"], "newco.com");
    // And the admin email is taken.
    let other = app.create_customer(R1, "other.com").await;
    let dup = app
        .post(&format!("/v1/{}:provisionCloudIdentity", other["name"].as_str().expect("name")),
              json!({"user": {"email": "boss@newco.com"}, "cloudIdentityInfo": {"customerType": "TEAM"}}))
        .await;
    dup.expect_error(409, "ALREADY_EXISTS");
    app.post(&format!("/v1/{name}:provisionCloudIdentity"), body)
        .await
        .expect_error(409, "ALREADY_EXISTS");
}

#[tokio::test]
async fn provision_validate_only_creates_nothing() {
    let app = spawn_app().await;
    let name = "accounts/C01234567/customers/S0NEWCUSTOMER1";
    let op = app
        .post(
            &format!("/v1/{name}:provisionCloudIdentity"),
            json!({"validateOnly": true, "user": {"email": "a@example.org"}}),
        )
        .await
        .ok();
    assert_eq!(op["done"], true);
    assert!(
        app.get(&format!("/v1/{name}"))
            .await
            .ok()
            .get("cloudIdentityId")
            .is_none()
    );
    let check = app
        .post(
            &format!("/v1/{R1}:checkCloudIdentityAccountsExist"),
            json!({"domain": "example.org"}),
        )
        .await
        .ok();
    assert_eq!(check, json!({}));
    app.post(
        "/v1/accounts/C01234567/customers/S0MISSING:provisionCloudIdentity",
        json!({"user": {"email": "a@b.com"}}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.post(
        &format!("/v1/{name}:provisionCloudIdentity"),
        json!({"user": {"email": "nope"}}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn cancel_finishes_a_running_operation_with_cancelled_and_delete_removes_it() {
    let app = spawn_app().await;
    let name = "accounts/C01234567/customers/S0NEWCUSTOMER1";
    let op = app
        .post(
            &format!("/v1/{name}:provisionCloudIdentity"),
            json!({"user": {"email": "a@example.org"}}),
        )
        .await
        .ok();
    let op_name = op["name"].as_str().expect("name");
    assert_eq!(
        app.post(&format!("/v1/{op_name}:cancel"), json!({}))
            .await
            .ok(),
        json!({})
    );
    let got = app.get(&format!("/v1/{op_name}")).await.ok();
    assert_eq!(got["done"], true);
    assert_eq!(got["error"]["code"], 1, "rpc code CANCELLED: {got}");
    assert!(got.get("response").is_none());
    // The customer is free to be provisioned again.
    app.post(
        &format!("/v1/{name}:provisionCloudIdentity"),
        json!({"user": {"email": "a@example.org"}}),
    )
    .await
    .ok();

    let listed = app.get("/v1/operations").await.ok();
    assert!(
        listed["operations"]
            .as_array()
            .is_some_and(|a| a.len() == 2),
        "{listed}"
    );
    assert_eq!(app.delete(&format!("/v1/{op_name}")).await.ok(), json!({}));
    app.get(&format!("/v1/{op_name}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn check_cloud_identity_accounts_exist_reports_ownership_and_v1alpha1_not_found() {
    let app = spawn_app().await;
    let path = format!("/v1/{R1}:checkCloudIdentityAccountsExist");
    let before = app
        .post(&path, json!({"domain": "altostrat.com"}))
        .await
        .ok();
    let acct = &before["cloudIdentityAccounts"][0];
    assert_eq!(acct["existing"], true);
    assert!(
        acct.get("owned").is_none(),
        "owned=false is omitted: {acct}"
    );
    assert_eq!(acct["customerCloudIdentityId"], "C00000000");
    let imported = app
        .post(
            &format!("/v1/{R1}/customers:import"),
            json!({"domain": "altostrat.com"}),
        )
        .await
        .ok();
    let after = app
        .post(&path, json!({"domain": "altostrat.com"}))
        .await
        .ok();
    assert_eq!(after["cloudIdentityAccounts"][0]["owned"], true);
    assert_eq!(
        after["cloudIdentityAccounts"][0]["customerName"],
        imported["name"]
    );

    assert_eq!(
        app.post(&path, json!({"domain": "unknown-domain.com"}))
            .await
            .ok(),
        json!({})
    );
    app.post(
        &format!("/v1alpha1/{R1}:checkCloudIdentityAccountsExist"),
        json!({"domain": "unknown-domain.com"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.post(&path, json!({"domain": "bad domain"}))
        .await
        .expect_error(400, "INVALID_ARGUMENT");
}

#[tokio::test]
async fn v1alpha1_operations_carry_v1alpha1_types_and_int_enums_when_asked() {
    let app = spawn_app().await;
    let name = "accounts/C01234567/customers/S0NEWCUSTOMER1";
    let op = app
        .post(
            &format!("/v1alpha1/{name}:provisionCloudIdentity?%24alt=json%3Benum-encoding%3Dint"),
            json!({"user": {"email": "a@example.org"}}),
        )
        .await
        .ok();
    assert_eq!(
        op["metadata"]["@type"],
        "type.googleapis.com/google.cloud.channel.v1alpha1.OperationMetadata"
    );
    assert_eq!(op["metadata"]["operationType"], 16);
    let imported = app
        .post(
            &format!("/v1/{R2}/customers:import?$alt=json;enum-encoding=int"),
            json!({"domain": "cymbalgroup.com"}),
        )
        .await
        .ok();
    assert_eq!(imported["cloudIdentityInfo"]["customerType"], 2);
}

#[tokio::test]
async fn snake_case_fields_and_numeric_enums_are_accepted() {
    let app = spawn_app().await;
    let body = json!({
        "org_display_name": "Snake", "domain": "snake.com", "customer_attestation_state": 1,
        "org_postal_address": {"region_code": "US", "postal_code": "1", "address_lines": ["x"]},
    });
    let c = app.post(&format!("/v1/{R1}/customers"), body).await.ok();
    assert_eq!(c["orgDisplayName"], "Snake");
    assert_eq!(c["customerAttestationState"], "EXEMPT");
}

#[tokio::test]
async fn channel_partner_link_parents_hold_their_own_customers() {
    let app = spawn_app().await;
    let parent = "accounts/C01234567/channelPartnerLinks/L1";
    let c = app.create_customer(parent, "downstream.com").await;
    assert!(
        c["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("accounts/C01234567/channelPartnerLinks/L1/customers/"))
    );
    assert_eq!(c["channelPartnerId"], "L1");
    let direct = app.get(&format!("/v1/{R1}/customers")).await.ok();
    assert!(!direct.to_string().contains("downstream.com"), "{direct}");
    let linked = app.get(&format!("/v1/{parent}/customers")).await.ok();
    assert_eq!(linked["customers"].as_array().map(|a| a.len()), Some(1));
    app.post(
        &format!("/v1/{parent}/customers:import"),
        json!({"domain": "altostrat.com"}),
    )
    .await
    .ok();
}

#[tokio::test]
async fn strict_auth_denies_another_resellers_account() {
    let app = spawn_strict().await;
    let path = format!("/v1/{R1}/customers");
    app.call("GET", &path, None, None)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.call("GET", &path, None, Some("unknown-token"))
        .await
        .expect_error(401, "UNAUTHENTICATED");
    let denied = app
        .call("GET", &path, None, Some("reseller-two-token"))
        .await;
    denied.expect_error(403, "PERMISSION_DENIED");
    assert!(denied.error_message().contains("C01234567"));
    let ok = app
        .call("GET", &path, None, Some("reseller-one-token"))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let imp = app
        .call(
            "POST",
            &format!("/v1/{R1}/customers:import"),
            Some(json!({"domain": "altostrat.com"})),
            Some("reseller-two-token"),
        )
        .await;
    imp.expect_error(403, "PERMISSION_DENIED");
}
