//! The binary: start-up line, fixtures errors (exit 2), healthcheck, graceful SIGTERM.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_provmock")
}

fn run_with_fixtures(text: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("provmock-fx-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("world.json");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write fixtures");
    let mut child = Command::new(bin())
        .args(["--port", "0", "--no-tls", "--fixtures"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // Bounded: fixtures that load by mistake start a server, which must fail the test, not hang it.
    let started = Instant::now();
    while child.try_wait().ok().flatten().is_none() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("exits");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_fixtures_stop_start_up_with_exit_2_naming_file_and_path() {
    let (code, err) = run_with_fixtures("{ not json");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("world.json"), "{err}");

    let (code, err) = run_with_fixtures(r#"{"google": {"accounts": [{"id": "A1", "shoe": 1}]}}"#);
    assert_eq!(code, 2);
    assert!(
        err.contains("google.accounts[0]") && err.contains("shoe"),
        "{err}"
    );

    let (code, err) =
        run_with_fixtures(r#"{"google": {"accounts": [{"id": "A1"}, {"id": "A1"}]}}"#);
    assert_eq!(code, 2);
    assert!(
        err.contains("google.accounts[1].id") && err.contains("duplicate"),
        "{err}"
    );

    // A strict world names unknown accounts (a permissive one accepts them, as its API does).
    let (code, err) = run_with_fixtures(
        r#"{"strict": true, "google": {"accounts": [{"id": "A1"}], "principals": [{"name": "p", "token": "t", "channel_accounts": ["A9"]}]}}"#,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("google.principals[0].channel_accounts") && err.contains("A9"),
        "{err}"
    );

    let out = Command::new(bin())
        .args(["--no-tls", "--fixtures", "/nonexistent/provmock.json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/provmock.json"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[test]
fn starts_answers_health_and_exits_0_on_sigterm() {
    let port = free_port();
    let started = Instant::now();
    let mut child = Command::new(bin())
        .args(["--port", &port.to_string(), "--no-tls"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let url = format!("http://127.0.0.1:{port}/_mock/health");
    let mut healthy = false;
    while started.elapsed() < Duration::from_secs(10) {
        let status = Command::new(bin())
            .args(["healthcheck", "--url", &url])
            .status()
            .expect("healthcheck runs");
        if status.success() {
            healthy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(healthy, "provmock did not become healthy");
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let stopped = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(3),
            "did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(0));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("read");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")),
        "start-up line names the address: {stderr}"
    );
    // Not listening any more.
    let down = Command::new(bin())
        .args(["healthcheck", "--url", &url])
        .status()
        .expect("healthcheck runs");
    assert_eq!(down.code(), Some(1));
}

/// `provmock healthcheck` without `--url` asks the port and address the server is configured with (flag before or
/// after the subcommand, or the env twin), a wildcard address meaning loopback; not always 127.0.0.1:8080.
#[test]
fn healthcheck_asks_the_configured_port_and_host() {
    let port = free_port();
    let mut child = Command::new(bin())
        .args(["--port", &port.to_string(), "--no-tls"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let check = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(bin());
        for var in ["PROVMOCK_HEALTHCHECK_URL", "PROVMOCK_HOST", "PROVMOCK_PORT"] {
            cmd.env_remove(var);
        }
        cmd.args(args)
            .envs(env.iter().copied())
            .stderr(Stdio::null())
            .status()
            .expect("healthcheck runs")
            .code()
    };
    let p = port.to_string();
    let started = Instant::now();
    while check(&["healthcheck", "--port", &p], &[]) != Some(0) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "provmock did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(check(&["--port", &p, "healthcheck"], &[]), Some(0));
    assert_eq!(check(&["healthcheck"], &[("PROVMOCK_PORT", &p)]), Some(0));
    assert_eq!(
        check(
            &["healthcheck"],
            &[("PROVMOCK_PORT", &p), ("PROVMOCK_HOST", "0.0.0.0")]
        ),
        Some(0)
    );
    assert_eq!(
        check(&["--host", "0.0.0.0", "healthcheck", "--port", &p], &[]),
        Some(0)
    );
    // An explicit URL still wins over the configured port.
    let url = format!("http://127.0.0.1:{port}/_mock/health");
    assert_eq!(
        check(&["healthcheck", "--url", &url], &[("PROVMOCK_PORT", "1")]),
        Some(0)
    );
    // Another port, where nothing answers, is unhealthy; so is a port that is only known at start (0).
    let other = free_port().to_string();
    assert_eq!(
        check(&["healthcheck"], &[("PROVMOCK_PORT", &other)]),
        Some(1)
    );
    assert_eq!(check(&["healthcheck", "--port", "0"], &[]), Some(1));
    let _ = child.kill();
    let _ = child.wait();
}
