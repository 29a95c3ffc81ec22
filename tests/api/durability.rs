//! `--data-dir`: what a client saw succeed survives a restart and a `kill -9`; damaged files stop start-up with
//! the file and the offset.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use provmock::{Config, MockServer};
use serde_json::{Value, json};

use crate::helpers::{R1, R2, TestApp, customer_body};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("provmock-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn config(dir: &std::path::Path) -> Config {
    Config {
        no_tls: true,
        data_dir: Some(dir.to_path_buf()),
        lro_delay: Duration::from_secs(3600),
        ..Config::default()
    }
}

async fn start(dir: &std::path::Path) -> TestApp {
    let server = MockServer::start_with(config(dir), None)
        .await
        .expect("starts with the data dir");
    TestApp {
        server,
        http: reqwest::Client::new(),
    }
}

const LZ: &str = "2c8a138f8d78e1fc29a449dbfa8681";
const OU: &str = "ou-b30e9fcc39f84a20bf9e7458e5ec3801";

#[tokio::test]
async fn a_restart_resumes_the_world_pending_operations_and_the_id_sequence() {
    let dir = temp_dir("restart");
    let (customer, op, account, user, invitation) = {
        let app = start(&dir).await;
        let customer = app.create_customer(R1, "durable.com").await;
        let op = app
            .post(
                "/v1/accounts/C01234567/customers/S0NEWCUSTOMER1:provisionCloudIdentity",
                json!({"user": {"email": "d@example.org"}}),
            )
            .await
            .ok();
        let account = app
            .post(
                "/v1/accounts",
                json!({"name": "durable", "landing_zone_id": LZ, "parent_unit_id": OU}),
            )
            .await
            .ok();
        let user = app
            .post(
                "/organization-manager/v1/idp/users",
                json!({"userpoolId": "ek0provmockpool00001", "username": "d@x.y",
                "fullName": "D", "passwordSpec": {"password": "NotOnDisk-123"}}),
            )
            .await
            .ok();
        let invitation = app
            .post(
                "/v1/customers/C00000000/userinvitations/writer@altostrat.com:send",
                json!({}),
            )
            .await
            .ok();
        app.call(
            "PUT",
            "/_mock/operations/policy",
            Some(json!({"kind": "scp.createAccount", "policy": "manual"})),
            None,
        )
        .await
        .ok();
        app.server.shutdown().await;
        (customer, op, account, user, invitation)
    };
    crate::data_dir::assert_no_secret(&dir, &["NotOnDisk-123", "SKTEST", "example-auth-token"]);

    let app = start(&dir).await;
    let name = customer["name"].as_str().expect("name");
    assert_eq!(
        app.get(&format!("/v1/{name}")).await.ok(),
        customer,
        "identical, timestamps included"
    );
    let op_name = op["name"].as_str().expect("op");
    assert_eq!(
        app.get(&format!("/v1/{op_name}")).await.ok()["done"],
        false,
        "still pending"
    );
    app.post("/_mock/operations:flush", json!({})).await.ok();
    assert!(
        app.get(&format!("/v1/{op_name}")).await.ok()["response"]["cloudIdentityId"].is_string()
    );
    let acc = app
        .get(&format!(
            "/v1/organization-accounts/{}",
            account["account_id"].as_str().expect("id")
        ))
        .await
        .ok();
    assert_eq!(acc["account"]["name"], "durable");
    let user_id = user["metadata"]["userId"].as_str().expect("user id");
    assert_eq!(
        app.get(&format!("/organization-manager/v1/idp/users/{user_id}"))
            .await
            .ok()["username"],
        "d@x.y"
    );
    let inv = app
        .get("/v1/customers/C00000000/userinvitations/writer@altostrat.com")
        .await
        .ok();
    assert_eq!(inv["state"], "INVITED");
    assert_eq!(
        invitation["response"]["mailsSentCount"],
        inv["mailsSentCount"]
    );
    let policy = app.get("/_mock/operations/policy").await.ok();
    assert_eq!(policy["kinds"]["scp.createAccount"], "manual");
    // The id sequence goes on where it stopped: a new customer gets a fresh name.
    let next = app.create_customer(R1, "after-restart.com").await;
    assert_ne!(next["name"], customer["name"]);
    app.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn spawn(dir: &std::path::Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_provmock"))
        .args([
            "--port",
            &port.to_string(),
            "--no-tls",
            "--lro-delay",
            "50ms",
            "--data-dir",
        ])
        .arg(dir)
        // Folds every few hundred records, so the kills land in folds too (mid-write, between the renames).
        .env("PROVMOCK_DATA_DIR_FOLD_BYTES", "65536")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns")
}

async fn wait_healthy(http: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(r) = http.get(format!("{base}/_mock/health")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("provmock did not come back");
}

/// The kill -9 test: mixed creates from many clients, SIGKILL mid-run three times, restart, and every create a
/// client saw succeed must exist, with no invariant broken (no domain, name or username twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_across_kill_dash_9() {
    let dir = temp_dir("kill9");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let mut acknowledged: Vec<(String, Value)> = Vec::new();
    for round in 0..3 {
        let mut child = spawn(&dir, port);
        wait_healthy(&http, &base).await;
        let mut tasks = Vec::new();
        for client in 0..8 {
            let http = http.clone();
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                let mut ok = Vec::new();
                for i in 0..1000 {
                    let tag = format!("r{round}c{client}i{i}");
                    let (path, body) = match i % 3 {
                        0 => (format!("/v1/{R2}/customers"), customer_body(&format!("{tag}.example"))),
                        1 => ("/v1/accounts".to_string(), json!({"name": tag, "landing_zone_id": LZ, "parent_unit_id": OU})),
                        _ => ("/organization-manager/v1/idp/users".to_string(), json!({"userpoolId": "ek0provmockpool00001",
                            "username": format!("{tag}@x.y"), "fullName": "K", "passwordSpec": {"password": "p"}})),
                    };
                    match http.post(format!("{base}{path}")).json(&body).send().await {
                        Ok(r) if r.status().is_success() => {
                            if let Ok(v) = r.json::<Value>().await {
                                ok.push((path.clone(), v));
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break, // the server is gone
                    }
                }
                ok
            }));
        }
        // A random moment: SIGKILL lands mid-request, mid-batch or mid-compaction as it will.
        let at = 250 + (uuid::Uuid::new_v4().as_u128() % 700) as u64;
        println!("round {round}: SIGKILL after {at} ms");
        tokio::time::sleep(Duration::from_millis(at)).await;
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        for t in tasks {
            acknowledged.extend(t.await.expect("client task"));
        }
    }
    assert!(
        acknowledged.len() > 20,
        "the load made progress: {}",
        acknowledged.len()
    );

    let mut child = spawn(&dir, port);
    wait_healthy(&http, &base).await;
    let get = |path: String| {
        let http = http.clone();
        async move {
            http.get(path)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    for (path, v) in &acknowledged {
        let url = if path.starts_with("/v1/accounts/") {
            format!("{base}/v1/{}", v["name"].as_str().unwrap_or("?"))
        } else if path == "/v1/accounts" {
            format!(
                "{base}/v1/organization-accounts/{}",
                v["account_id"].as_str().unwrap_or("?")
            )
        } else {
            format!(
                "{base}/organization-manager/v1/idp/users/{}",
                v["metadata"]["userId"].as_str().unwrap_or("?")
            )
        };
        assert_eq!(get(url.clone()).await, 200, "lost after kill -9: {url}");
    }
    // The kills had folds to land in: the log was folded into new snapshot generations along the way.
    let snapshot = std::fs::read(dir.join("snapshot")).expect("snapshot");
    let head: Value =
        serde_json::from_slice(&snapshot[9..snapshot.len() - 1]).expect("snapshot json");
    println!("snapshot generation {}", head["generation"]);
    assert!(
        head["generation"].as_u64() > Some(1),
        "folded: {}",
        head["generation"]
    );
    // Invariants: each domain, account name and username at most once.
    let state: Value = http
        .get(format!("{base}/_mock/state"))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    let mut seen = std::collections::HashSet::new();
    for c in state["google"]["customers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert!(
            seen.insert(format!(
                "{}|{}",
                c["name"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit_once("/customers/")
                    .map(|x| x.0)
                    .unwrap_or(""),
                c["domain"]
            )),
            "duplicate domain {c}"
        );
    }
    for a in state["scp"]["accounts"].as_array().into_iter().flatten() {
        assert!(
            seen.insert(format!("scp|{}", a["name"])),
            "duplicate account {a}"
        );
    }
    for u in state["yandex"]["users"].as_array().into_iter().flatten() {
        assert!(
            seen.insert(format!("y|{}", u["profile"]["username"])),
            "duplicate username {u}"
        );
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_slow_body_holds_up_no_other_write() {
    let dir = temp_dir("slow-body");
    let app = start(&dir).await;
    // A client sends the head and half a body of a create, then nothing.
    let mut slow = tokio::net::TcpStream::connect(app.server.addr())
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/{R1}/customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{{\"domain\":"
    );
    tokio::io::AsyncWriteExt::write_all(&mut slow, head.as_bytes())
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Other writes, and a reset, go through meanwhile.
    let created = tokio::time::timeout(
        Duration::from_secs(5),
        app.post(
            &format!("/v1/{R2}/customers"),
            customer_body("while-slow.com"),
        ),
    )
    .await
    .expect("not held up by the slow body");
    assert_eq!(created.status, 200, "{}", created.body);
    let reset = tokio::time::timeout(
        Duration::from_secs(5),
        app.call("POST", "/_mock/reset", None, None),
    )
    .await
    .expect("reset not held up");
    assert_eq!(reset.status, 200);
    drop(slow);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn one_process_per_data_dir() {
    let dir = temp_dir("one-process");
    let first = start(&dir).await;
    let second = MockServer::start_with(config(&dir), None).await;
    let err = match second {
        Ok(_) => panic!("a second server opened a data dir in use"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("in use") && err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    first.server.shutdown().await;
    // Once the holder is gone, the dir opens again.
    let again = start(&dir).await;
    again.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
