//! Listeners, TLS, router assembly and graceful shutdown.
//!
//! One router serves both listeners. Requests whose content type is `application/grpc*` go to the tonic services;
//! everything else to the REST routes and the `/_mock/` control plane. The plain port speaks HTTP/1.1 and h2c (prior
//! knowledge, as gRPC clients use it); the TLS port speaks h2 and HTTP/1.1 chosen by ALPN.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, body::Body, extract::Request, response::Response};
use http::{HeaderName, HeaderValue, header};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::family::Family;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// gRPC, REST and the control plane, without middleware (what a data dir replays its log through).
pub fn api_router(app: App) -> Router {
    let rest = {
        let app = app.clone();
        move |req: Request| crate::providers::rest(app.clone(), req)
    };
    let control = {
        let app = app.clone();
        move |req: Request| crate::control::handle(app.clone(), req)
    };
    let rest_router = Router::new()
        .route("/_mock/{*rest}", axum::routing::any(control))
        .fallback(rest)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(rest_panic));
    let grpc_router = crate::grpc::router(app);
    Router::new().fallback(move |req: Request| {
        let (rest_router, grpc_router) = (rest_router.clone(), grpc_router.clone());
        async move {
            let router = if is_grpc(&req) {
                grpc_router
            } else {
                rest_router
            };
            match router.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            }
        }
    })
}

/// The whole HTTP surface with its middleware: request ids, tracing, the per-request clock and persistence, and
/// the fault / journal middleware.
pub fn router(app: App) -> Router {
    let router = api_router(app.clone())
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::control::observe::observe,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app,
            crate::persist::middleware,
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()));
    // Per-request spans cost a good share of a small request's time; they exist only when someone logs at debug.
    let router = if tracing::enabled!(tracing::Level::DEBUG) {
        router.layer(TraceLayer::new_for_http())
    } else {
        router
    };
    router.layer(SetRequestIdLayer::new(
        REQUEST_ID.clone(),
        RequestIds::new(),
    ))
}

/// Request ids: a random per-process prefix and a counter — unique, and no system call per request (UUIDv4 draws
/// from the OS for every request).
#[derive(Clone)]
struct RequestIds {
    prefix: std::sync::Arc<str>,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string();
        RequestIds {
            prefix: prefix[..16].into(),
            next: Default::default(),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:016x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

fn rest_panic(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    crate::error::ApiError::internal(
        "provmock hit an internal error handling this request (a bug: please report it)",
    )
    .render(Family::Channel, None)
}

fn is_grpc(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/grpc"))
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
    let chain = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate found", cert.display()));
    }
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| format!("{}: {e}", key.display()))?
        .ok_or_else(|| format!("{}: no private key found", key.display()))?;
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

/// Serves `router` on the plain listener (and the TLS one, if any) until `shutdown` resolves, then lets in-flight
/// requests finish (at most one second) and returns.
pub async fn serve(
    router: Router,
    plain: TcpListener,
    tls: Option<(TcpListener, Arc<rustls::ServerConfig>)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tasks.spawn(accept_loop(plain, None, router.clone(), stop_rx.clone()));
    if let Some((listener, config)) = tls {
        tasks.spawn(accept_loop(
            listener,
            Some(TlsAcceptor::from(config)),
            router,
            stop_rx,
        ));
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let (stream, peer) = tokio::select! {
            res = listener.accept() => match res {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = TowerToHyperService::new(router.clone().map_request(
            move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(Peer(peer));
                req.map(Body::new)
            },
        ));
        match &tls {
            None => {
                let conn = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                    .into_owned();
                let fut = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = fut.await;
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(Ok(tls_stream)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                    else {
                        return;
                    };
                    let conn = builder
                        .serve_connection_with_upgrades(TokioIo::new(tls_stream), svc)
                        .into_owned();
                    let _ = watcher.watch(conn).await;
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_millis(900), graceful.shutdown()).await;
}

/// Which listener a request came in on (`http` or `https`), for SCP's signed URLs.
#[derive(Debug, Clone, Copy)]
pub struct Scheme(pub &'static str);

/// The remote address of a request (an extension, for logs and the journal).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rest_panic_becomes_internal_in_googles_envelope() {
        let resp = rest_panic(Box::new("boom"));
        assert_eq!(resp.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json; charset=UTF-8")
        );
    }
}
