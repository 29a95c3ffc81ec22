//! Walks every family's route table (`providers/<family>/routes.rs`, Channel's `routes/`): each route is reachable
//! over REST by a request shaped like its template (no ROUTE_NOT_FOUND, no 405), and over gRPC where its family
//! serves gRPC (no UNIMPLEMENTED); and its `writes` flag tells the truth: a call that changed the world (`GET
//! /_mock/state` before and after) went to a route that says it writes, so a `writes: false` route changed nothing.

use std::time::Duration;

use provmock::Config;
use provmock::internals::{Family, Route, tables};
use serde_json::{Value, json};

use crate::helpers::{R1, TestApp, customer_body, spawn_with};

/// What the walk names: a customer and an operation it made first, so reads and writes find something.
struct Made {
    customer: String,
    operation: String,
}

/// A value for the segment after `literal` that names something in the default fixtures (or made) where it can.
fn sample<'a>(made: &'a Made, family: Family, literal: &str) -> &'a str {
    match (family, literal) {
        (Family::Channel, "accounts") => "C01234567",
        (Family::Channel, "customers") => &made.customer,
        (Family::Channel, "operations") => &made.operation,
        (Family::Channel, "channelPartnerLinks") => "L1",
        (Family::Channel, "products") => "GOOGLE_WORKSPACE",
        (Family::CloudIdentity, "userinvitations") => "someone@example.com",
        _ => "x1",
    }
}

/// A path for a template: versions first where the family has them, each `*` and `**` filled with a sample.
fn path_of(made: &Made, family: Family, template: &str) -> String {
    let mut pattern = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        pattern.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("closed") + open;
        let inner = &rest[open + 1..close];
        pattern.push_str(inner.split_once('=').map_or("*", |(_, p)| p));
        rest = &rest[close + 1..];
    }
    pattern.push_str(rest);
    let (segments, verb) = match pattern.rfind(':') {
        Some(i) if !pattern[i..].contains('/') => (&pattern[..i], Some(&pattern[i + 1..])),
        _ => (pattern.as_str(), None),
    };
    let mut out = String::from(match family {
        Family::Channel | Family::CloudIdentity => "/v1",
        _ => "",
    });
    let mut previous = "";
    for seg in segments.split('/') {
        out.push('/');
        if seg == "*" || seg == "**" {
            out.push_str(sample(made, family, previous));
        } else {
            out.push_str(seg);
        }
        previous = seg;
    }
    if let Some(v) = verb {
        out.push(':');
        out.push_str(v);
    }
    out
}

/// A request body that succeeds for the writes worth seeing succeed, `{}` for the rest.
fn body_of(rpc: &str) -> Value {
    match rpc.rsplit('/').next().unwrap_or("") {
        "CreateCustomer" => customer_body("walk-created.example"),
        "UpdateCustomer" => json!({"orgDisplayName": "Walked"}),
        "ProvisionCloudIdentity" => provision_body(),
        _ => json!({}),
    }
}

fn provision_body() -> Value {
    json!({"cloudIdentityInfo": {"customerType": "DOMAIN", "alternateEmail": "it@other.org"},
           "user": {"email": "boss@walk.example", "givenName": "B", "familyName": "Oss"}})
}

async fn state(app: &TestApp) -> Value {
    app.get("/_mock/state").await.ok()
}

#[track_caller]
fn check_writes(route: &Route, how: &str, before: &Value, after: &Value) -> bool {
    assert!(
        before == after || route.writes,
        "{how} {} ({}) changed the world but its route says `writes: false`",
        route.template,
        route.rpc
    );
    before != after
}

/// A gRPC call with an empty request message: its `grpc-status` header (absent when the answer is not trailers-only).
async fn grpc_status(app: &TestApp, h2: &reqwest::Client, rpc: &str) -> Option<String> {
    let resp = h2
        .post(app.url(&format!("/{rpc}")))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .expect("gRPC call sent");
    let status = resp
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let _ = resp.bytes().await;
    status
}

#[tokio::test]
async fn every_route_is_reachable_and_its_writes_flag_is_true() {
    // Operations finish only when polled or cancelled, not in the background, so the state export moves only by
    // what the walk does.
    let app = spawn_with(Config {
        no_tls: true,
        lro_delay: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("h2c client");
    let customer = app.create_customer(R1, "walk.example").await;
    let customer = customer["name"].as_str().expect("name").to_string();
    let op = app
        .post(
            &format!("/v1/{customer}:provisionCloudIdentity"),
            provision_body(),
        )
        .await
        .ok();
    let made = Made {
        customer: customer.rsplit('/').next().unwrap_or("").to_string(),
        operation: op["name"]
            .as_str()
            .and_then(|n| n.strip_prefix("operations/"))
            .expect("operation name")
            .to_string(),
    };
    let (mut walked, mut grpc_walked, mut changed) = (0, 0, 0);
    for (family, table) in tables() {
        assert!(!table.is_empty(), "{family:?} has routes");
        for route in table {
            let path = path_of(&made, family, route.template);
            assert_eq!(
                Family::of_path(&path),
                family,
                "{path} picks its own family's table"
            );
            let body =
                matches!(route.method.as_str(), "POST" | "PATCH").then(|| body_of(route.rpc));
            let before = state(&app).await;
            let reply = app.call(route.method.as_str(), &path, body, None).await;
            let after = state(&app).await;
            assert_ne!(reply.status, 405, "{} {path}: {}", route.method, reply.body);
            let text = reply.body.to_string();
            assert!(
                !text.contains("ROUTE_NOT_FOUND")
                    && !text.contains("no route for")
                    && !text.contains("not implemented by"),
                "{} {path} ({}) is not routed: {text}",
                route.method,
                route.template
            );
            changed += usize::from(check_writes(route, route.method.as_str(), &before, &after));
            if route.grpc.is_some() {
                grpc_walked += 1;
                let before = state(&app).await;
                let status = grpc_status(&app, &h2, route.rpc).await;
                let after = state(&app).await;
                assert_ne!(
                    status.as_deref(),
                    Some("12"),
                    "gRPC {} is UNIMPLEMENTED",
                    route.rpc
                );
                changed += usize::from(check_writes(route, "gRPC", &before, &after));
            }
            walked += 1;
        }
    }
    assert!(walked > 60, "walked {walked} routes");
    // Every Channel and Yandex RPC is bound to gRPC on one of its routes.
    assert!(grpc_walked > 40, "called {grpc_walked} routes over gRPC");
    // The walk does write (create, update, delete a customer, read and delete an operation, …): the check bites.
    assert!(changed >= 4, "only {changed} calls changed the world");
    app.server.shutdown().await;
}

#[test]
fn rpc_names_are_unique_per_handler_and_grpc_methods_find_their_route() {
    for (family, table) in tables() {
        for (i, a) in table.iter().enumerate() {
            assert!(
                a.rpc.contains('/'),
                "{} names package.Service/Method",
                a.rpc
            );
            for b in &table[i + 1..] {
                assert!(
                    !(a.method == b.method && a.template == b.template),
                    "{family:?}: {} {} is declared twice",
                    a.method,
                    a.template
                );
                if a.rpc == b.rpc {
                    assert_eq!(a.writes, b.writes, "{}: one RPC, one writes flag", a.rpc);
                }
            }
            if matches!(family, Family::Channel | Family::Yandex) {
                let found = provmock::internals::grpc_route(&format!("/{}", a.rpc))
                    .expect("the gRPC method finds its route");
                assert_eq!(found.writes, a.writes, "{}", a.rpc);
                assert!(found.grpc.is_some(), "{} has a gRPC binding", a.rpc);
                if a.grpc.is_some() {
                    assert!(std::ptr::eq(found, a), "{} is bound to gRPC once", a.rpc);
                }
            } else {
                assert!(a.grpc.is_none(), "{family:?} has no gRPC: {}", a.rpc);
            }
        }
    }
}
