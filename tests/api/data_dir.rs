//! `--data-dir`, format 2: integrity (every kind of damage stops start-up naming the file and the offset; only a torn
//! last record is dropped), secrets (none in any file, decoded; SCP secret keys only in the 0600 `secrets` file, kept
//! across restarts), failed writes (disk full, the dir removed: 503 in the family's format, the world unchanged, the
//! same request succeeding once the cause is gone), concurrent identical creates, and the golden data dir kept from
//! this format's first version.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use provmock::{Config, MockServer};
use serde_json::{Value, json};

use crate::helpers::{R1, R2, TestApp, customer_body};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("provmock-dd-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn config(dir: &Path) -> Config {
    Config {
        no_tls: true,
        data_dir: Some(dir.to_path_buf()),
        lro_delay: Duration::from_secs(3600),
        seed: Some(11),
        ..Config::default()
    }
}

async fn start(dir: &Path) -> TestApp {
    start_with(config(dir)).await
}

async fn start_with(config: Config) -> TestApp {
    TestApp {
        server: MockServer::start_with(config, None)
            .await
            .expect("starts with the data dir"),
        http: reqwest::Client::new(),
    }
}

async fn refusal(dir: &Path) -> String {
    match MockServer::start_with(config(dir), None).await {
        Ok(_) => panic!("started on a damaged data dir: {}", dir.display()),
        Err(e) => e.to_string(),
    }
}

async fn export(app: &TestApp) -> Value {
    app.get("/_mock/state").await.ok()
}

fn copy_dir(from: &Path, tag: &str) -> PathBuf {
    let to = temp_dir(tag);
    for e in std::fs::read_dir(from).expect("dir").flatten() {
        if e.file_name() != "lock" {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
    to
}

/// Every base64 (standard or URL-safe, padded or not) and hex run of at least 8 characters in `bytes`, decoded.
fn decodings(bytes: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = vec![bytes.to_vec()];
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || "+/=-_".contains(c);
    for run in text.split(|c: char| !is_b64(c)).filter(|r| r.len() >= 8) {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            if let Ok(d) = engine.decode(run) {
                out.push(d);
            }
        }
        // Every offset, so a run glued to other base64 text is decoded too.
        for start in 1..4.min(run.len()) {
            if let Ok(d) = STANDARD_NO_PAD.decode(run[start..].trim_end_matches('=')) {
                out.push(d);
            }
        }
    }
    for run in text
        .split(|c: char| !c.is_ascii_hexdigit())
        .filter(|r| r.len() >= 8)
    {
        let even = &run[..run.len() & !1];
        if let Ok(d) = (0..even.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&even[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
        {
            out.push(d);
        }
    }
    out
}

/// No file in `dir` holds any of `secrets`, in clear, base64 or hex (the `secrets` file is checked separately).
pub fn assert_no_secret(dir: &Path, secrets: &[&str]) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        if e.file_name() == "secrets" {
            continue;
        }
        let bytes = std::fs::read(e.path()).expect("read");
        for decoded in decodings(&bytes) {
            for s in secrets {
                assert!(
                    !decoded
                        .windows(s.len())
                        .any(|w| w.eq_ignore_ascii_case(s.as_bytes())),
                    "`{s}` is in {} (decoded)",
                    e.path().display()
                );
            }
        }
    }
}

#[test]
fn the_secret_scan_finds_encoded_secrets() {
    let dir = temp_dir("scan");
    let secret = "NotOnDisk-123";
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("x{secret}y"));
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    for (i, content) in [b64.clone(), hex, format!("{{\"body\":\"{b64}\"}}")]
        .iter()
        .enumerate()
    {
        std::fs::write(dir.join("f"), content).expect("write");
        let found = std::panic::catch_unwind(|| assert_no_secret(&dir, &[secret]));
        assert!(found.is_err(), "case {i} not found: {content}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A data dir with a few records of every family.
async fn populated(tag: &str) -> PathBuf {
    let dir = temp_dir(tag);
    let app = start(&dir).await;
    app.create_customer(R2, "one.com").await;
    app.create_customer(R2, "two.com").await;
    let r = app
        .post(
            "/v1/accounts",
            json!({"name": "dd", "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
                   "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.create_customer(R2, "three.com").await;
    app.server.shutdown().await;
    dir
}

fn log_lines(dir: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(dir.join("changes.log")).expect("log");
    bytes
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn write_lines(dir: &Path, lines: &[Vec<u8>]) {
    std::fs::write(dir.join("changes.log"), lines.concat()).expect("write");
}

#[tokio::test]
async fn every_kind_of_damage_stops_start_up_naming_file_and_offset() {
    let good = populated("damage").await;
    let lines = log_lines(&good);
    assert!(
        lines.len() >= 5,
        "a header and four records: {}",
        lines.len()
    );
    let offset = |i: usize| lines[..i].iter().map(Vec::len).sum::<usize>();

    // A record edited so that it still parses (one character of a domain changed).
    let dir = copy_dir(&good, "edited");
    let mut edited = lines.clone();
    let text = String::from_utf8(edited[2].clone()).expect("utf8");
    assert!(text.contains("two.com"), "{text}");
    edited[2] = text.replace("two.com", "twx.com").into_bytes();
    write_lines(&dir, &edited);
    let err = refusal(&dir).await;
    assert!(
        err.contains("changes.log")
            && err.contains("checksum")
            && err.contains(&format!("byte offset {}", offset(2))),
        "{err}"
    );

    // A middle record deleted: a gap.
    let dir = copy_dir(&good, "gap");
    let mut gap = lines.clone();
    gap.remove(2);
    write_lines(&dir, &gap);
    let err = refusal(&dir).await;
    assert!(
        err.contains("changes.log")
            && err.contains("missing or out of order")
            && err.contains(&format!("byte offset {}", offset(2))),
        "{err}"
    );

    // Two records swapped.
    let dir = copy_dir(&good, "reorder");
    let mut swapped = lines.clone();
    swapped.swap(1, 2);
    write_lines(&dir, &swapped);
    let err = refusal(&dir).await;
    assert!(
        err.contains("out of order") && err.contains(&format!("byte offset {}", offset(1))),
        "{err}"
    );

    // Trailing garbage after the snapshot.
    let dir = copy_dir(&good, "trailing");
    let snap = dir.join("snapshot");
    let mut bytes = std::fs::read(&snap).expect("snapshot");
    let len = bytes.len();
    bytes.extend_from_slice(b"garbage");
    std::fs::write(&snap, &bytes).expect("write");
    let err = refusal(&dir).await;
    assert!(
        err.contains("snapshot") && err.contains(&format!("byte offset {len}")),
        "{err}"
    );

    // The snapshot edited (still JSON).
    let dir = copy_dir(&good, "snapshot-edit");
    let snap = dir.join("snapshot");
    let text = std::fs::read_to_string(&snap).expect("snapshot");
    std::fs::write(
        &snap,
        text.replacen("\"strict\":false", "\"strict\":true ", 1),
    )
    .expect("w");
    let err = refusal(&dir).await;
    assert!(
        err.contains("snapshot") && err.contains("checksum"),
        "{err}"
    );

    // The snapshot the log needs is missing.
    let dir = copy_dir(&good, "no-snapshot");
    std::fs::remove_file(dir.join("snapshot")).expect("rm");
    let err = refusal(&dir).await;
    assert!(
        err.contains("changes.log") && err.contains("snapshot") && err.contains("missing"),
        "{err}"
    );

    // The log is missing.
    let dir = copy_dir(&good, "no-log");
    std::fs::remove_file(dir.join("changes.log")).expect("rm");
    let err = refusal(&dir).await;
    assert!(
        err.contains("changes.log") && err.contains("missing"),
        "{err}"
    );

    // A data dir of the old request-log format.
    let dir = temp_dir("legacy");
    std::fs::write(dir.join("log.jsonl"), b"{}\n").expect("write");
    let err = refusal(&dir).await;
    assert!(err.contains("log.jsonl") && err.contains("format"), "{err}");

    // A torn last record (never acknowledged) is dropped; everything before it is there.
    let dir = copy_dir(&good, "torn");
    let mut torn = lines.clone();
    let last = torn.len() - 1;
    let cut = torn[last].len() / 2;
    torn[last].truncate(cut);
    write_lines(&dir, &torn);
    let app = start(&dir).await;
    let list = app.get(&format!("/v1/{R2}/customers")).await.ok();
    let domains: Vec<&str> = list["customers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["domain"].as_str())
        .collect();
    assert_eq!(domains.len(), 2, "{domains:?}");
    // And writing goes on after the dropped tail.
    app.create_customer(R2, "four.com").await;
    app.server.shutdown().await;
    let app = start(&dir).await;
    let list = app.get(&format!("/v1/{R2}/customers")).await.ok();
    assert_eq!(list["customers"].as_array().map(Vec::len), Some(3));
    app.server.shutdown().await;
}

#[tokio::test]
async fn the_binary_exits_2_on_damage() {
    let good = populated("exit2").await;
    let dir = copy_dir(&good, "exit2-gap");
    let mut lines = log_lines(&dir);
    lines.remove(1);
    write_lines(&dir, &lines);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_provmock"))
        .args(["--port", "0", "--no-tls", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("changes.log") && stderr.contains("byte offset"),
        "{stderr}"
    );
}

fn scp_headers(
    uri: &str,
    method: &str,
    path: &str,
    key: &str,
    secret: &str,
    version: &str,
) -> Vec<(String, String)> {
    use provmock::internals::scp::{SignedRequest, sign};
    let url = format!("{uri}{path}");
    let ts = chrono::Utc::now().timestamp_millis().to_string();
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
        ("Scp-AccessKey".into(), key.into()),
        ("Scp-Signature".into(), sig),
        ("Scp-Timestamp".into(), ts),
        ("Scp-ClientType".into(), "Openapi".into()),
        ("Scp-AccountId".into(), String::new()),
        ("Scp-API-Version".into(), version.into()),
    ]
}

#[tokio::test]
async fn no_secret_on_disk_and_runtime_scp_keys_survive_every_restart_in_a_0600_file() {
    let dir = temp_dir("secrets");
    let strict = || Config {
        auth: provmock::AuthMode::Strict,
        ..config(&dir)
    };
    let app = start_with(strict()).await;
    // Every kind of secret a client sends: a Yandex password, an OAuth token exchanged for an IAM token (and the IAM
    // token itself), a JWT, a Channel principal's token, a Cloud Identity auth token, and an SCP secret key added
    // through the state import.
    let iam = app
        .http
        .post(app.url("/iam/v1/tokens"))
        .json(&json!({"yandexPassportOauthToken": "provmock-oauth-token"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(iam.status(), 200);
    let iam: Value = iam.json().await.expect("json");
    let iam_token = iam["iamToken"].as_str().expect("token").to_string();
    let jwt_header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"alg":"PS256","typ":"JWT","kid":"ajeprovmocksakey0001"}"#);
    let jwt_body = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"iss":"ajeprovmocksa0000001"}"#);
    let jwt = format!("{jwt_header}.{jwt_body}.c2lnbmF0dXJlLXNlY3JldA");
    let r = app
        .http
        .post(app.url("/iam/v1/tokens"))
        .json(&json!({ "jwt": jwt }))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let r = app
        .http
        .post(app.url("/organization-manager/v1/idp/users"))
        .bearer_auth(&iam_token)
        .json(
            &json!({"userpoolId": "ek0provmockpool00001", "username": "s@x.y", "fullName": "S",
                      "passwordSpec": {"password": "NotOnDisk-Passw0rd"}}),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let r = app
        .http
        .post(app.url(&format!("/v1/{R1}/customers")))
        .bearer_auth("reseller-one-token")
        .json(&customer_body("secret-scan.com"))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let mut state = export(&app).await;
    state["scp"]["access_keys"]
        .as_array_mut()
        .expect("keys")
        .push(json!({"access_key": "AKRUNTIME", "secret_key": "SK-runtime-only-secret", "owner": "rt"}));
    let put = app
        .raw(
            "PUT",
            "/_mock/state",
            serde_json::to_vec(&state).expect("json"),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    app.server.shutdown().await;

    let secrets = [
        "NotOnDisk-Passw0rd",
        "provmock-oauth-token",
        iam_token.as_str(),
        jwt.as_str(),
        "c2lnbmF0dXJlLXNlY3JldA",
        "reseller-one-token",
        "example-auth-token",
        "SK-runtime-only-secret",
        "SKTEST",
        "provmock-secret-key",
    ];
    for restart in 0..3 {
        assert_no_secret(&dir, &secrets);
        let path = dir.join("secrets");
        let text = std::fs::read_to_string(&path).expect("the secrets file");
        assert!(text.contains("SK-runtime-only-secret"), "{text}");
        assert!(
            !text.contains("SKTEST"),
            "a fixture key is not copied into the data dir: {text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "restart {restart}");
        }
        // The runtime key still signs requests after this restart.
        let app = start_with(strict()).await;
        let path = "/v1/organization-accounts";
        let mut req = app.http.get(app.url(path));
        for (k, v) in scp_headers(
            &app.server.uri(),
            "GET",
            path,
            "AKRUNTIME",
            "SK-runtime-only-secret",
            "organization 1.1",
        ) {
            req = req.header(k, v);
        }
        let r = req.send().await.expect("sent");
        assert_eq!(
            r.status(),
            200,
            "restart {restart}: {}",
            r.text().await.unwrap_or_default()
        );
        // A change after each restart, so the next one replays a record too.
        let r = app
            .http
            .post(app.url(&format!("/v1/{R1}/customers")))
            .bearer_auth("reseller-one-token")
            .json(&customer_body(&format!("restart{restart}.com")))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), 200);
        app.server.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_identical_creates_give_one_resource_and_already_exists() {
    let dir = temp_dir("parallel");
    let app = start(&dir).await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let http = app.http.clone();
        let url = app.url(&format!("/v1/{R1}/customers"));
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .json(&customer_body("same.example.com"))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.expect("task"));
    }
    codes.sort_unstable();
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 15, "{codes:?}");
    app.server.shutdown().await;
    let app = start(&dir).await;
    let list = app.get(&format!("/v1/{R1}/customers")).await.ok();
    let same = list["customers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["domain"] == "same.example.com")
        .count();
    assert_eq!(same, 1);
    app.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Mounts a small tmpfs at `at`, or says why not.
fn mount_tmpfs(at: &Path, size: &str) -> Result<(), String> {
    let out = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .output()
        .map_err(|e| format!("mount: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let chunk = vec![0u8; 4096];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    path
}

#[tokio::test]
async fn a_full_disk_answers_503_changes_nothing_and_recovers() {
    let mnt = temp_dir("tmpfs");
    if let Err(why) = mount_tmpfs(&mnt, "4m") {
        println!(
            "SKIPPED a_full_disk_answers_503_changes_nothing_and_recovers: cannot mount a tmpfs ({why})"
        );
        return;
    }
    let dir = mnt.join("data");
    let app = start(&dir).await;
    app.create_customer(R1, "before-full.com").await;
    let filler = fill(&mnt);
    // The log's last page may still take a record or two; write until the disk says no. What was acknowledged
    // until then stays.
    let mut before = export(&app).await;
    let mut acked = Vec::new();
    for i in 0..200 {
        let r = app
            .post(
                &format!("/v1/{R1}/customers"),
                customer_body(&format!("fill{i}.com")),
            )
            .await;
        if r.status == 503 {
            assert_eq!(r.error_status(), "UNAVAILABLE", "{}", r.body);
            assert!(r.error_message().contains("persist"), "{}", r.body);
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        acked.push(r.body);
        before = export(&app).await;
    }
    assert_eq!(
        export(&app).await,
        before,
        "the failed create changed nothing"
    );

    // Channel, SCP and Yandex writes each fail in their family's format, and change nothing.
    app.post(
        &format!("/v1/{R1}/customers"),
        customer_body("while-full.com"),
    )
    .await
    .expect_error(503, "UNAVAILABLE");
    let r = app
        .post(
            "/v1/accounts",
            json!({"name": "full", "landing_zone_id": "2c8a138f8d78e1fc29a449dbfa8681",
                   "parent_unit_id": "ou-b30e9fcc39f84a20bf9e7458e5ec3801"}),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body["errors"][0]["detail"].is_string(),
        "SCP's format: {}",
        r.body
    );
    let r = app
        .post(
            "/organization-manager/v1/idp/users",
            json!({"userpoolId": "ek0provmockpool00001", "username": "full@x.y", "fullName": "F",
                   "passwordSpec": {"password": "p"}}),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.body["code"], 14, "Yandex's format: {}", r.body);
    assert_eq!(export(&app).await, before, "the world is as it was");
    // A retry while the disk is still full: still 503, not 409.
    app.post(
        &format!("/v1/{R1}/customers"),
        customer_body("while-full.com"),
    )
    .await
    .expect_error(503, "UNAVAILABLE");

    std::fs::remove_file(&filler).expect("free space");
    let created = app.create_customer(R1, "while-full.com").await;
    let after = export(&app).await;
    app.server.shutdown().await;

    // Nothing partial was left behind: the dir starts, with the same world and every acknowledged customer.
    let app = start(&dir).await;
    assert_eq!(export(&app).await, after);
    for c in &acked {
        let name = c["name"].as_str().expect("name");
        assert_eq!(&app.get(&format!("/v1/{name}")).await.ok(), c);
    }
    let name = created["name"].as_str().expect("name");
    assert_eq!(app.get(&format!("/v1/{name}")).await.ok(), created);
    // Ids go on without colliding.
    let next = app.create_customer(R1, "after-full.com").await;
    assert_ne!(next["name"], created["name"]);
    app.server.shutdown().await;
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    let _ = std::fs::remove_dir_all(&mnt);
}

#[tokio::test]
async fn a_removed_data_dir_answers_503_until_it_is_back() {
    let dir = temp_dir("removed");
    let app = start(&dir).await;
    let first = app.create_customer(R1, "first.com").await;
    std::fs::remove_dir_all(&dir).expect("rm -rf");
    let before = export(&app).await;
    app.post(&format!("/v1/{R1}/customers"), customer_body("gone.com"))
        .await
        .expect_error(503, "UNAVAILABLE");
    assert_eq!(export(&app).await, before);
    // Still gone: still 503.
    app.post(&format!("/v1/{R1}/customers"), customer_body("gone.com"))
        .await
        .expect_error(503, "UNAVAILABLE");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let second = app.create_customer(R1, "gone.com").await;
    app.server.shutdown().await;
    // The dir was written whole again: both customers are there after a restart.
    let app = start(&dir).await;
    for c in [&first, &second] {
        let name = c["name"].as_str().expect("name");
        assert_eq!(&app.get(&format!("/v1/{name}")).await.ok(), c);
    }
    app.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The data dir written by the first version of format 2 (`tests/data/datadir-v2`, made by
/// `tests/data/make-datadir-v2.sh`) loads, with every resource it holds.
#[tokio::test]
async fn the_golden_format_2_data_dir_loads() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/datadir-v2");
    let dir = copy_dir(&golden, "golden");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(golden.join("../datadir-v2.export.json")).expect("export"),
    )
    .expect("json");
    let app = start(&dir).await;
    assert_eq!(export(&app).await, expected);
    app.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sixteen writers at once while the disk fills: batches are written while earlier ones are still syncing, so a
/// failure lands among batches in flight. Every create answers 200 or 503; after a restart exactly the 200s are
/// there (each under its id, as answered) and none of the 503s.
#[tokio::test]
async fn concurrent_writers_on_a_filling_disk_keep_exactly_what_was_acknowledged() {
    let mnt = temp_dir("tmpfs-concurrent");
    if let Err(why) = mount_tmpfs(&mnt, "4m") {
        println!(
            "SKIPPED concurrent_writers_on_a_filling_disk_keep_exactly_what_was_acknowledged: cannot mount a \
             tmpfs ({why})"
        );
        return;
    }
    let dir = mnt.join("data");
    let app = start(&dir).await;
    app.create_customer(R1, "first.com").await;
    // Room for a few hundred records, then a full disk.
    let reserve = mnt.join("reserve");
    std::fs::write(&reserve, vec![1u8; 160 << 10]).expect("reserve");
    let filler = fill(&mnt);
    std::fs::remove_file(&reserve).expect("free the reserve");

    let writer = |w: usize| {
        let app = &app;
        async move {
            let mut seen = Vec::new();
            for i in 0..400 {
                let domain = format!("w{w}n{i}.com");
                let r = app
                    .post(&format!("/v1/{R1}/customers"), customer_body(&domain))
                    .await;
                assert!(
                    r.status == 200 || r.status == 503,
                    "{domain}: {} {}",
                    r.status,
                    r.body
                );
                let failed = r.status == 503;
                seen.push((domain, r));
                if failed {
                    break;
                }
            }
            seen
        }
    };
    let all: Vec<_> = futures_util::future::join_all((0..16).map(writer))
        .await
        .into_iter()
        .flatten()
        .collect();
    let acked: Vec<_> = all.iter().filter(|(_, r)| r.status == 200).collect();
    let refused: Vec<_> = all.iter().filter(|(_, r)| r.status == 503).collect();
    assert!(!acked.is_empty(), "some creates fit before the disk filled");
    assert!(!refused.is_empty(), "the disk filled up");
    let before = export(&app).await;
    app.server.shutdown().await;
    std::fs::remove_file(&filler).expect("free space");

    let app = start(&dir).await;
    assert_eq!(export(&app).await, before, "a restart gives the same world");
    for (domain, r) in &acked {
        let name = r.body["name"].as_str().expect("name");
        assert_eq!(
            &app.get(&format!("/v1/{name}")).await.ok(),
            &r.body,
            "{domain} was acknowledged"
        );
    }
    let domains: Vec<&str> = before["google"]["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .filter_map(|c| c["domain"].as_str())
        .collect();
    for (domain, _) in &refused {
        assert!(
            !domains.contains(&domain.as_str()),
            "{domain} was refused with 503 but is in the world"
        );
    }
    app.server.shutdown().await;
    let _ = std::process::Command::new("umount").arg(&mnt).status();
}

/// The generation a data dir's snapshot and log say they are.
fn generations(dir: &Path) -> (u64, u64) {
    let read = |name: &str| -> u64 {
        let bytes = std::fs::read(dir.join(name)).expect("read");
        let line = bytes.split(|b| *b == b'\n').next().expect("a line");
        let v: Value = serde_json::from_slice(&line[9..]).expect("json after the CRC");
        v["generation"].as_u64().expect("generation")
    };
    (read("snapshot"), read("changes.log"))
}

async fn create_some(app: &TestApp, tag: &str, n: usize) {
    for i in 0..n {
        app.post(
            &format!("/v1/{R1}/customers"),
            customer_body(&format!("{tag}{i}.example.com")),
        )
        .await
        .ok();
        if i % 5 == 0 {
            app.post(
                "/organization-manager/v1/idp/users",
                json!({"userpoolId": "ek0provmockpool00001", "username": format!("{tag}{i}@x.y"),
                       "fullName": "F", "passwordSpec": {"password": "NotOnDisk-123"}}),
            )
            .await
            .ok();
        }
    }
}

/// With a small fold size the log is folded into new snapshot generations while writes go on (on a thread beside
/// the committer); every acknowledged write is in the world after each restart, and the export is the same.
#[tokio::test]
async fn the_log_is_folded_in_the_background_and_nothing_is_lost() {
    let dir = temp_dir("fold");
    let small = Config {
        data_dir_fold_bytes: 4096,
        ..config(&dir)
    };
    let app = start_with(small.clone()).await;
    create_some(&app, "fold", 120).await;
    let before = export(&app).await;
    app.server.shutdown().await;
    let (snapshot, log) = generations(&dir);
    assert!(snapshot > 2, "folded several times: generation {snapshot}");
    assert_eq!(snapshot, log, "the log follows its snapshot");
    assert!(
        !dir.join("snapshot.fold").exists() && !dir.join("changes.fold").exists(),
        "a clean stop leaves no fold behind"
    );
    for round in 0..2 {
        let app = start_with(small.clone()).await;
        assert_eq!(export(&app).await, before, "restart {round}");
        app.server.shutdown().await;
    }
    // And more writes after the restarts fold and replay as well.
    let app = start_with(small.clone()).await;
    create_some(&app, "more", 40).await;
    let after = export(&app).await;
    app.server.shutdown().await;
    let app = start(&dir).await;
    assert_eq!(export(&app).await, after);
    assert!(after.to_string().contains("more39.example.com"));
    app.server.shutdown().await;
    assert_no_secret(&dir, &["NotOnDisk-123"]);
}

/// A fold cut by a crash between its two renames leaves the new snapshot with the old log, whose records after the
/// snapshot's were written while the fold was: they are replayed, and the log is rewritten as the new generation.
#[tokio::test]
async fn a_fold_cut_between_its_renames_replays_the_old_logs_newer_records() {
    let dir = temp_dir("fold-cut");
    let app = start(&dir).await;
    create_some(&app, "cut", 12).await;
    let before = export(&app).await;
    app.server.shutdown().await;
    assert_eq!(generations(&dir), (1, 1));
    // The snapshot as the fold would have written it: the world after record 0, numbered generation 2.
    let path = dir.join("snapshot");
    let bytes = std::fs::read(&path).expect("snapshot");
    let mut v: Value = serde_json::from_slice(&bytes[9..bytes.len() - 1]).expect("snapshot json");
    assert_eq!(v["seq"], 0);
    v["generation"] = json!(2);
    let json = serde_json::to_vec(&v).expect("json");
    let mut line = format!("{:08x} ", crc32fast::hash(&json)).into_bytes();
    line.extend_from_slice(&json);
    line.push(b'\n');
    std::fs::write(&path, line).expect("write snapshot");
    std::fs::write(dir.join("snapshot.fold"), b"half a fold").expect("leftover");

    let app = start(&dir).await;
    assert_eq!(export(&app).await, before, "the old log's records replayed");
    app.server.shutdown().await;
    assert_eq!(
        generations(&dir),
        (2, 2),
        "the log rewritten as generation 2"
    );
    assert!(
        !dir.join("snapshot.fold").exists(),
        "the leftover is removed"
    );
    let app = start(&dir).await;
    assert_eq!(export(&app).await, before, "and again");
    app.server.shutdown().await;
}
