//! # provmock
//!
//! A local emulator of cloud identity and account-provisioning APIs — Google Cloud Channel, Google Cloud Identity
//! user invitations, Samsung Cloud Platform Cloud Control and Yandex Cloud IdP — that real, unmodified SDKs talk to
//! over REST and gRPC on one port (plus a TLS port).
//!
//! Components, and why each exists:
//! - `config`: flags with `PROVMOCK_*` env twins.
//! - `server`: the listeners (plain HTTP/1.1 + h2c, TLS h2 + HTTP/1.1), one router for gRPC, REST and control.
//! - `conn`: connection limits and timeouts, and bodies for the errors hyper answers by itself.
//! - `request`: what every request is — path and custom verb, query, caller, a bounded body decoded as JSON.
//! - `route`: what a route is (method, AIP-127 template, RPC name, whether it writes, REST handler, gRPC binding)
//!   and the one matcher; each family declares its routes once in `providers/<family>/routes.rs` (Channel's in
//!   `routes/`, a file per method group), read by REST and gRPC dispatch, faults, the journal and the data dir.
//! - `app`: the shared handle; one lock over the world and the operations, so invariants hold under concurrency;
//!   and the background completer that finishes operations at their deadlines.
//! - `world`: what the providers know, seeded from fixtures ([`Document`]); its collections are
//!   `world::tracked` maps that note which keys a change touched. It holds the operation store (`world::ops`)
//!   and what finishing an operation does (`world::actions`).
//! - `observe`: fault rules, the request journal and the change notices, which the App holds.
//! - `persist`: `--data-dir` — those touched keys, as typed change records, group-committed (docs/data-dir.md).
//! - `providers`: one service function per API method, bound to REST by a handler inline in its route's entry and to
//!   gRPC by a binding in the same entry (`providers::binding`: tonic's codec, no generated service trait). Every
//!   family's services take a narrow context (`providers::Ctx`: the caller, the request's pinned "now", `--auth`,
//!   the state) and their request parsed into domain types at the edge; `providers::call` takes the lock once for
//!   them and wakes the operation completer after releasing it.
//! - `grpc`: the gRPC router: one dispatch by path to the route's gRPC binding, and reflection.
//! - `control`: the `/_mock/` control plane for tests.
//! - `clock`: the one source of "now", movable by tests.
//! - `error`: `ApiError` and its renderers per family.
//! - `json_strict`: JSON decoding that refuses an array where an object is expected, at any depth.
//!
//! # Layers
//!
//! `src/` is layered, lowest first. A module may use the layers below its own and, inside its own layer, the
//! modules listed before it — never one above, so the top-level modules form no import cycle. `tests/layers.rs`
//! reads this list and checks every `crate::` path in `src/` against it.
//!
//! 1. base, what any part may need: `family` `proto` `clock` `json_strict` `reflection` `error` `paging` `config` `request` `route`
//! 2. the domain: `world` (fixtures, tracked maps, the operation store and the actions operations apply)
//! 3. what is kept beside the world: `observe` (faults, journal, change notices) `persist` (the data dir)
//! 4. the shared handle: `app` (the lock over the state, the operation completer)
//! 5. the APIs: `providers` (one service function per method on a narrow context, its REST and gRPC bindings)
//! 6. the gRPC router: `grpc`
//! 7. the test-facing control plane: `control`
//! 8. the listeners: `conn` `server`
//!
//! # Public surface
//!
//! Like `wiremock`'s, the library's surface is small: [`MockServer`] (start one per test, on random ports) and
//! [`StartError`]; its [`Config`] with [`AuthMode`] and [`LogFormat`]; the fixtures document [`Document`] (and
//! [`DocumentError`]); the clock handle [`Clock`] (from [`MockServer::clock`]) and its [`ClockMode`], to freeze and
//! move provmock's time; and [`proto`], the generated gRPC messages and clients, to call provmock over gRPC. Every
//! other module is private. The hidden `internals` module re-exports a few internals for provmock's own tests and
//! binary only; it is not a stable API.
//!
//! In Rust tests, start one on a random port:
//!
//! ```no_run
//! # async fn demo() {
//! let server = provmock::MockServer::start().await.expect("provmock starts");
//! let health = format!("{}/_mock/health", server.uri());
//! # let _ = health;
//! server.clock().advance(chrono::Duration::hours(1));
//! server.shutdown().await;
//! # }
//! ```

pub(crate) mod app;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod conn;
pub(crate) mod control;
pub(crate) mod error;
pub(crate) mod family;
pub(crate) mod grpc;
pub(crate) mod json_strict;
pub(crate) mod observe;
pub(crate) mod paging;
pub(crate) mod persist;
pub mod proto;
pub(crate) mod providers;
pub(crate) mod reflection;
pub(crate) mod request;
pub(crate) mod route;
pub(crate) mod server;
pub(crate) mod world;

use std::net::SocketAddr;

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use app::App;
pub use clock::{Clock, ClockMode};
pub use config::{AuthMode, Config, LogFormat};
pub use world::{Document, DocumentError};

/// provmock's internals, for provmock's own tests (`tests/`) and its binary (`src/main.rs`) only.
///
/// **Not a stable API**: anything here may change or go away in any release. Use the crate root ([`MockServer`],
/// [`Config`], [`Document`], [`Clock`], [`proto`]) instead.
#[doc(hidden)]
pub mod internals {
    pub use crate::app::App;
    pub use crate::config::{Cli, Command};
    pub use crate::conn::raise_fd_limit;
    pub use crate::control::ui::{PAGE_BYTES, SCAN_BUDGET};
    pub use crate::error::Code;
    pub use crate::family::Family;
    pub use crate::observe::events::MAX_LISTENERS;
    pub use crate::providers::google::proto_json;
    pub use crate::providers::{Route, grpc_route, tables};
    pub use crate::request::{Query, RestPath};
    pub use crate::world::google::Customer;
    pub use crate::world::orders::int_parameter;

    /// The shared handle of a running server (its world, operations, journal and change notices).
    pub fn app(server: &crate::MockServer) -> &App {
        &server.app
    }

    /// Page tokens.
    pub mod paging {
        pub use crate::paging::{decode, encode};
    }

    /// The Channel API's `filter` parser.
    pub mod channel_filter {
        pub use crate::providers::google::channel::filter::{MAX_DEPTH, parse};
    }

    /// Cloud Identity's user-invitation `filter` and `orderBy` parsers.
    pub mod invitation_filter {
        pub use crate::providers::google::cloudidentity::filter::{parse_filter, parse_order};
    }

    /// SCP's request signatures and API versions.
    pub mod scp {
        pub use crate::providers::scp::signature::{SignedRequest, rebuild_url, sign, verify};
        pub use crate::providers::scp::versions::negotiate;
    }
}

/// A running provmock, for tests: binds the ports, runs the operation completer, shuts down when asked or dropped.
pub struct MockServer {
    app: App,
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    completer: JoinHandle<()>,
}

/// Why provmock could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("fixtures {source_name}: {error}")]
    Fixtures {
        source_name: String,
        error: world::DocumentError,
    },
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("data dir: {0}")]
    Persist(String),
}

impl MockServer {
    /// The embedded default world, ephemeral ports, operations after `--lro-delay`'s default.
    pub async fn start() -> Result<MockServer, StartError> {
        Self::start_with(Config::default(), None).await
    }

    /// Starts with a configuration and, optionally, a fixtures document (default: the embedded world).
    pub async fn start_with(
        config: Config,
        fixtures: Option<Document>,
    ) -> Result<MockServer, StartError> {
        let fixtures = match fixtures {
            Some(d) => d,
            None => {
                Document::parse(world::DEFAULT_FIXTURES).map_err(|error| StartError::Fixtures {
                    source_name: "(embedded default)".into(),
                    error,
                })?
            }
        };
        let plain_addr = SocketAddr::new(config.host, config.port);
        let plain = TcpListener::bind(plain_addr)
            .await
            .map_err(|error| StartError::Bind {
                addr: plain_addr,
                error,
            })?;
        let addr = plain.local_addr().map_err(|error| StartError::Bind {
            addr: plain_addr,
            error,
        })?;
        let mut tls = None;
        let mut ca_pem = None;
        let mut tls_addr = None;
        if !config.no_tls {
            let material = match (&config.tls_cert, &config.tls_key) {
                (Some(c), Some(k)) => server::load_tls(c, k),
                _ => server::generate_tls(&config.tls_san),
            }
            .map_err(StartError::Tls)?;
            let a = SocketAddr::new(config.host, config.tls_port);
            let l = TcpListener::bind(a)
                .await
                .map_err(|error| StartError::Bind { addr: a, error })?;
            tls_addr = Some(
                l.local_addr()
                    .map_err(|error| StartError::Bind { addr: a, error })?,
            );
            if let (Some(path), Some(pem)) = (&config.ca_out, &material.ca_pem) {
                std::fs::write(path, pem)
                    .map_err(|e| StartError::Tls(format!("writing {}: {e}", path.display())))?;
            }
            ca_pem = material.ca_pem;
            tls = Some((l, material.config));
        }
        let source_name = config
            .fixtures
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(embedded default)".into());
        let app = App::new(config, fixtures)
            .map_err(|error| StartError::Fixtures { source_name, error })?;
        let _ = app.listening.set(app::Listening {
            plain_port: addr.port(),
            tls_port: tls_addr.map(|a| a.port()),
            ca_pem,
        });
        let surface = server::Surface::new(app.clone());
        if app.config.data_dir.is_some() {
            let p = persist::open(app.0.clone()).map_err(StartError::Persist)?;
            let _ = app.persist.set(p);
        }
        let completer = tokio::spawn(app::completer::run(app.clone()));
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(server::serve(surface, plain, tls, async move {
            let _ = stopped.await;
        }));
        Ok(MockServer {
            app,
            addr,
            tls_addr,
            stop: Some(stop),
            server: Some(server),
            completer,
        })
    }

    /// `http://127.0.0.1:PORT` of the plain listener.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// `https://localhost:PORT` of the TLS listener, if it is on.
    pub fn tls_uri(&self) -> Option<String> {
        self.tls_addr
            .map(|a| format!("https://localhost:{}", a.port()))
    }
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }
    /// The PEM of the generated CA (trust it to call the TLS port).
    pub fn ca_pem(&self) -> Option<String> {
        self.app.listening().ca_pem
    }
    /// provmock's clock: freeze it, move it, or let it run again (every timestamp, operation deadline, token expiry
    /// and SCP version date follows it).
    pub fn clock(&self) -> &Clock {
        &self.app.clock
    }

    /// Stops accepting, lets in-flight requests finish (at most a second), stops the completer, and gives up the
    /// data dir (if any) for the next server.
    pub async fn shutdown(mut self) {
        self.stop_now();
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        let completer = std::mem::replace(&mut self.completer, tokio::spawn(async {}));
        let _ = completer.await;
        if let Some(p) = self.app.persist.get() {
            p.release();
        }
    }

    /// Resolves when the server has stopped (after a shutdown signal), for the binary.
    pub async fn wait(mut self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.stop_now();
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
    }

    fn stop_now(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.completer.abort();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop_now();
    }
}
