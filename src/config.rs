//! Command-line flags. Every flag has a `PROVMOCK_*` environment twin (clap's `env`), documented once in the README.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "provmock",
    version,
    about = "Local emulator of cloud identity and account-provisioning APIs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Exits 0 when a provmock answers `GET /_mock/health` with status ok, 1 otherwise (Docker HEALTHCHECK). Asks the
    /// address the server is configured with (`--host`/`PROVMOCK_HOST` and `--port`/`PROVMOCK_PORT`, given before or
    /// after `healthcheck`; `0.0.0.0` and `::` mean loopback), unless `--url` names another.
    Healthcheck {
        /// Ask this URL instead (`http://host:port/path`).
        #[arg(long, env = "PROVMOCK_HEALTHCHECK_URL")]
        url: Option<String>,
        /// Address to ask (default: the server's `--host`/`PROVMOCK_HOST`).
        #[arg(long)]
        host: Option<IpAddr>,
        /// Plain port to ask (default: the server's `--port`/`PROVMOCK_PORT`).
        #[arg(long)]
        port: Option<u16>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Any credential or none.
    Permissive,
    /// Google and Yandex need a known bearer token; SCP needs a valid HMAC signature.
    Strict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// guess: how many finished operations stay readable (oldest forgotten first).
pub const DEFAULT_KEEP_FINISHED: usize = 10_000;

#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on (`0.0.0.0` inside containers).
    #[arg(long, env = "PROVMOCK_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Plain port: HTTP/1.1 REST and h2c gRPC. `0` picks a free port (the start-up log line says which).
    #[arg(long, env = "PROVMOCK_PORT", default_value_t = 8080)]
    pub port: u16,
    /// TLS port: HTTPS and gRPC over TLS (h2 and HTTP/1.1 via ALPN). `0` picks a free port.
    #[arg(long, env = "PROVMOCK_TLS_PORT", default_value_t = 8443)]
    pub tls_port: u16,
    /// Do not open the TLS listener.
    #[arg(long, env = "PROVMOCK_NO_TLS")]
    pub no_tls: bool,
    /// PEM certificate chain for the TLS listener (default: generated at start from a fresh CA).
    #[arg(long, env = "PROVMOCK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `--tls-cert`.
    #[arg(long, env = "PROVMOCK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Extra DNS names or IPs for the generated certificate (besides `localhost` and `127.0.0.1`); repeatable or
    /// comma-separated.
    #[arg(long = "tls-san", env = "PROVMOCK_TLS_SAN", value_delimiter = ',')]
    pub tls_san: Vec<String>,
    /// Write the generated CA certificate (PEM) to this file.
    #[arg(long, env = "PROVMOCK_CA_OUT")]
    pub ca_out: Option<PathBuf>,
    /// Host name that Yandex endpoint discovery hands out (default: `localhost`).
    #[arg(long, env = "PROVMOCK_PUBLIC_HOST")]
    pub public_host: Option<String>,
    /// World to start with (JSON). Default: the embedded `fixtures/default.json`.
    #[arg(long, env = "PROVMOCK_FIXTURES")]
    pub fixtures: Option<PathBuf>,
    /// How long a long-running operation takes: `500ms`, `2s`, `0` (operations are returned already done).
    #[arg(long, env = "PROVMOCK_LRO_DELAY", default_value = "500ms", value_parser = parse_duration)]
    pub lro_delay: Duration,
    /// Makes ids, page tokens and operation names deterministic (and probabilistic faults reproducible).
    #[arg(long, env = "PROVMOCK_SEED")]
    pub seed: Option<u64>,
    #[arg(long, env = "PROVMOCK_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[arg(long, env = "PROVMOCK_AUTH", value_enum, default_value = "permissive")]
    pub auth: AuthMode,
    /// SCP signature clock-skew window.
    #[arg(long, env = "PROVMOCK_SCP_SKEW", default_value = "5m", value_parser = parse_duration)]
    pub scp_skew: Duration,
    /// Keep the world in this directory: every acknowledged mutation is on disk (fsync) before its response is sent,
    /// and a restart resumes the world and its pending operations. Without it, provmock lives in memory.
    #[arg(long, env = "PROVMOCK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// With `--data-dir`: the change log is folded into a new snapshot (in the background) once it is larger than
    /// the snapshot and at least this many bytes. Smaller folds more often; larger makes a restart replay more.
    #[arg(long, env = "PROVMOCK_DATA_DIR_FOLD_BYTES", default_value_t = 64 << 20)]
    pub data_dir_fold_bytes: u64,
    /// How many finished operations stay readable (the oldest finished are forgotten first; pending ones never).
    #[arg(long, env = "PROVMOCK_OPERATIONS_KEEP", default_value_t = DEFAULT_KEEP_FINISHED)]
    pub operations_keep: usize,
    /// How many requests the journal keeps (oldest dropped first).
    #[arg(long, env = "PROVMOCK_JOURNAL_SIZE", default_value_t = 10_000)]
    pub journal_size: usize,
    /// When set, every `/_mock/` call except `GET /_mock/health` and `GET /_mock/ca.pem` needs
    /// `Authorization: Bearer TOKEN` (401 otherwise). Set it whenever the ports are reachable beyond loopback.
    #[arg(long, env = "PROVMOCK_CONTROL_TOKEN", hide_env_values = true)]
    pub control_token: Option<String>,
    /// Open connections served at once, both listeners together (also capped by the file-descriptor limit). Past
    /// it, 64 more are admitted for at most a second, where health answers and anything else gets 503 UNAVAILABLE;
    /// the rest are closed at once.
    #[arg(long, env = "PROVMOCK_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// HTTP/1.1: how long a client may take to send a request's head, counted from the connection's start or the
    /// end of the previous response (so it is also the keep-alive idle limit); then the connection is closed. TLS
    /// handshakes get the same time.
    #[arg(long, env = "PROVMOCK_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// How long a request body may take to arrive in full; then 408 in the family's format.
    #[arg(long, env = "PROVMOCK_BODY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub body_timeout: Duration,
    /// A connection (HTTP/1.1 or HTTP/2) with no bytes moving either way and no request in flight for a whole
    /// period of this length is closed (checked once per period).
    #[arg(long, env = "PROVMOCK_IDLE_TIMEOUT", default_value = "120s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            tls_port: 0,
            no_tls: false,
            tls_cert: None,
            tls_key: None,
            tls_san: Vec::new(),
            ca_out: None,
            public_host: None,
            fixtures: None,
            lro_delay: Duration::from_millis(500),
            seed: None,
            log_format: LogFormat::Text,
            auth: AuthMode::Permissive,
            scp_skew: Duration::from_secs(300),
            journal_size: 10_000,
            data_dir: None,
            data_dir_fold_bytes: 64 << 20,
            operations_keep: DEFAULT_KEEP_FINISHED,
            control_token: None,
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

impl Config {
    /// What to warn about at start when the ports are reachable beyond loopback and the control plane is open.
    pub fn exposure_warning(&self) -> Option<String> {
        if self.control_token.is_some() || self.host.is_loopback() {
            return None;
        }
        let what = if self.auth == AuthMode::Strict {
            "strict auth is on, but anyone who reaches the port can replace the world (PUT /_mock/state) and with \
             it every principal"
        } else {
            "anyone who reaches the port can reset or replace the world"
        };
        Some(format!(
            "listening beyond loopback without --control-token (PROVMOCK_CONTROL_TOKEN): {what}"
        ))
    }
}

/// `500ms`, `2s`, `1.5s`, `3m`, `1h`, or a bare number of milliseconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (try 500ms, 2s, 1m)"))?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n * 1e3,
        "m" | "min" => n * 60e3,
        "h" => n * 3600e3,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}` (use ms, s, m or h)"
            ));
        }
    };
    if !ms.is_finite() || ms < 0.0 {
        return Err(format!("`{s}` is not a duration"));
    }
    Ok(Duration::from_micros((ms * 1e3) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn an_open_control_plane_beyond_loopback_is_warned_about() {
        let mut c = Config::default();
        assert_eq!(c.exposure_warning(), None, "loopback");
        c.host = IpAddr::from([0, 0, 0, 0]);
        c.auth = AuthMode::Strict;
        let w = c.exposure_warning().expect("warned");
        assert!(w.contains("--control-token") && w.contains("strict"), "{w}");
        c.control_token = Some("t".into());
        assert_eq!(c.exposure_warning(), None, "a token locks it");
    }

    #[test]
    fn every_flag_has_an_env_twin() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            assert!(
                arg.get_env().is_some(),
                "flag --{id} has no PROVMOCK_* twin"
            );
        }
    }
}
