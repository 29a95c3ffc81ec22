//! Model-based: random sequences of calls across the four families — under reseller accounts, partner links and
//! Yandex organizations the fixtures do not list (a permissive world accepts them), with failures (a duplicate, an
//! injected fault), deletes, policy changes, a family reset and a state import, operations finishing and the clock
//! moving — and then the invariants: export → import → export is the identity; a data dir restarted twice
//! reproduces the same export with every acknowledged resource in it; and the data dir as a crash would have left
//! it at a random point (its files copied there, with a torn half record after them) restarts to the export of
//! that point.

use std::time::Duration;

use proptest::prelude::*;
use provmock::{Config, MockServer};
use serde_json::{Value, json};

use crate::helpers::{TestApp, customer_body};

#[derive(Debug, Clone)]
enum Step {
    /// A customer under one of three accounts (two unknown), directly or under an unknown partner link.
    Customer {
        account: usize,
        via_link: bool,
    },
    /// A Yandex userpool under the fixture organization or an unknown one.
    Userpool {
        known_org: bool,
    },
    /// A user in the last userpool created (or the fixture pool).
    User,
    ScpAccount,
    /// Send one of the default world's invitations.
    Invite(usize),
    /// Finish every pending operation.
    Flush,
    /// Move provmock's clock.
    Advance(u32),
    /// The first customer's create again: ALREADY_EXISTS, nothing changes.
    Duplicate,
    /// A create failed by an injected fault: nothing changes.
    Faulted,
    /// Delete the newest customer still there.
    DeleteCustomer,
    /// A kind's operations become manual (or go back to the default).
    Policy(bool),
    /// Reset SCP to the fixtures.
    ResetScp,
    /// Import the world's own export.
    ImportSelf,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..3, any::<bool>())
            .prop_map(|(account, via_link)| Step::Customer { account, via_link }),
        any::<bool>().prop_map(|known_org| Step::Userpool { known_org }),
        Just(Step::User),
        Just(Step::ScpAccount),
        (0usize..3).prop_map(Step::Invite),
        Just(Step::Flush),
        (1u32..2_000).prop_map(Step::Advance),
        Just(Step::Duplicate),
        Just(Step::Faulted),
        Just(Step::DeleteCustomer),
        any::<bool>().prop_map(Step::Policy),
        Just(Step::ResetScp),
        Just(Step::ImportSelf),
    ]
}

const ACCOUNTS: [&str; 3] = ["C01234567", "acme1", "zeta-reseller"];
const KNOWN_ORG: &str = "bpfprovmockorg000001";
const INVITEES: [&str; 3] = [
    "writer@altostrat.com",
    "alice@altostrat.com",
    "bob@altostrat.com",
];

/// Runs the steps; returns the names of the resources the server acknowledged (and still holds). With
/// `crash_at`, the data dir `dir` is copied as it is after that many steps, with the export of that moment.
async fn run(
    app: &TestApp,
    steps: &[Step],
    crash_at: Option<(usize, &std::path::Path)>,
) -> (Vec<String>, Option<(std::path::PathBuf, Value)>) {
    let mut acked = Vec::new();
    let mut pools = vec!["ek0provmockpool00001".to_string()];
    let mut customers: Vec<String> = Vec::new();
    let mut crash = None;
    for (i, s) in steps.iter().enumerate() {
        if let Some((at, dir)) = crash_at
            && at == i
        {
            crash = Some((crash_copy(dir), export(app).await));
        }
        match s {
            Step::Customer { account, via_link } => {
                let parent = if *via_link {
                    format!("accounts/{}/channelPartnerLinks/L{i}", ACCOUNTS[*account])
                } else {
                    format!("accounts/{}", ACCOUNTS[*account])
                };
                let r = app
                    .post(
                        &format!("/v1/{parent}/customers"),
                        customer_body(&format!("rt{i}.example.com")),
                    )
                    .await;
                assert_eq!(r.status, 200, "{s:?}: {}", r.body);
                let name = r.body["name"].as_str().unwrap_or_default().to_string();
                customers.push(name.clone());
                acked.push(name);
            }
            Step::Userpool { known_org } => {
                let org = if *known_org {
                    KNOWN_ORG.to_string()
                } else {
                    format!("bpfunknownorg{i:07}")
                };
                let r = app
                    .post(
                        "/organization-manager/v1/idp/userpools",
                        json!({"organizationId": org, "name": format!("pool-{i}"), "defaultSubdomain": format!("sub{i}")}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{s:?}: {}", r.body);
                let id = r.body["metadata"]["userpoolId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert!(!id.is_empty(), "{}", r.body);
                pools.push(id.clone());
                acked.push(id);
            }
            Step::User => {
                let pool = pools.last().cloned().unwrap_or_default();
                let r = app
                    .post(
                        "/organization-manager/v1/idp/users",
                        json!({"userpoolId": pool, "username": format!("u{i}@x{i}.idp.yandexcloud.net"),
                               "fullName": "Round Trip", "passwordSpec": {"password": "S3cret-Passw0rd!"}}),
                    )
                    .await;
                // A pool still being created (its operation pending) may refuse users; a refusal changes nothing.
                if r.status == 200 {
                    acked.push(
                        r.body["metadata"]["userId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
            Step::ScpAccount => {
                let r = app
                    .http
                    .post(app.url("/v1/accounts"))
                    .header("Scp-API-Version", "cloudcontrol 1.2")
                    .json(
                        &json!({"name": format!("rt-{i}"), "email": format!("rt{i}@example.com"),
                                  "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
                                  "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}),
                    )
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(r.status(), 201);
                let v: Value = r.json().await.expect("json");
                acked.push(v["account_id"].as_str().unwrap_or_default().to_string());
            }
            Step::Invite(n) => {
                let r = app
                    .post(
                        &format!(
                            "/v1/customers/C00000000/userinvitations/{}:send",
                            INVITEES[*n]
                        ),
                        json!({}),
                    )
                    .await;
                assert_eq!(r.status, 200, "{s:?}: {}", r.body);
            }
            Step::Flush => {
                let r = app
                    .call("POST", "/_mock/operations:flush", None, None)
                    .await;
                assert_eq!(r.status, 200);
            }
            Step::Advance(secs) => {
                let r = app
                    .call(
                        "POST",
                        "/_mock/clock:advance",
                        Some(json!({"seconds": secs})),
                        None,
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
            Step::Duplicate => {
                let before = export(app).await;
                let r = app
                    .post(
                        "/v1/accounts/C01234567/customers",
                        customer_body("dup.example.com"),
                    )
                    .await;
                if r.status == 200 {
                    acked.push(r.body["name"].as_str().unwrap_or_default().to_string());
                    customers.push(r.body["name"].as_str().unwrap_or_default().to_string());
                } else {
                    assert_eq!(r.status, 409, "{}", r.body);
                    assert_eq!(
                        export(app).await,
                        before,
                        "a refused create changes nothing"
                    );
                }
            }
            Step::Faulted => {
                let before = export(app).await;
                let r = app
                    .http
                    .post(app.url("/v1/accounts/C01234567/customers"))
                    .header("x-provmock-fault", "UNAVAILABLE")
                    .json(&customer_body(&format!("faulted{i}.example.com")))
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(r.status(), 503);
                assert_eq!(
                    export(app).await,
                    before,
                    "a faulted create changes nothing"
                );
            }
            Step::DeleteCustomer => {
                if let Some(name) = customers.pop() {
                    let r = app.delete(&format!("/v1/{name}")).await;
                    assert_eq!(r.status, 200, "{}", r.body);
                    acked.retain(|n| n != &name);
                }
            }
            Step::Policy(manual) => {
                let r = if *manual {
                    app.call(
                        "PUT",
                        "/_mock/operations/policy",
                        Some(json!({"kind": "yandex.createUser", "policy": "manual"})),
                        None,
                    )
                    .await
                } else {
                    app.call("DELETE", "/_mock/operations/policy", None, None)
                        .await
                };
                assert_eq!(r.status, 200, "{}", r.body);
            }
            Step::ResetScp => {
                let r = app
                    .call("POST", "/_mock/reset?family=scp", None, None)
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                // SCP accounts are gone; drop them from what must be there.
                let state = export(app).await;
                let text = state.to_string();
                acked.retain(|n| text.contains(n.as_str()));
            }
            Step::ImportSelf => {
                let state = export(app).await;
                let put = app
                    .raw(
                        "PUT",
                        "/_mock/state",
                        serde_json::to_vec(&state).expect("json"),
                    )
                    .await;
                assert_eq!(put.status, 200, "{}", put.body);
            }
        }
    }
    (acked, crash)
}

/// The data dir's files as a crash would leave them now (every acknowledged record is fsynced), with half a record
/// after the last one (a write the crash cut), over the log's preallocated zeros if it has them.
fn crash_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let to = std::env::temp_dir().join(format!("provmock-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&to).expect("dir");
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        if e.file_name() != "lock" {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
    let log = to.join("changes.log");
    let mut bytes = std::fs::read(&log).expect("log");
    // The cut write lands where the records end: the file's end, or the zeros the log is extended with.
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let torn = br#"0badc0de {"seq":99999,"changes":{"google_cust"#;
    let over = (end + torn.len()).min(bytes.len());
    bytes.splice(end..over, torn.iter().copied());
    std::fs::write(&log, bytes).expect("torn");
    to
}

fn config(data_dir: Option<std::path::PathBuf>) -> Config {
    Config {
        no_tls: true,
        lro_delay: Duration::from_secs(3600),
        data_dir,
        ..Config::default()
    }
}

async fn start(data_dir: Option<std::path::PathBuf>) -> TestApp {
    TestApp {
        server: MockServer::start_with(config(data_dir), None)
            .await
            .expect("starts"),
        http: reqwest::Client::new(),
    }
}

/// The export, once the completer has settled.
async fn export(app: &TestApp) -> Value {
    tokio::time::sleep(Duration::from_millis(30)).await;
    app.get("/_mock/state").await.ok()
}

fn assert_holds(export: &Value, acked: &[String]) {
    let text = export.to_string();
    for name in acked {
        assert!(
            text.contains(name.as_str()),
            "acknowledged `{name}` missing from the export"
        );
    }
}

async fn check(steps: Vec<Step>, crash_at: usize) {
    // Export → import → export.
    let app = start(None).await;
    let (acked, _) = run(&app, &steps, None).await;
    let first = export(&app).await;
    assert_holds(&first, &acked);
    let put = app
        .raw(
            "PUT",
            "/_mock/state",
            serde_json::to_vec(&first).expect("json"),
        )
        .await;
    assert_eq!(put.status, 200, "the export imports: {}", put.body);
    assert_eq!(
        export(&app).await,
        first,
        "export → import → export is the identity"
    );
    app.server.shutdown().await;

    // A data dir: the same calls, then two restarts.
    let dir = std::env::temp_dir().join(format!("provmock-roundtrip-{}", uuid::Uuid::new_v4()));
    let app = start(Some(dir.clone())).await;
    let (acked, crash) = run(&app, &steps, Some((crash_at % steps.len(), &dir))).await;
    let before = export(&app).await;
    assert_holds(&before, &acked);
    app.server.shutdown().await;
    for restart in ["replaying the log", "from the snapshot"] {
        let app = start(Some(dir.clone())).await;
        assert_eq!(
            export(&app).await,
            before,
            "a restart {restart} reproduces the world"
        );
        app.server.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some((copy, then)) = crash {
        let app = start(Some(copy.clone())).await;
        assert_eq!(
            export(&app).await,
            then,
            "a crash at step {} restarts to the world of that moment",
            crash_at % steps.len()
        );
        app.server.shutdown().await;
        let _ = std::fs::remove_dir_all(&copy);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_world_the_api_reaches_round_trips(steps in prop::collection::vec(step(), 1..14), crash_at in 0usize..14) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(check(steps, crash_at));
    }
}

/// The case users hit: a customer under an account the fixtures do not list, and a userpool under an unknown
/// organization, survive export/import and a data dir restart after compaction.
#[tokio::test]
async fn unknown_parents_round_trip() {
    check(
        vec![
            Step::Customer {
                account: 1,
                via_link: false,
            },
            Step::Userpool { known_org: false },
            Step::Customer {
                account: 2,
                via_link: true,
            },
        ],
        2,
    )
    .await;
}
