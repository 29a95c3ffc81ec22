//! Hostile and careless clients: each case gets a clear error in the family's format and changes nothing; the
//! process keeps serving. Tenants stay apart; the control plane can be locked; connections are bounded.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use prost::Message;
use provmock::internals::scp::{SignedRequest, sign};
use provmock::{AuthMode, Config};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{R1, TestApp, spawn_app, spawn_strict, spawn_with};

const R1_TOKEN: &str = "reseller-one-token";
const R2_TOKEN: &str = "reseller-two-token";
const CI_ADMIN_TOKEN: &str = "altostrat-admin-token";

fn nested_filter(depth: usize) -> String {
    format!(
        "{}domain = \"altostrat.com\"{}",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

async fn assert_alive(app: &TestApp) {
    let health = app.get("/_mock/health").await;
    assert_eq!(health.status, 200, "provmock still serves: {}", health.body);
}

// ---- recursion ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn deeply_nested_filters_are_invalid_argument_over_rest_and_grpc_and_the_process_lives() {
    let app = spawn_app().await;
    // 9 000 levels is the most a URI under the 64 KiB head limit can carry (each parenthesis travels as `%28`).
    for depth in [33, 2_500, 9_000] {
        let filter = nested_filter(depth);
        let r = app
            .http
            .get(app.url(&format!("/v1/{R1}/customers")))
            .query(&[("filter", filter.as_str())])
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 400, "depth {depth}");
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{body}");
        let msg = body["error"]["message"].as_str().unwrap_or("");
        assert!(
            msg.contains("nested deeper than 32") && msg.contains("position 33"),
            "{msg}"
        );
        assert!(
            msg.len() < 600,
            "the message quotes a bounded part of the filter"
        );
    }
    // gRPC ListCustomers takes the same parser.
    use provmock::proto::google::cloud::channel::v1 as pb;
    let channel = tonic::transport::Channel::from_shared(app.server.uri())
        .expect("uri")
        .connect()
        .await
        .expect("h2c");
    let mut client = pb::cloud_channel_service_client::CloudChannelServiceClient::new(channel);
    let err = client
        .list_customers(pb::ListCustomersRequest {
            parent: R1.into(),
            filter: nested_filter(100_000),
            ..Default::default()
        })
        .await
        .expect_err("too deep");
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err:?}");
    // Nesting within the bound still works, and the world is intact.
    let ok = app
        .http
        .get(app.url(&format!("/v1/{R1}/customers")))
        .query(&[("filter", nested_filter(32).as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(ok.status(), 200);
    assert_alive(&app).await;
}

#[tokio::test]
async fn json_nested_thousands_deep_is_invalid_argument_in_every_family() {
    let app = spawn_app().await;
    let before = app.get("/_mock/state").await.ok();
    let deep = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n)).into_bytes();
    let deep_objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)).into_bytes();
    for body in [deep(10_000), deep_objects(10_000)] {
        let channel = app
            .raw("POST", &format!("/v1/{R1}/customers"), body.clone())
            .await;
        channel.expect_error(400, "INVALID_ARGUMENT");
        let state = app.raw("PUT", "/_mock/state", body.clone()).await;
        state.expect_error(400, "INVALID_ARGUMENT");
        let scp = app.raw("POST", "/v1/accounts", body.clone()).await;
        assert_eq!(scp.status, 400, "{}", scp.body);
        let yandex = app
            .raw("POST", "/organization-manager/v1/idp/users", body.clone())
            .await;
        assert_eq!(yandex.status, 400, "{}", yandex.body);
        let invite = app
            .raw(
                "POST",
                "/v1/customers/C00000000/userinvitations/writer@altostrat.com:send",
                body,
            )
            .await;
        invite.expect_error(400, "INVALID_ARGUMENT");
    }
    assert_eq!(
        app.get("/_mock/state").await.ok(),
        before,
        "nothing changed"
    );
}

// ---- tenancy ------------------------------------------------------------------------------------------------

async fn provision_as(app: &TestApp, token: &str, domain: &str) -> String {
    let customer = app
        .call(
            "POST",
            &format!("/v1/{R1}/customers"),
            Some(crate::helpers::customer_body(domain)),
            Some(token),
        )
        .await
        .ok();
    let name = customer["name"].as_str().expect("name").to_string();
    let op = app
        .call(
            "POST",
            &format!("/v1/{name}:provisionCloudIdentity"),
            Some(json!({"cloudIdentityInfo": {"customerType": "DOMAIN"},
                        "user": {"email": format!("admin@{domain}")}})),
            Some(token),
        )
        .await
        .ok();
    op["name"].as_str().expect("operation name").to_string()
}

#[tokio::test]
async fn channel_operations_belong_to_the_account_that_started_them_rest() {
    let app = spawn_strict().await;
    let op = provision_as(&app, R1_TOKEN, "tenant-one.com").await;
    // The owner sees it.
    let mine = app
        .call("GET", &format!("/v1/{op}"), None, Some(R1_TOKEN))
        .await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    // Another reseller, and an admin with no Channel account, get NOT_FOUND: the same answer as a missing one.
    for token in [R2_TOKEN, CI_ADMIN_TOKEN] {
        let get = app
            .call("GET", &format!("/v1/{op}"), None, Some(token))
            .await;
        get.expect_error(404, "NOT_FOUND");
        let missing = app
            .call("GET", "/v1/operations/provision-nope", None, Some(token))
            .await;
        assert_eq!(
            get.error_message().replace(&op, "X"),
            missing
                .error_message()
                .replace("operations/provision-nope", "X")
        );
        app.call(
            "POST",
            &format!("/v1/{op}:cancel"),
            Some(json!({})),
            Some(token),
        )
        .await
        .expect_error(404, "NOT_FOUND");
        app.call("DELETE", &format!("/v1/{op}"), None, Some(token))
            .await
            .expect_error(404, "NOT_FOUND");
        let list = app
            .call("GET", "/v1/operations", None, Some(token))
            .await
            .ok();
        let names: Vec<&str> = list["operations"]
            .as_array()
            .map(|ops| ops.iter().filter_map(|o| o["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(!names.contains(&op.as_str()), "{token} lists {names:?}");
    }
    // Still running and still the owner's: nothing the others did touched it.
    let after = app
        .call("GET", &format!("/v1/{op}"), None, Some(R1_TOKEN))
        .await
        .ok();
    assert!(after.get("error").is_none(), "{after}");
    let list = app
        .call("GET", "/v1/operations", None, Some(R1_TOKEN))
        .await
        .ok();
    assert!(list.to_string().contains(&op), "{list}");
    // Without a token: UNAUTHENTICATED, as before.
    app.get(&format!("/v1/{op}"))
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn channel_operations_belong_to_the_account_that_started_them_grpc() {
    use provmock::proto::google::longrunning as lro;
    let app = spawn_strict().await;
    let op = provision_as(&app, R1_TOKEN, "tenant-grpc.com").await;
    let channel = tonic::transport::Channel::from_shared(app.server.uri())
        .expect("uri")
        .connect()
        .await
        .expect("h2c");
    let mut ops = lro::operations_client::OperationsClient::new(channel);
    let with = |token: &str, name: &str| {
        let mut r = tonic::Request::new(lro::GetOperationRequest { name: name.into() });
        r.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("metadata"),
        );
        r
    };
    assert!(ops.get_operation(with(R1_TOKEN, &op)).await.is_ok());
    for token in [R2_TOKEN, CI_ADMIN_TOKEN] {
        let err = ops
            .get_operation(with(token, &op))
            .await
            .expect_err("another tenant's");
        assert_eq!(err.code(), tonic::Code::NotFound, "{err:?}");
        let mut cancel = tonic::Request::new(lro::CancelOperationRequest { name: op.clone() });
        cancel.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("metadata"),
        );
        let err = ops.cancel_operation(cancel).await.expect_err("cancel");
        assert_eq!(err.code(), tonic::Code::NotFound);
        let mut list = tonic::Request::new(lro::ListOperationsRequest {
            name: "operations".into(),
            ..Default::default()
        });
        list.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("metadata"),
        );
        let page = ops.list_operations(list).await.expect("list").into_inner();
        assert!(
            page.operations.iter().all(|o| o.name != op),
            "{token} must not list {op}"
        );
    }
}

// ---- SCP signatures over HTTP/2 -----------------------------------------------------------------------------

fn scp_headers(url_signed: &str) -> Vec<(&'static str, String)> {
    let ts = chrono::Utc::now().timestamp_millis().to_string();
    let sig = sign(
        "SKTEST",
        &SignedRequest {
            method: "POST",
            url: url_signed,
            timestamp: &ts,
            access_key: "AKTEST",
            account_id: "",
            client_type: "Openapi",
        },
    );
    vec![
        ("Scp-AccessKey", "AKTEST".into()),
        ("Scp-Signature", sig),
        ("Scp-Timestamp", ts),
        ("Scp-ClientType", "Openapi".into()),
        ("Scp-API-Version", "cloudcontrol 1.2".into()),
    ]
}

async fn scp_create(client: &reqwest::Client, base: &str, name: &str) -> reqwest::Response {
    let url = format!("{base}/v1/accounts");
    let mut req = client.post(&url).json(&json!({
        "name": name, "email": format!("{name}@example.com"),
        "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
        "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}));
    for (k, v) in scp_headers(&url) {
        req = req.header(k, v);
    }
    req.send().await.expect("sent")
}

#[tokio::test]
async fn scp_signatures_verify_over_http1_and_http2_plain_and_tls() {
    let app = spawn_with(Config {
        auth: AuthMode::Strict,
        ..Config::default()
    })
    .await;
    let ca = app.server.ca_pem().expect("generated CA");
    let cert = reqwest::Certificate::from_pem(ca.as_bytes()).expect("PEM");
    let plain = app.server.uri();
    let tls = app.server.tls_uri().expect("TLS on");
    let cases = [
        (
            "h1 plain",
            reqwest::Client::builder().http1_only().build(),
            plain.clone(),
            reqwest::Version::HTTP_11,
        ),
        (
            "h2c",
            reqwest::Client::builder().http2_prior_knowledge().build(),
            plain.clone(),
            reqwest::Version::HTTP_2,
        ),
        (
            "h1 tls",
            reqwest::Client::builder()
                .add_root_certificate(cert.clone())
                .http1_only()
                .build(),
            tls.clone(),
            reqwest::Version::HTTP_11,
        ),
        (
            "h2 tls (ALPN)",
            reqwest::Client::builder()
                .add_root_certificate(cert.clone())
                .build(),
            tls.clone(),
            reqwest::Version::HTTP_2,
        ),
    ];
    for (i, (what, client, base, version)) in cases.into_iter().enumerate() {
        let client = client.expect("client");
        let resp = scp_create(&client, &base, &format!("signed-{i}")).await;
        assert_eq!(resp.version(), version, "{what}");
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        assert_eq!(status, 201, "{what}: {body}");
    }
}

// ---- the control token --------------------------------------------------------------------------------------

#[tokio::test]
async fn a_control_token_locks_every_control_call_but_health_and_the_ca() {
    let app = spawn_with(Config {
        control_token: Some("s3cret-control".into()),
        ..Config::default()
    })
    .await;
    let before = app
        .call("GET", "/_mock/state", None, Some("s3cret-control"))
        .await
        .ok();
    for (method, path, body) in [
        ("GET", "/_mock/state", None),
        ("PUT", "/_mock/state", Some(json!({}))),
        ("POST", "/_mock/reset", None),
        ("GET", "/_mock/journal", None),
        ("POST", "/_mock/faults", Some(json!({"code": "INTERNAL"}))),
        ("POST", "/_mock/operations:flush", None),
        ("GET", "/_mock/nope", None),
    ] {
        let none = app.call(method, path, body.clone(), None).await;
        none.expect_error(401, "UNAUTHENTICATED");
        assert!(
            none.error_message().contains("--control-token"),
            "{}",
            none.body
        );
        let wrong = app.call(method, path, body, Some("guess")).await;
        wrong.expect_error(401, "UNAUTHENTICATED");
    }
    assert_eq!(app.get("/_mock/health").await.status, 200);
    let ca = app
        .http
        .get(app.url("/_mock/ca.pem"))
        .send()
        .await
        .expect("ca");
    assert_eq!(ca.status(), 200);
    let after = app
        .call("GET", "/_mock/state", None, Some("s3cret-control"))
        .await
        .ok();
    assert_eq!(before, after, "refused calls changed nothing");
    // The API itself is not behind the control token.
    assert_eq!(app.get(&format!("/v1/{R1}/customers")).await.status, 200);
}

// ---- connections --------------------------------------------------------------------------------------------

#[tokio::test]
async fn past_the_connection_limit_health_answers_and_the_rest_is_503() {
    let app = spawn_with(Config {
        no_tls: true,
        max_connections: 3,
        ..Config::default()
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(
            TcpStream::connect(app.server.addr())
                .await
                .expect("connect"),
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let fresh = || reqwest::Client::builder().build().expect("client");
    let over = fresh()
        .get(app.url(&format!("/v1/{R1}/customers")))
        .send()
        .await
        .expect("answered, not dropped");
    assert_eq!(over.status(), 503);
    let body: Value = over.json().await.expect("json");
    assert_eq!(body["error"]["status"], "UNAVAILABLE", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("--max-connections")
    );
    let health = fresh()
        .get(app.url("/_mock/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200, "health answers over the limit");
    drop(idle);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let back = fresh()
        .get(app.url(&format!("/v1/{R1}/customers")))
        .send()
        .await
        .expect("sent");
    assert_eq!(back.status(), 200, "served again once connections closed");
}

/// Reads until the server closes the connection (at most `within`); what it sent.
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    tokio::time::timeout(within, s.read_to_end(&mut out))
        .await
        .ok()
        .map(|_| out)
}

#[tokio::test]
async fn idle_connections_and_slow_heads_are_closed() {
    let app = spawn_with(Config {
        no_tls: true,
        idle_timeout: Duration::from_millis(300),
        header_timeout: Duration::from_millis(400),
        ..Config::default()
    })
    .await;
    // Idle: connects and sends nothing.
    let mut s = TcpStream::connect(app.server.addr())
        .await
        .expect("connect");
    assert!(
        read_until_closed(&mut s, Duration::from_secs(5))
            .await
            .is_some(),
        "an idle connection is closed"
    );
    // Slow head: half a request line and never the rest.
    let mut s = TcpStream::connect(app.server.addr())
        .await
        .expect("connect");
    s.write_all(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    assert!(
        read_until_closed(&mut s, Duration::from_secs(5))
            .await
            .is_some(),
        "a head that never ends is closed"
    );
    // A busy keep-alive connection is not idle.
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .get(app.url("/_mock/health"))
            .send()
            .await
            .expect("ok");
        assert_eq!(r.status(), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn a_body_that_stalls_gets_408_in_the_familys_format_and_changes_nothing() {
    let app = spawn_with(Config {
        no_tls: true,
        body_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let before = app.get(&format!("/v1/{R1}/customers")).await.ok();
    for (path, scp) in [
        (format!("/v1/{R1}/customers"), false),
        ("/v1/accounts".to_string(), true),
    ] {
        let mut s = TcpStream::connect(app.server.addr())
            .await
            .expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"dom"
        );
        s.write_all(head.as_bytes()).await.expect("write");
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("answered within the timeout")
            .expect("read");
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        let body: Value =
            serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap_or("")).expect("JSON body");
        if scp {
            assert_eq!(body["errors"][0]["code"], "REQUEST_TIMEOUT", "{body}");
        } else {
            assert_eq!(body["error"]["status"], "DEADLINE_EXCEEDED", "{body}");
        }
    }
    assert_eq!(app.get(&format!("/v1/{R1}/customers")).await.ok(), before);
}

// ---- error formats ------------------------------------------------------------------------------------------

async fn raw_http1(addr: SocketAddr, request: &[u8]) -> (String, Value) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and close) before it has read all of a huge request: ignore write errors.
    let _ = s.write_all(request).await;
    let out = read_until_closed(&mut s, Duration::from_secs(5))
        .await
        .expect("the server answers and closes");
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head.to_string(),
        serde_json::from_str(body).unwrap_or(Value::String(body.to_string())),
    )
}

#[tokio::test]
async fn oversized_and_malformed_heads_get_json_bodies() {
    let app = spawn_app().await;
    let addr = app.server.addr();
    let mut many = String::from("GET /v1/accounts/C01234567/customers HTTP/1.1\r\nHost: x\r\n");
    for i in 0..150 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let big_header = format!(
        "GET /_mock/health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    let long_uri = format!("GET /v1/{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    for (what, req, status) in [
        ("150 headers", many, "431"),
        ("a 100 KB header", big_header, "431"),
        ("a 70 KB URI", long_uri, "431"),
        ("garbage", "NOT HTTP AT ALL\r\n\r\n".to_string(), "400"),
    ] {
        let (head, body) = raw_http1(addr, req.as_bytes()).await;
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status}")),
            "{what}: {head}"
        );
        assert_eq!(body["error"]["code"].to_string(), status, "{what}: {body}");
        assert!(body["error"]["message"].is_string(), "{what}: {body}");
    }
    assert_alive(&app).await;
}

#[tokio::test]
async fn a_grpc_content_type_on_a_rest_path_is_answered_as_rest() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(app.url(&format!("/v1/{R1}/customers")))
        .header("content-type", "application/grpc")
        .body(vec![0u8, 0, 0, 0, 2, 8, 1])
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("a JSON body");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "{body}");
}

#[tokio::test]
async fn scp_custom_verbs_answer_in_scps_format() {
    let app = spawn_app().await;
    let r = app.post("/v1/accounts:foo", json!({})).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(r.body["errors"][0]["detail"].is_string(), "{}", r.body);
}

#[tokio::test]
async fn json_arrays_where_objects_belong_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let before = app.get("/_mock/state").await.ok();
    let put = app.raw("PUT", "/_mock/state", b"[]".to_vec()).await;
    put.expect_error(400, "INVALID_ARGUMENT");
    let nested = app
        .raw("PUT", "/_mock/state", br#"{"google": []}"#.to_vec())
        .await;
    nested.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        nested.error_message().contains("sequence"),
        "{}",
        nested.body
    );
    assert_eq!(
        app.get("/_mock/state").await.ok(),
        before,
        "the world is intact"
    );
    let send = app
        .raw(
            "POST",
            "/v1/customers/C00000000/userinvitations/writer@altostrat.com:send",
            b"[]".to_vec(),
        )
        .await;
    send.expect_error(400, "INVALID_ARGUMENT");
    let create = app
        .raw("POST", &format!("/v1/{R1}/customers"), b"[]".to_vec())
        .await;
    create.expect_error(400, "INVALID_ARGUMENT");
    let scp = app.raw("POST", "/v1/accounts", b"[\"a\"]".to_vec()).await;
    assert_eq!(scp.status, 400, "{}", scp.body);
    assert!(scp.body["errors"][0]["detail"].is_string(), "{}", scp.body);
    let yandex = app
        .raw("POST", "/organization-manager/v1/idp/users", b"[]".to_vec())
        .await;
    assert_eq!(yandex.status, 400, "{}", yandex.body);
    assert_eq!(yandex.body["code"], 3, "{}", yandex.body);
    assert_eq!(
        app.get("/_mock/state").await.ok(),
        before,
        "the world is intact"
    );
}

// ---- raw gRPC (h2) ------------------------------------------------------------------------------------------

/// One unary gRPC call over raw HTTP/2: response headers, data, trailers.
async fn h2_call(
    addr: SocketAddr,
    path: &str,
    message: &[u8],
) -> (http::HeaderMap, Bytes, Option<http::HeaderMap>) {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (client, conn) = h2::client::handshake(tcp).await.expect("h2 handshake");
    tokio::spawn(conn);
    let mut client = client.ready().await.expect("ready");
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let (resp, mut send) = client.send_request(req, false).expect("send");
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    send.send_data(Bytes::from(frame), true).expect("data");
    let resp = tokio::time::timeout(Duration::from_secs(5), resp)
        .await
        .expect("answered")
        .expect("response");
    let (parts, mut body) = resp.into_parts();
    let mut data = BytesMut::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.expect("data frame");
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await.expect("trailers");
    (parts.headers, data.freeze(), trailers)
}

fn status_of(headers: &http::HeaderMap, trailers: &Option<http::HeaderMap>) -> Option<String> {
    trailers
        .as_ref()
        .and_then(|t| t.get("grpc-status"))
        .or_else(|| headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn undecodable_protobuf_is_invalid_argument_with_details() {
    let app = spawn_app().await;
    let (headers, _, trailers) = h2_call(
        app.server.addr(),
        "/google.cloud.channel.v1.CloudChannelService/GetCustomer",
        &[0xff, 0xff, 0xff, 0xff],
    )
    .await;
    assert_eq!(status_of(&headers, &trailers).as_deref(), Some("3"));
    let all = trailers.unwrap_or(headers);
    let details = all.get("grpc-status-details-bin").expect("details present");
    assert!(!details.is_empty());
    let msg = all
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(msg.contains("GetCustomer"), "{msg}");
}

#[tokio::test]
async fn yandex_rpcs_send_request_and_trace_ids_as_headers_on_success_and_error() {
    use provmock::proto::yandex::cloud::organizationmanager::v1::idp as ypb;
    let app = spawn_app().await;
    let missing = ypb::GetUserRequest {
        user_id: "nope".into(),
    }
    .encode_to_vec();
    let (headers, _, trailers) = h2_call(
        app.server.addr(),
        "/yandex.cloud.organizationmanager.v1.idp.UserService/Get",
        &missing,
    )
    .await;
    assert!(headers.contains_key("x-request-id"), "{headers:?}");
    assert!(headers.contains_key("x-server-trace-id"), "{headers:?}");
    assert!(
        !headers.contains_key("grpc-status"),
        "the status comes after the headers, in trailers: {headers:?}"
    );
    let trailers = trailers.expect("trailers");
    assert_eq!(
        trailers.get("grpc-status").and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let pool = ypb::GetUserpoolRequest {
        userpool_id: "ek0provmockpool00001".into(),
    }
    .encode_to_vec();
    let (headers, data, trailers) = h2_call(
        app.server.addr(),
        "/yandex.cloud.organizationmanager.v1.idp.UserpoolService/Get",
        &pool,
    )
    .await;
    assert!(headers.contains_key("x-request-id") && headers.contains_key("x-server-trace-id"));
    assert_eq!(status_of(&headers, &trailers).as_deref(), Some("0"));
    assert!(data.len() > 5, "a userpool came back");
}

// ---- reflection ---------------------------------------------------------------------------------------------

/// The next answer on an open reflection stream (at most 5 s away).
async fn next<T>(answers: &mut tonic::Streaming<T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), answers.message())
        .await
        .expect("answered while our side stays open")
        .expect("an answer, not a failed stream")
        .expect("an answer, not the end of the stream")
}

#[tokio::test]
async fn reflection_answers_on_an_open_stream_and_lists_every_rpc() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let app = spawn_app().await;
    let channel = tonic::transport::Channel::from_shared(app.server.uri())
        .expect("uri")
        .connect()
        .await
        .expect("h2c");
    let (tx, rx) = tokio::sync::mpsc::channel::<ServerReflectionRequest>(4);
    let requests =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
    let ask = |m: MessageRequest| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(m),
    };
    tx.send(ask(MessageRequest::ListServices(String::new())))
        .await
        .expect("queued");
    let mut client = ServerReflectionClient::new(channel);
    let mut answers = tokio::time::timeout(
        Duration::from_secs(5),
        client.server_reflection_info(requests),
    )
    .await
    .expect("the stream opens while ours stays open")
    .expect("reflection")
    .into_inner();
    let first = next(&mut answers).await;
    let Some(MessageResponse::ListServicesResponse(list)) = first.message_response else {
        panic!("expected a service list: {first:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names
            .iter()
            .any(|n| n == "google.cloud.channel.v1.CloudChannelService"),
        "{names:?}"
    );
    // A second question on the same open stream.
    tx.send(ask(MessageRequest::FileContainingSymbol(
        "google.cloud.channel.v1.CloudChannelService".into(),
    )))
    .await
    .expect("queued");
    let second = next(&mut answers).await;
    let Some(MessageResponse::FileDescriptorResponse(files)) = second.message_response else {
        panic!("expected descriptors: {second:?}");
    };
    let methods: Vec<String> = files
        .file_descriptor_proto
        .iter()
        .filter_map(|b| prost_types::FileDescriptorProto::decode(b.as_slice()).ok())
        .flat_map(|f| f.service)
        .filter(|s| s.name() == "CloudChannelService")
        .flat_map(|s| s.method)
        .map(|m| m.name().to_string())
        .collect();
    assert_eq!(methods.len(), 49, "{methods:?}");
    assert!(methods.iter().any(|m| m == "CreateEntitlement"));
    // An unknown symbol is an error answer; the stream stays usable.
    tx.send(ask(MessageRequest::FileContainingSymbol(
        "no.such.Service".into(),
    )))
    .await
    .expect("queued");
    let third = next(&mut answers).await;
    let Some(MessageResponse::ErrorResponse(e)) = third.message_response else {
        panic!("expected an error answer: {third:?}");
    };
    assert_eq!(e.error_code, tonic::Code::NotFound as i32);
    tx.send(ask(MessageRequest::ListServices(String::new())))
        .await
        .expect("queued");
    let fourth = next(&mut answers).await;
    assert!(matches!(
        fourth.message_response,
        Some(MessageResponse::ListServicesResponse(_))
    ));
    drop(tx);
    let end = tokio::time::timeout(Duration::from_secs(5), answers.message())
        .await
        .expect("the stream ends when we close ours");
    assert!(matches!(end, Ok(None)), "{end:?}");
}

#[tokio::test]
async fn declared_but_unserved_rpcs_answer_unimplemented_naming_the_rpc() {
    let app = spawn_app().await;
    let (headers, _, trailers) = h2_call(
        app.server.addr(),
        "/google.cloud.channel.v1.CloudChannelService/ListSkuGroups",
        &[],
    )
    .await;
    assert_eq!(status_of(&headers, &trailers).as_deref(), Some("12"));
    let all = trailers.unwrap_or(headers);
    let msg = all
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(msg.contains("ListSkuGroups"), "{msg}");
}

// ---- SCP Organization versions ------------------------------------------------------------------------------

#[tokio::test]
async fn organization_1_2_is_current_and_1_1_and_1_0_still_answer() {
    let app = spawn_app().await;
    let created = scp_create(&app.http, &app.server.uri(), "versions-org").await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.expect("json")["account_id"]
        .as_str()
        .expect("id")
        .to_string();
    for v in ["organization 1.2", "organization 1.1", "organization 1.0"] {
        let r = app
            .http
            .get(app.url(&format!("/v1/organization-accounts/{id}")))
            .header("Scp-API-Version", v)
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 200, "{v}");
        let list = app
            .http
            .get(app.url("/v1/organization-accounts"))
            .header("Scp-API-Version", v)
            .send()
            .await
            .expect("sent");
        assert_eq!(list.status(), 200, "{v}");
    }
    let unknown = app
        .http
        .get(app.url(&format!("/v1/organization-accounts/{id}")))
        .header("Scp-API-Version", "organization 1.3")
        .send()
        .await
        .expect("sent");
    assert_eq!(unknown.status(), 400);
}

// ---- descriptors --------------------------------------------------------------------------------------------

/// The binary under a 256-descriptor limit, flooded with 600 idle sockets: it lowers its connection cap to fit,
/// closes the excess, and health answers a second later.
#[cfg(unix)]
#[tokio::test]
async fn a_flood_of_idle_sockets_cannot_exhaust_descriptors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 256 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_provmock"))
        .args(["--port", &port.to_string(), "--no-tls"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let http = reqwest::Client::new();
    let health = |c: reqwest::Client| async move {
        c.get(format!("http://{addr}/_mock/health"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    let mut up = false;
    for _ in 0..100 {
        if health(http.clone()).await == 200 {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "provmock started");
    let mut flood = Vec::new();
    for _ in 0..600 {
        match TcpStream::connect(addr).await {
            Ok(s) => flood.push(s),
            Err(_) => break,
        }
    }
    assert!(
        flood.len() >= 300,
        "the flood connected ({} sockets)",
        flood.len()
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut answered = false;
    for _ in 0..10 {
        if health(reqwest::Client::new()).await == 200 {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(flood);
    let _ = child.kill();
    let out = child.wait_with_output().expect("exits");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(answered, "health answers during the flood; log: {log}");
    assert!(!log.contains("Too many open files"), "{log}");
    assert!(log.contains("--max-connections lowered"), "{log}");
}
