//! Listeners, TLS, router assembly and graceful shutdown.
//!
//! One router serves both listeners. Requests whose content type is `application/grpc*` go to the tonic services;
//! everything else to the REST routes and the `/_mock/` control plane. The plain port speaks HTTP/1.1 and h2c (prior
//! knowledge, as gRPC clients use it); the TLS port speaks h2 and HTTP/1.1 chosen by ALPN.

use std::{future::Future, sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::Request, response::Response};
use bytes::Bytes;
use futures_util::FutureExt;
use http::{HeaderName, HeaderValue, header, request::Parts};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::app::App;
use crate::clock::pinned;
use crate::conn::{Activity, Admission, Gate, Watched};
use crate::control::observe;
use crate::family::Family;
use crate::request::read_body;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Everything provmock serves on its listeners: the API families over REST and gRPC, and the `/_mock/` control
/// plane. Cheap to clone (one per connection).
///
/// Why one hand-written request path and not a stack of axum layers: every `from_fn` middleware, nested `Router`
/// and request-id layer costs allocations and boxed futures on each request, and together they made provmock half as
/// fast as a bare axum server (see `bench/`). The steps below are the ones those layers took, in the same order.
#[derive(Clone)]
pub struct Surface {
    app: App,
    /// The tonic services (and server reflection) as one router.
    grpc: Router,
    ids: RequestIds,
}

impl Surface {
    pub fn new(app: App) -> Surface {
        Surface {
            grpc: crate::grpc::router(app.clone()),
            app,
            ids: RequestIds::new(),
        }
    }

    /// One request from a listener (`scheme` says which: `http` or `https`). In order: the request id (the
    /// client's `x-request-id` or a new one, echoed on the response); "now", pinned for the whole request; the
    /// control token, for `/_mock/` calls; the body, read once (413 or 408 in the family's format); with a data
    /// dir, the turn of a request that may change the world; then the control plane, or the fault rules, the API and
    /// the journal; last, the durable log record, written before the response leaves. Streaming gRPC (server
    /// reflection) skips all of that and streams both ways.
    pub async fn handle(&self, mut req: Request, scheme: &'static str) -> Response {
        if req.uri().path().starts_with("/grpc.reflection.") && is_grpc(req.headers()) {
            return self.reflection(req).await;
        }
        let request_id = match req.headers().get(&REQUEST_ID) {
            Some(v) => v.clone(),
            None => {
                let v = self.ids.next();
                req.headers_mut().insert(REQUEST_ID.clone(), v.clone());
                v
            }
        };
        // One line per request at debug level (`PROVMOCK_LOG=debug`); nothing is captured otherwise.
        let logged = tracing::enabled!(tracing::Level::DEBUG)
            .then(|| (req.method().clone(), redacted_uri(req.uri())));
        let started = std::time::Instant::now();
        let yandex_grpc =
            is_grpc(req.headers()) && Family::of_grpc_path(req.uri().path()) == Family::Yandex;
        let mut resp = self.handle_with_id(req, scheme, &request_id, started).await;
        if let Some((method, uri)) = logged {
            tracing::debug!(
                %method, %uri, status = resp.status().as_u16(), grpc_status = ?resp.headers().get("grpc-status"),
                ms = started.elapsed().as_secs_f64() * 1e3, request_id = ?request_id, "request"
            );
        }
        if yandex_grpc {
            resp = crate::grpc::yandex_headers(resp, &request_id);
        }
        resp.headers_mut().insert(REQUEST_ID.clone(), request_id);
        resp
    }

    /// gRPC server reflection: a bidirectional stream, answered request by request while the client keeps it open.
    async fn reflection(&self, req: Request) -> Response {
        match self.grpc.clone().oneshot(req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        }
    }

    async fn handle_with_id(
        &self,
        req: Request,
        scheme: &'static str,
        request_id: &HeaderValue,
        started: std::time::Instant,
    ) -> Response {
        let app = &self.app;
        let grpc = is_grpc(req.headers()) && is_grpc_path(req.uri().path());
        let path = req.uri().path().to_string();
        let control = path.starts_with("/_mock/");
        // A REST request is looked up in its family's route table once: the route names its RPC (for fault rules)
        // and says whether it writes (for the data dir), and is what the dispatch serves. A gRPC call finds its
        // route by its method name; the control plane has its own simple rule.
        let routed =
            (!grpc && !control).then(|| crate::providers::Routed::new(req.method(), &path));
        let (family, rpc, writes) = match &routed {
            Some(r) => (r.family, r.rpc(), r.writes()),
            None if control => (
                Family::Mock,
                None,
                crate::control::writes(req.method(), &path),
            ),
            None => (
                Family::of_grpc_path(&path),
                None,
                crate::providers::grpc_route(&path).is_none_or(|r| r.writes),
            ),
        };
        let rid = request_id.to_str().unwrap_or("");
        if control
            && let Err(e) = crate::control::check_token(app, req.method(), &path, req.headers())
        {
            return e.respond(Family::Mock, false, Some(rid));
        }
        let (parts, body) = req.into_parts();
        // The body is read in full (bounded in size and time) before any lock is taken: a slow client holds up no
        // one else.
        let bytes = match read_body(&parts.headers, body, app.config.body_timeout).await {
            Ok(b) => b,
            Err(e) => return e.respond(family, grpc, Some(rid)),
        };
        // With a data dir, every request holds a shared turn until its change (if any) is sealed, and a change is
        // on disk before its response leaves.
        let persist = app.persist.get();
        let syncs = persist.is_some() && writes;
        let turn = match persist {
            Some(p) => {
                let turn = p.turn.clone().read_owned().await;
                if syncs && let Err(e) = p.ready(&**app) {
                    return unavailable(&e).respond(family, grpc, Some(rid));
                }
                Some(turn)
            }
            None => None,
        };
        let now = app.clock.now_unpinned();
        // Only while someone follows `GET /_mock/events`: what its change notice names.
        let notice = app
            .events
            .listening()
            .then(|| (parts.method.clone(), path.clone(), writes));

        let response = if control {
            // Control-plane calls are never faulted or journaled.
            pinned(now, self.dispatch(parts, bytes.clone(), scheme, None)).await
        } else {
            let seen = observe::Seen::start(&parts, path, family, grpc, request_id, now, started);
            let response =
                match observe::injected_fault(app, &parts, seen.path(), family, grpc, rpc).await {
                    Some(err) => err.respond(family, grpc, Some(rid)),
                    None => pinned(now, self.dispatch(parts, bytes.clone(), scheme, routed)).await,
                };
            seen.record(app, &response, &bytes);
            response
        };
        let response = match (persist, turn) {
            (Some(p), Some(turn)) => {
                let sealed = p.seal(&**app, syncs);
                drop(turn);
                match sealed.durable().await {
                    Ok(()) => response,
                    Err(e) => unavailable(&e).respond(family, grpc, Some(rid)),
                }
            }
            _ => response,
        };
        if let Some((method, path, writes)) = notice {
            crate::control::events::after_request(
                app, &method, &path, family, grpc, writes, &response,
            );
        }
        response
    }

    /// Routes a request to gRPC, the control plane or REST, with nothing around it: no faults, journal or durable
    /// log (what a data dir replays its log through). A REST request is served by the route it was looked up to
    /// (looked up here when `routed` is None). A panic becomes INTERNAL in the family's format.
    pub async fn dispatch(
        &self,
        parts: Parts,
        body: Bytes,
        scheme: &'static str,
        routed: Option<crate::providers::Routed>,
    ) -> Response {
        let grpc = is_grpc(&parts.headers) && is_grpc_path(parts.uri.path());
        let family = Family::of_path(parts.uri.path());
        let call = async {
            if grpc {
                let req = Request::from_parts(parts, Body::from(body));
                match self.grpc.clone().oneshot(req).await {
                    Ok(resp) => resp,
                    Err(never) => match never {},
                }
            } else if parts.uri.path().starts_with("/_mock/") {
                crate::control::handle(self.app.clone(), parts, body).await
            } else {
                let routed = routed.unwrap_or_else(|| {
                    crate::providers::Routed::new(&parts.method, parts.uri.path())
                });
                crate::providers::rest(self.app.clone(), parts, body, scheme, routed).await
            }
        };
        match std::panic::AssertUnwindSafe(call).catch_unwind().await {
            Ok(resp) => resp,
            Err(_) if grpc => crate::grpc::panic_to_internal(),
            Err(_) => rest_panic(family),
        }
    }
}

/// gRPC calls are told apart by their content type (`application/grpc`, `+proto`, …), on either listener.
fn is_grpc(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/grpc"))
}

/// A gRPC method path: `/package.Service/Method`. A REST path with a gRPC content type is served as REST (its body
/// then fails to parse as JSON, with a clear error), not handed to the gRPC services, which would answer it with
/// an empty 200.
fn is_grpc_path(path: &str) -> bool {
    let mut segs = path.strip_prefix('/').unwrap_or("").split('/');
    match (segs.next(), segs.next(), segs.next()) {
        (Some(service), Some(method), None) => {
            service.contains('.') && !service.starts_with('.') && !method.is_empty()
        }
        _ => false,
    }
}

/// The URI as the debug log prints it: the values of credential-bearing query parameters (`access_token`, `key`,
/// `token`, …) replaced by `REDACTED`.
pub fn redacted_uri(uri: &http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.to_string();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_encoding::percent_decode_str(k)
                .decode_utf8_lossy()
                .to_ascii_lowercase();
            let secret = crate::observe::journal::is_secret(&name) || name == "key";
            if secret && !v.is_empty() {
                format!("{k}=REDACTED")
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{}?{}", uri.path(), redacted.join("&"))
}

/// Request ids: a random per-process prefix and a counter — unique, and no system call per request (UUIDv4 draws
/// from the OS for every request).
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string();
        RequestIds {
            prefix: prefix[..16].into(),
            next: Default::default(),
        }
    }

    fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:016x}", self.prefix))
            .unwrap_or_else(|_| HeaderValue::from_static("provmock"))
    }
}

fn rest_panic(family: Family) -> Response {
    crate::error::ApiError::internal(
        "provmock hit an internal error handling this request (a bug: please report it)",
    )
    .render(family, None)
}

/// Certificate material for the TLS listener.
pub struct TlsMaterial {
    pub config: Arc<rustls::ServerConfig>,
    /// PEM of the CA that signed a generated certificate (None with `--tls-cert`).
    pub ca_pem: Option<String>,
}

/// Generates a CA and a server certificate for `localhost`, `127.0.0.1` and the extra names.
pub fn generate_tls(extra_names: &[String]) -> Result<TlsMaterial, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let err = |e: rcgen::Error| format!("generating the TLS certificate: {e}");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "provmock local CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(err)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(err)?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    names.extend(
        extra_names
            .iter()
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.trim().to_string()),
    );
    let mut params = CertificateParams::new(names).map_err(err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &issuer).map_err(err)?;

    let chain = vec![cert.der().clone(), ca_cert.der().clone()];
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| e.to_string())?;
    Ok(TlsMaterial {
        config: server_config(chain, key_der)?,
        ca_pem: Some(ca_pem),
    })
}

/// Loads `--tls-cert` / `--tls-key`.
pub fn load_tls(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsMaterial, String> {
    let read =
        |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()));
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    use rustls::pki_types::pem::PemObject;
    let chain = rustls::pki_types::CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate found", cert.display()));
    }
    let key_der = rustls::pki_types::PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: no private key found ({e})", key.display()))?;
    Ok(TlsMaterial {
        config: server_config(chain, key_der)?,
        ca_pem: None,
    })
}

fn server_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `surface` on the plain listener (and the TLS one, if any) until `shutdown` resolves, then lets in-flight
/// requests finish (at most one second) and returns. Connection limits and timeouts come from the app's config.
pub async fn serve(
    surface: Surface,
    plain: TcpListener,
    tls: Option<(TcpListener, Arc<rustls::ServerConfig>)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let gate = Arc::new(Gate::new(surface.app.config.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tasks.spawn(accept_loop(
        plain,
        None,
        surface.clone(),
        gate.clone(),
        stop_rx.clone(),
    ));
    if let Some((listener, config)) = tls {
        tasks.spawn(accept_loop(
            listener,
            Some(TlsAcceptor::from(config)),
            surface,
            gate.clone(),
            stop_rx,
        ));
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    gate.drained(Duration::from_secs(1)).await;
}

/// Connection settings shared by every connection of a listener.
#[derive(Clone)]
struct ConnSettings {
    builder: auto::Builder<TokioExecutor>,
    tls: Option<TlsAcceptor>,
    /// Which listener a request came in on: SCP rebuilds the URL its clients signed from it.
    scheme: &'static str,
    header_timeout: Duration,
    idle_timeout: Duration,
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    surface: Surface,
    gate: Arc<Gate>,
    mut stop: watch::Receiver<bool>,
) {
    let config = &surface.app.config;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(MAX_HEAD_BYTES as u32);
    let settings = ConnSettings {
        builder,
        scheme: if tls.is_some() { "https" } else { "http" },
        tls,
        header_timeout: config.header_timeout,
        idle_timeout: config.idle_timeout,
    };
    loop {
        let stream = tokio::select! {
            res = listener.accept() => match res {
                Ok((s, _)) => s,
                Err(e) => {
                    // Out of descriptors or similar: back off a little; connections closing will make room.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let (permit, limited) = match gate.admit() {
            Admission::Normal(p) => (p, false),
            Admission::Limited(p) => (p, true),
            Admission::Refused => {
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = Conn {
            surface: surface.clone(),
            settings: settings.clone(),
            limited,
            max: gate.max(),
            stop: stop.clone(),
        };
        tokio::spawn(async move {
            conn.run(stream).await;
            drop(permit);
        });
    }
    drop(listener);
}

/// The most bytes of request line and headers (HTTP/1.1) or of a header list (HTTP/2) accepted; larger heads get
/// 431 (with a JSON body, see [`crate::conn`]).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long a connection admitted over the limit stays open at most.
const LIMITED_LIFETIME: Duration = Duration::from_secs(1);

/// One accepted connection.
struct Conn {
    surface: Surface,
    settings: ConnSettings,
    /// Admitted over the connection limit: health only, then closed.
    limited: bool,
    max: usize,
    stop: watch::Receiver<bool>,
}

impl Conn {
    async fn run(self, stream: tokio::net::TcpStream) {
        match self.settings.tls.clone() {
            None => self.drive(stream).await,
            Some(acceptor) => {
                let handshake = acceptor.accept(stream);
                if let Ok(Ok(tls)) =
                    tokio::time::timeout(self.settings.header_timeout, handshake).await
                {
                    self.drive(tls).await;
                }
            }
        }
    }

    /// Serves HTTP/1.1 or HTTP/2 on `io` until the client closes, the connection idles past `--idle-timeout`
    /// (a limited one: at most [`LIMITED_LIFETIME`]), or the server stops; then shuts it down gracefully (at most 1 s).
    async fn drive<IO>(self, io: IO)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Conn {
            surface,
            settings,
            limited,
            max,
            mut stop,
        } = self;
        let activity = Arc::new(Activity::default());
        let scheme = settings.scheme;
        let act = activity.clone();
        let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let surface = surface.clone();
            let busy = act.busy();
            async move {
                let req = req.map(Body::new);
                let resp = if limited {
                    over_limit(req, max, scheme, &surface).await
                } else {
                    surface.handle(req, scheme).await
                };
                drop(busy);
                Ok::<_, std::convert::Infallible>(resp)
            }
        });
        let conn = settings
            .builder
            .serve_connection_with_upgrades(TokioIo::new(Watched::new(io, activity.clone())), svc);
        tokio::pin!(conn);
        let lifetime = async {
            if limited {
                // Long enough for one health check, short enough that a flood of idle sockets frees these slots.
                tokio::time::sleep(settings.header_timeout.min(LIMITED_LIFETIME)).await
            } else {
                std::future::pending::<()>().await
            }
        };
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = activity.idle(settings.idle_timeout) => {}
            _ = stop.changed() => {}
            _ = lifetime => {}
        }
        conn.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(Duration::from_secs(1), conn).await;
    }
}

/// A request on a connection admitted over the limit: health answers as usual, anything else 503 UNAVAILABLE in
/// its family's format, and HTTP/1.1 connections are closed after the answer.
async fn over_limit(req: Request, max: usize, scheme: &'static str, surface: &Surface) -> Response {
    if req.method() == http::Method::GET && req.uri().path() == "/_mock/health" {
        return surface.handle(req, scheme).await;
    }
    let grpc = is_grpc(req.headers()) && is_grpc_path(req.uri().path());
    let family = Family::of_request(req.uri().path(), grpc);
    let err = crate::error::ApiError::new(
        crate::error::Code::Unavailable,
        format!(
            "provmock is serving its maximum of {max} connections (--max-connections): close idle connections \
             or raise the limit, then retry"
        ),
    )
    .with_reason("TOO_MANY_CONNECTIONS");
    let mut resp = err.respond(family, grpc, None);
    if req.version() < http::Version::HTTP_2 {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// The answer to a change that could not be made durable (it was undone).
fn unavailable(e: &str) -> crate::error::ApiError {
    crate::error::ApiError::new(
        crate::error::Code::Unavailable,
        format!("provmock could not persist this change, which was undone: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_json(resp: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[tokio::test]
    async fn a_rest_panic_becomes_internal_in_the_familys_envelope() {
        let resp = rest_panic(Family::Channel);
        assert_eq!(resp.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json; charset=UTF-8")
        );
        assert_eq!(body_json(resp).await["error"]["status"], "INTERNAL");
        let scp = body_json(rest_panic(Family::Scp)).await;
        assert_eq!(scp["errors"][0]["code"], "INTERNAL", "{scp}");
    }

    #[test]
    fn credential_query_parameters_are_redacted_in_logged_uris() {
        let uri: http::Uri =
            "/v1/accounts/A/customers?access_token=ya29.secret&pageSize=2&key=AIza&x=1"
                .parse()
                .expect("uri");
        let shown = redacted_uri(&uri);
        assert_eq!(
            shown,
            "/v1/accounts/A/customers?access_token=REDACTED&pageSize=2&key=REDACTED&x=1"
        );
        let encoded: http::Uri = "/v1/x?access%5Ftoken=s3cr3t".parse().expect("uri");
        assert!(!redacted_uri(&encoded).contains("s3cr3t"));
        let plain: http::Uri = "/v1/x".parse().expect("uri");
        assert_eq!(redacted_uri(&plain), "/v1/x");
    }

    #[test]
    fn grpc_paths_are_service_and_method() {
        assert!(is_grpc_path(
            "/google.cloud.channel.v1.CloudChannelService/GetCustomer"
        ));
        assert!(!is_grpc_path("/v1/accounts/C01234567/customers"));
        assert!(!is_grpc_path("/v1/accounts"));
        assert!(!is_grpc_path("/a.b/"));
    }

    #[test]
    fn request_ids_are_unique_and_carry_the_process_prefix() {
        let ids = RequestIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        let (a, b) = (a.to_str().unwrap_or(""), b.to_str().unwrap_or(""));
        assert_eq!(a.len(), 33, "{a}");
        assert_eq!(a[..17], b[..17], "one prefix per process: {a} {b}");
    }
}
