//! SCP Cloud Control account factory: the documented sample, signatures, versions, validation, asynchrony.

use std::time::Duration;

use provmock::internals::scp::{SignedRequest, sign};
use provmock::{AuthMode, Config};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, spawn_app, spawn_with};

const LZ: &str = "2c8a138f8d78e1fc29a449dbfa8681";
const OU: &str = "ou-b30e9fcc39f84a20bf9e7458e5ec3801";
const SECURITY_OU: &str = "ou-5ec0a1b2c3d4e5f60718293a4b5c6d7e";

fn sample_body(name: &str) -> Value {
    json!({"email": format!("{name}@example.com"), "landing_zone_id": LZ, "name": name, "parent_unit_id": OU,
           "sso_user_email": null, "sso_user_name": null, "sso_user_real_name": null})
}

/// Sends an SCP request with the given extra headers.
async fn scp(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &[(&str, String)],
) -> Reply {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.http.request(m, app.url(path));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.expect("sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("text");
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    }
}

/// The headers SCP's Go SDK sends, signed with `secret` over the URL it would build for this server.
fn signed(
    app: &TestApp,
    method: &str,
    path: &str,
    key: &str,
    secret: &str,
    ts_ms: i64,
) -> Vec<(&'static str, String)> {
    let url = format!("{}{path}", app.server.uri());
    let ts = ts_ms.to_string();
    let sig = sign(
        secret,
        &SignedRequest {
            method,
            url: &url,
            timestamp: &ts,
            access_key: key,
            account_id: "",
            client_type: "Openapi",
        },
    );
    vec![
        ("Scp-AccessKey", key.to_string()),
        ("Scp-Signature", sig),
        ("Scp-Timestamp", ts),
        ("Scp-ClientType", "Openapi".into()),
        ("Scp-AccountId", String::new()),
        ("Scp-API-Version", "cloudcontrol 1.2".into()),
    ]
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[track_caller]
fn expect_scp_error(r: &Reply, status: u16, needle: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let detail = r.body["errors"][0]["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains(needle),
        "detail {detail:?} should mention {needle:?}"
    );
    assert!(
        r.body["errors"][0]["title"].is_string() && r.body["errors"][0]["code"].is_string(),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn the_documented_sample_works_verbatim_in_permissive_mode() {
    let app = spawn_app().await;
    let headers = vec![
        ("Scp-Accesskey", "2a6b3c3d4e5f".to_string()),
        ("Scp-Signature", "aGVsbG8gd29ybGQ=".to_string()),
        ("Scp-Timestamp", "1767225600000".to_string()),
        ("Scp-ClientType", "Openapi".to_string()),
        ("Accept-Language", "ko-KR".to_string()),
        ("Scp-Api-Version", "cloudcontrol 1.2".to_string()),
    ];
    let r = scp(
        &app,
        "POST",
        "/v1/accounts",
        Some(&sample_body("sample-account")),
        &headers,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["account_id"].as_str().expect("account_id");
    assert!(
        id.len() == 32
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{id}"
    );
    let job = r.body["job_id"].as_str().expect("job_id");
    assert!(
        job.len() == 32 && job.chars().all(|c| c.is_ascii_hexdigit()),
        "{job}"
    );
}

#[tokio::test]
async fn account_is_pending_then_active_and_readable_through_organization() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_millis(200),
        ..Config::default()
    })
    .await;
    let r = scp(
        &app,
        "POST",
        "/v1/accounts",
        Some(&sample_body("poll-me")),
        &[],
    )
    .await;
    let id = r.body["account_id"].as_str().expect("id").to_string();
    let path = format!("/v1/organization-accounts/{id}");
    let first = scp(
        &app,
        "GET",
        &path,
        None,
        &[("Scp-API-Version", "organization 1.1".into())],
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let a = &first.body["account"];
    assert_eq!(a["state"], "PENDING");
    assert_eq!(a["joined_method"], "CLOUD_CONTROL");
    assert_eq!(a["type"], "MEMBER");
    assert_eq!(a["parent_unit_id"], OU);
    assert_eq!(a["parent_unit_name"], "Workloads");
    assert_eq!(a["email"], "poll-me@example.com");
    // Poll the way the Terraform provider does until ACTIVE.
    let mut state = String::new();
    for _ in 0..100 {
        let r = scp(&app, "GET", &path, None, &[]).await;
        state = r.body["account"]["state"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if state == "ACTIVE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(state, "ACTIVE");
    expect_scp_error(
        &scp(&app, "GET", "/v1/organization-accounts/nope", None, &[]).await,
        404,
        "nope",
    );
}

#[tokio::test]
async fn a_failed_job_leaves_the_account_create_failed() {
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let r = scp(
        &app,
        "POST",
        "/v1/accounts",
        Some(&sample_body("doomed")),
        &[],
    )
    .await;
    let job = r.body["job_id"].as_str().expect("job");
    app.post(
        &format!("/_mock/operations/{job}:fail"),
        json!({"code": "INTERNAL", "message": "quota"}),
    )
    .await
    .ok();
    let a = scp(
        &app,
        "GET",
        &format!(
            "/v1/organization-accounts/{}",
            r.body["account_id"].as_str().unwrap_or("")
        ),
        None,
        &[],
    )
    .await;
    assert_eq!(a.body["account"]["state"], "CREATE_FAILED");
}

#[tokio::test]
async fn validation_errors_use_the_scp_error_body() {
    let app = spawn_app().await;
    let app = &app;
    let post = |b: Value| async move { scp(app, "POST", "/v1/accounts", Some(&b), &[]).await };
    for field in ["name", "landing_zone_id", "parent_unit_id"] {
        let mut b = sample_body("v1");
        b.as_object_mut().map(|o| o.remove(field));
        expect_scp_error(&post(b).await, 400, field);
    }
    let mut b = sample_body("v2");
    b["name"] = json!(42);
    expect_scp_error(&post(b).await, 400, "name");
    let mut b = sample_body("v3");
    b["email"] = json!("not-an-email");
    expect_scp_error(&post(b).await, 400, "not-an-email");
    let mut b = sample_body("v4");
    b["name"] = json!("!bad name!");
    expect_scp_error(&post(b).await, 400, "!bad name!");
    let mut b = sample_body("v5");
    b["colour"] = json!("red");
    expect_scp_error(&post(b).await, 400, "colour");
    let bad_json = app
        .raw("POST", "/v1/accounts", b"{\"name\":".to_vec())
        .await;
    expect_scp_error(&bad_json, 400, "invalid request body");

    let mut b = sample_body("v6");
    b["landing_zone_id"] = json!("nolz");
    expect_scp_error(&post(b).await, 404, "nolz");
    let mut b = sample_body("v7");
    b["parent_unit_id"] = json!("ou-unknown");
    expect_scp_error(&post(b).await, 404, "ou-unknown");
    let mut b = sample_body("v8");
    b["parent_unit_id"] = json!(SECURITY_OU);
    expect_scp_error(&post(b).await, 403, "Security OU");

    assert_eq!(post(sample_body("taken")).await.status, 201);
    let mut same_name = sample_body("TAKEN");
    same_name["email"] = json!("other@example.com");
    expect_scp_error(&post(same_name).await, 409, "TAKEN");
    let mut same_email = sample_body("another");
    same_email["email"] = json!("taken@example.com");
    expect_scp_error(&post(same_email).await, 409, "taken@example.com");
    let state = app.get("/_mock/state").await.ok();
    assert_eq!(
        state["scp"]["accounts"].as_array().map(|a| a.len()),
        Some(1),
        "nothing else was created"
    );
}

#[tokio::test]
async fn twenty_parallel_creates_of_one_name_give_one_account() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let http = app.http.clone();
        let url = app.url("/v1/accounts");
        let mut body = sample_body("racer");
        body["email"] = json!(format!("racer{i}@example.com"));
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .json(&body)
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
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn strict_mode_checks_signatures_and_skew() {
    let app = spawn_with(Config {
        no_tls: true,
        auth: AuthMode::Strict,
        ..Config::default()
    })
    .await;
    let body = sample_body("signed");
    let ok = scp(
        &app,
        "POST",
        "/v1/accounts",
        Some(&body),
        &signed(&app, "POST", "/v1/accounts", "AKTEST", "SKTEST", now_ms()),
    )
    .await;
    assert_eq!(ok.status, 201, "{}", ok.body);

    let unsigned = scp(&app, "POST", "/v1/accounts", Some(&sample_body("u")), &[]).await;
    expect_scp_error(&unsigned, 401, "Scp-AccessKey");
    let unknown = signed(&app, "POST", "/v1/accounts", "AKNOPE", "SKTEST", now_ms());
    expect_scp_error(
        &scp(
            &app,
            "POST",
            "/v1/accounts",
            Some(&sample_body("u")),
            &unknown,
        )
        .await,
        401,
        "AKNOPE",
    );
    let wrong = signed(&app, "POST", "/v1/accounts", "AKTEST", "WRONG", now_ms());
    expect_scp_error(
        &scp(
            &app,
            "POST",
            "/v1/accounts",
            Some(&sample_body("u")),
            &wrong,
        )
        .await,
        401,
        "signature mismatch",
    );
    let stale = signed(
        &app,
        "POST",
        "/v1/accounts",
        "AKTEST",
        "SKTEST",
        now_ms() - 10 * 60 * 1000,
    );
    expect_scp_error(
        &scp(
            &app,
            "POST",
            "/v1/accounts",
            Some(&sample_body("u")),
            &stale,
        )
        .await,
        401,
        "window",
    );
    let mut no_sig = signed(&app, "POST", "/v1/accounts", "AKTEST", "SKTEST", now_ms());
    no_sig.retain(|(k, _)| *k != "Scp-Signature");
    expect_scp_error(
        &scp(
            &app,
            "POST",
            "/v1/accounts",
            Some(&sample_body("u")),
            &no_sig,
        )
        .await,
        401,
        "Scp-Signature",
    );

    // Header names match case-insensitively.
    let shouting: Vec<(&str, String)> =
        signed(&app, "POST", "/v1/accounts", "AKTEST", "SKTEST", now_ms())
            .into_iter()
            .map(|(k, v)| {
                (
                    match k {
                        "Scp-AccessKey" => "SCP-ACCESSKEY",
                        "Scp-Signature" => "scp-signature",
                        "Scp-Timestamp" => "SCP-TIMESTAMP",
                        other => other,
                    },
                    v,
                )
            })
            .collect();
    assert_eq!(
        scp(
            &app,
            "POST",
            "/v1/accounts",
            Some(&sample_body("loud")),
            &shouting
        )
        .await
        .status,
        201
    );

    // Organization reads are signed too, query string included.
    let id = ok.body["account_id"].as_str().expect("id");
    let path = format!("/v1/organization-accounts/{id}?lazy_policy=true");
    let mut h = signed(&app, "GET", &path, "AKTEST", "SKTEST", now_ms());
    h.retain(|(k, _)| *k != "Scp-API-Version");
    let got = scp(&app, "GET", &path, None, &h).await;
    assert_eq!(got.status, 200, "{}", got.body);

    let state = app.get("/_mock/state").await.ok().to_string();
    assert!(
        !state.contains("SKTEST") && !state.contains("provmock-secret-key"),
        "secret keys leaked into /_mock/state"
    );
}

#[tokio::test]
async fn versions_follow_provmocks_clock() {
    let app = spawn_app().await;
    let clock = app.server.clock();
    let post = |v: &'static str, name: &'static str| {
        let app = &app;
        async move {
            scp(
                app,
                "POST",
                "/v1/accounts",
                Some(&sample_body(name)),
                &[("Scp-API-Version", v.to_string())],
            )
            .await
        }
    };
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&chrono::Utc))
            .expect("time")
    };

    clock.set(at("2026-06-20T12:00:00Z"));
    let early = post("cloudcontrol 1.1", "early").await;
    assert_eq!(early.status, 201, "{}", early.body);
    let warning = early
        .headers
        .get("warning")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        warning.contains("10 days left") && warning.contains("2026-06-30"),
        "{warning}"
    );
    expect_scp_error(&post("cloudcontrol 1.0", "old").await, 400, "2025-12-31");

    clock.set(at("2026-07-01T00:00:00Z"));
    let late = post("cloudcontrol 1.1", "late").await;
    expect_scp_error(&late, 400, "1.1");
    assert!(
        late.body["errors"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("DEPRECATED") && d.contains("2026-06-30"))
    );
    expect_scp_error(&post("cloudcontrol 7.0", "seven").await, 400, "7.0");
    expect_scp_error(&post("billing 1.2", "billing").await, 400, "billing");
    assert_eq!(post("cloudcontrol 1.2", "current").await.status, 201);
    assert_eq!(
        scp(
            &app,
            "POST",
            "/v1/accounts",
            Some(&sample_body("noheader")),
            &[]
        )
        .await
        .status,
        201
    );

    let list = app.get("/").await.ok();
    let ids: Vec<&str> = list["versions"]
        .as_array()
        .map(|v| v.iter().filter_map(|x| x["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["v1.2", "v1.1", "v1.0"]);
    assert_eq!(list["versions"][1]["status"], "DEPRECATED");
    assert_eq!(list["versions"][1]["not_before"], "2026-06-30");
}

#[tokio::test]
async fn organization_list_pages_sorts_and_filters() {
    let app = spawn_app().await;
    for name in ["alpha", "bravo", "charlie"] {
        assert_eq!(
            scp(&app, "POST", "/v1/accounts", Some(&sample_body(name)), &[])
                .await
                .status,
            201
        );
    }
    let page = scp(
        &app,
        "GET",
        "/v1/organization-accounts?size=2&page=0&sort=name:asc",
        None,
        &[],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["count"], 3);
    let names: Vec<&str> = page.body["accounts"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["alpha", "bravo"]);
    let second = scp(
        &app,
        "GET",
        "/v1/organization-accounts?size=2&page=1&sort=name:asc",
        None,
        &[],
    )
    .await;
    assert_eq!(second.body["accounts"][0]["name"], "charlie");
    let filtered = scp(
        &app,
        "GET",
        "/v1/organization-accounts?name=rav&email=&parent_unit_id=",
        None,
        &[],
    )
    .await;
    assert_eq!(filtered.body["count"], 1);
    expect_scp_error(
        &scp(
            &app,
            "GET",
            "/v1/organization-accounts?sort=colour:up",
            None,
            &[],
        )
        .await,
        400,
        "colour:up",
    );
    expect_scp_error(
        &scp(
            &app,
            "GET",
            "/v1/organization-accounts?size=lots",
            None,
            &[],
        )
        .await,
        400,
        "lots",
    );
    let wrong_method = scp(&app, "DELETE", "/v1/accounts", None, &[]).await;
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.body);
}

#[tokio::test]
async fn signatures_on_the_tls_port_cover_the_https_url() {
    // Clients sign the URL they call, scheme included: on the TLS port that is `https://…`.
    let app = spawn_with(Config {
        auth: AuthMode::Strict,
        ..Config::default()
    })
    .await;
    let ca = app.server.ca_pem().expect("a generated CA");
    let tls = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("PEM"))
        .build()
        .expect("client");
    let base = app.server.tls_uri().expect("TLS on");
    let send = |url_signed: String, name: &'static str| {
        let ts = now_ms().to_string();
        let sig = sign(
            "SKTEST",
            &SignedRequest {
                method: "POST",
                url: &url_signed,
                timestamp: &ts,
                access_key: "AKTEST",
                account_id: "",
                client_type: "Openapi",
            },
        );
        tls.post(format!("{base}/v1/accounts"))
            .header("Scp-AccessKey", "AKTEST")
            .header("Scp-Signature", sig)
            .header("Scp-Timestamp", ts)
            .header("Scp-ClientType", "Openapi")
            .header("Scp-API-Version", "cloudcontrol 1.2")
            .json(&sample_body(name))
            .send()
    };
    let ok = send(format!("{base}/v1/accounts"), "over-tls")
        .await
        .expect("sent");
    assert_eq!(ok.status(), 201, "{:?}", ok.text().await);
    let http_url = base.replacen("https://", "http://", 1);
    let wrong_scheme = send(format!("{http_url}/v1/accounts"), "wrong-scheme")
        .await
        .expect("sent");
    assert_eq!(
        wrong_scheme.status(),
        401,
        "an http:// signature must not pass on the TLS port"
    );
}

/// The default listing walks the creation-order index; a filter that matches every account takes the sorting path.
/// Both must give the same pages, in both directions, with the clock moving and standing still between creates.
#[tokio::test]
async fn the_indexed_default_listing_agrees_with_the_sorted_one() {
    let app = spawn_app().await;
    for i in 0..23 {
        if i % 5 == 0 {
            app.call(
                "POST",
                "/_mock/clock:advance",
                Some(json!({"seconds": 1})),
                None,
            )
            .await
            .ok();
        }
        let r = scp(
            &app,
            "POST",
            "/v1/accounts",
            Some(&sample_body(&format!("idx{i:02}"))),
            &[],
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let ou = "ou-b30e9fcc39f84a20bf9e7458e5ec3801";
    for sort in ["", "&sort=created_at:desc", "&sort=created_at:asc"] {
        for page in 0..4 {
            let indexed = scp(
                &app,
                "GET",
                &format!("/v1/organization-accounts?size=7&page={page}{sort}"),
                None,
                &[],
            )
            .await;
            let sorted = scp(
                &app,
                "GET",
                &format!("/v1/organization-accounts?size=7&page={page}{sort}&parent_unit_id={ou}"),
                None,
                &[],
            )
            .await;
            assert_eq!(indexed.status, 200, "{}", indexed.body);
            assert_eq!(indexed.body, sorted.body, "page {page}{sort}");
        }
    }
}
