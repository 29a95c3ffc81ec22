//! The provmock binary: parse flags, load the fixtures, serve until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use provmock::internals::{Cli, Command};
use provmock::{Document, LogFormat, MockServer, StartError};

/// mimalloc rather than the system allocator: with glibc's, a GET got twice as expensive once the world held a few
/// hundred thousand objects (fastbin consolidation walking a fragmented heap on every request); mimalloc keeps the
/// per-request cost flat as the store grows (bench/README.md has the numbers).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck { url, host, port }) = &cli.command {
        let host = host.unwrap_or(cli.config.host);
        let port = port.unwrap_or(cli.config.port);
        return match url.clone().map_or_else(|| health_url(host, port), Ok) {
            Ok(url) => healthcheck(&url).await,
            Err(e) => {
                eprintln!("healthcheck: {e}");
                ExitCode::from(1)
            }
        };
    }
    let config = cli.config;
    init_tracing(config.log_format);
    provmock::internals::raise_fd_limit();
    if let Some(warning) = config.exposure_warning() {
        tracing::warn!(host = %config.host, "{warning}");
    }

    let fixtures = match &config.fixtures {
        None => None,
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("provmock: fixtures {}: cannot read: {e}", path.display());
                    return ExitCode::from(2);
                }
            };
            match Document::parse(&text) {
                Ok(d) => Some(d),
                Err(e) => {
                    eprintln!("provmock: fixtures {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
        }
    };
    let server = match MockServer::start_with(config.clone(), fixtures).await {
        Ok(s) => s,
        Err(e @ (StartError::Fixtures { .. } | StartError::Persist(_))) => {
            eprintln!("provmock: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("provmock: {e}");
            return ExitCode::from(1);
        }
    };
    let tls = server
        .tls_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|| "off".into());
    // The Python plugin (python/src/provmock/_server.py) starts provmock with `--port 0 --tls-port 0` and reads the
    // ports from this line's message: keep "provmock listening on http://HOST:PORT (TLS HOST:PORT|off)".
    tracing::info!(
        plain = %server.addr(),
        tls = %tls,
        auth = ?config.auth,
        families = "channel (REST+gRPC), cloudidentity, scp, yandex",
        "provmock listening on http://{} (TLS {tls})",
        server.addr()
    );
    server.wait(shutdown_signal()).await;
    tracing::info!("provmock stopped");
    ExitCode::SUCCESS
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROVMOCK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The health URL of a server listening on `host:port`: a wildcard address is asked on loopback.
fn health_url(host: std::net::IpAddr, port: u16) -> Result<String, String> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    if port == 0 {
        return Err("the server's port is 0 (picked at start): pass --port or --url".into());
    }
    let host = match host {
        IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        a => a,
    };
    Ok(format!(
        "http://{}/_mock/health",
        std::net::SocketAddr::new(host, port)
    ))
}

/// `GET url` over plain HTTP/1.1; 0 when the answer is 200 with `"status":"ok"`.
async fn healthcheck(url: &str) -> ExitCode {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(rest) = url.strip_prefix("http://") else {
        eprintln!("healthcheck: only http:// URLs are supported, got {url}");
        return ExitCode::from(1);
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/_mock/health"),
    };
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(hostport).await.ok()?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.ok()?;
        Some(String::from_utf8_lossy(&buf).into_owned())
    };
    match tokio::time::timeout(std::time::Duration::from_secs(3), attempt).await {
        Ok(Some(resp))
            if resp.starts_with("HTTP/1.1 200") && resp.contains("\"status\":\"ok\"") =>
        {
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("healthcheck: {url} is not healthy");
            ExitCode::from(1)
        }
    }
}
