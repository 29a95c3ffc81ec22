//! The bounded load test (loopback only): a minute of mixed calls across the four families at high concurrency
//! against a running provmock binary. It asserts behaviour, not speed: zero 5xx, zero lost writes, and memory that
//! levels off (the mix deletes what it creates, so the world's size is bounded while it runs).
//!
//! `#[ignore]`d so `cargo test` stays quick; `test.sh` runs it against the release binary:
//! `PROVMOCK_BIN=target/release/provmock cargo test --test load -- --ignored --nocapture`.
//! `PROVMOCK_LOAD_SECS` (default 60) and `PROVMOCK_LOAD_CLIENTS` (default 64) bound it.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_string)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    server_errors: AtomicU64,
    lost: AtomicU64,
}

const LZ: &str = "2c8a138f8d78e1fc29a449dbfa8681";
const OU: &str = "ou-b30e9fcc39f84a20bf9e7458e5ec3801";

/// One client's loop: create, read back, change and delete in every family; every write it saw succeed must be
/// readable right after.
async fn client(id: usize, base: String, until: Instant, tally: Arc<Tally>) {
    let http = reqwest::Client::new();
    let mut i = 0u64;
    while Instant::now() < until {
        i += 1;
        let tag = format!("c{id}i{i}");
        let call = |method: reqwest::Method, path: String, body: Option<Value>| {
            let http = http.clone();
            let base = base.clone();
            let tally = tally.clone();
            async move {
                let mut req = http.request(method, format!("{base}{path}"));
                if let Some(b) = body {
                    req = req.json(&b);
                }
                tally.requests.fetch_add(1, Ordering::Relaxed);
                match req.send().await {
                    Ok(r) => {
                        if r.status().is_server_error() {
                            tally.server_errors.fetch_add(1, Ordering::Relaxed);
                        }
                        let ok = r.status().is_success();
                        (ok, r.json::<Value>().await.unwrap_or(Value::Null))
                    }
                    Err(_) => {
                        tally.server_errors.fetch_add(1, Ordering::Relaxed);
                        (false, Value::Null)
                    }
                }
            }
        };
        let lost = |tally: &Tally, what: &str| {
            tally.lost.fetch_add(1, Ordering::Relaxed);
            eprintln!("lost write: {what}");
        };
        match i % 4 {
            0 => {
                let body = json!({"orgDisplayName": tag, "domain": format!("{tag}.example"),
                    "orgPostalAddress": {"regionCode": "US", "postalCode": "1", "addressLines": ["x"]}});
                let (ok, c) = call(
                    reqwest::Method::POST,
                    "/v1/accounts/C07654321/customers".into(),
                    Some(body),
                )
                .await;
                if ok {
                    let name = c["name"].as_str().unwrap_or("?").to_string();
                    let (found, _) = call(reqwest::Method::GET, format!("/v1/{name}"), None).await;
                    if !found {
                        lost(&tally, &name);
                    }
                    call(
                        reqwest::Method::PATCH,
                        format!("/v1/{name}?updateMask=orgDisplayName"),
                        Some(json!({"orgDisplayName": "renamed"})),
                    )
                    .await;
                    call(
                        reqwest::Method::GET,
                        "/v1/accounts/C07654321/customers?pageSize=5".into(),
                        None,
                    )
                    .await;
                    call(reqwest::Method::DELETE, format!("/v1/{name}"), None).await;
                }
            }
            1 => {
                let body = json!({"userpoolId": "ek0provmockpool00001", "username": format!("{tag}@load.test"),
                    "fullName": "Load", "passwordSpec": {"password": "p"}});
                let (ok, op) = call(
                    reqwest::Method::POST,
                    "/organization-manager/v1/idp/users".into(),
                    Some(body),
                )
                .await;
                if ok {
                    let uid = op["metadata"]["userId"].as_str().unwrap_or("?").to_string();
                    let (found, _) = call(
                        reqwest::Method::GET,
                        format!("/organization-manager/v1/idp/users/{uid}"),
                        None,
                    )
                    .await;
                    if !found {
                        lost(&tally, &uid);
                    }
                    call(
                        reqwest::Method::GET,
                        format!("/operations/{}", op["id"].as_str().unwrap_or("?")),
                        None,
                    )
                    .await;
                    call(
                        reqwest::Method::DELETE,
                        format!("/organization-manager/v1/idp/users/{uid}"),
                        None,
                    )
                    .await;
                }
            }
            2 => {
                call(
                    reqwest::Method::GET,
                    "/v1/customers/C00000000/userinvitations?pageSize=3".into(),
                    None,
                )
                .await;
                call(
                    reqwest::Method::POST,
                    "/v1/customers/C00000000/userinvitations/alice@altostrat.com:send".into(),
                    Some(json!({})),
                )
                .await;
                call(
                    reqwest::Method::POST,
                    "/v1/customers/C00000000/userinvitations/alice@altostrat.com:cancel".into(),
                    Some(json!({})),
                )
                .await;
            }
            _ => {
                // SCP accounts cannot be deleted: only a few clients create them, the rest read.
                if id.is_multiple_of(16) && i % 40 == 3 {
                    let body = json!({"name": tag, "landing_zone_id": LZ, "parent_unit_id": OU});
                    let (ok, a) =
                        call(reqwest::Method::POST, "/v1/accounts".into(), Some(body)).await;
                    if ok {
                        let path = format!(
                            "/v1/organization-accounts/{}",
                            a["account_id"].as_str().unwrap_or("?")
                        );
                        if !call(reqwest::Method::GET, path.clone(), None).await.0 {
                            lost(&tally, &path);
                        }
                    }
                } else {
                    call(
                        reqwest::Method::GET,
                        "/v1/organization-accounts?size=5".into(),
                        None,
                    )
                    .await;
                    call(
                        reqwest::Method::GET,
                        "/v1/accounts/C01234567/customers/S0NEWCUSTOMER1".into(),
                        None,
                    )
                    .await;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a minute of load: run by test.sh against the release binary"]
async fn mixed_load_for_a_minute() {
    let bin = std::env::var("PROVMOCK_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_provmock").to_string());
    let secs = env_num("PROVMOCK_LOAD_SECS", 60);
    let clients = env_num("PROVMOCK_LOAD_CLIENTS", 64) as usize;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut child = Command::new(&bin)
        .args([
            "--port",
            &port.to_string(),
            "--no-tls",
            "--lro-delay",
            "20ms",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("provmock starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while http
        .get(format!("{base}/_mock/health"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "provmock did not start"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let tally = Arc::new(Tally::default());
    let until = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..clients)
        .map(|id| tokio::spawn(client(id, base.clone(), until, tally.clone())))
        .collect();
    let mut samples = Vec::new();
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(500)).await;
        samples.push(rss_kib(child.id()));
    }
    for t in tasks {
        t.await.expect("client");
    }
    let _ = child.kill();
    let _ = child.wait();

    let requests = tally.requests.load(Ordering::Relaxed);
    let errors = tally.server_errors.load(Ordering::Relaxed);
    let lost = tally.lost.load(Ordering::Relaxed);
    let third = samples.len() / 3;
    let middle = samples[third..2 * third].iter().copied().max().unwrap_or(0);
    let last = samples[2 * third..].iter().copied().max().unwrap_or(0);
    eprintln!(
        "load: {requests} requests in {secs} s ({:.0}/s) by {clients} clients; 5xx {errors}; lost {lost}; RSS max middle third {middle} KiB, last third {last} KiB",
        requests as f64 / secs as f64
    );
    assert!(requests > 1000, "the load ran: {requests}");
    assert_eq!(errors, 0, "no 5xx and no dropped connections");
    assert_eq!(lost, 0, "every acknowledged write was readable");
    assert!(
        last <= middle + middle / 4 + 4096,
        "memory levels off: middle {middle} KiB, last {last} KiB, samples {samples:?}"
    );
}
