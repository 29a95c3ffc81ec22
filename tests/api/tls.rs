//! The TLS listener: generated certificate trusted through `/_mock/ca.pem`, same router as the plain port.

use provmock::{Config, MockServer};

#[tokio::test]
async fn tls_port_serves_the_same_router_with_the_generated_ca() {
    let server = MockServer::start_with(Config::default(), None)
        .await
        .expect("starts");
    let plain = reqwest::Client::new();
    let pem = plain
        .get(format!("{}/_mock/ca.pem", server.uri()))
        .send()
        .await
        .expect("ca.pem")
        .text()
        .await
        .expect("pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    assert_eq!(Some(pem.clone()), server.ca_pem());

    let ca = reqwest::Certificate::from_pem(pem.as_bytes()).expect("parses");
    let tls = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .expect("client");
    let url = format!(
        "{}/v1/accounts/C01234567/customers/S0NEWCUSTOMER1",
        server.tls_uri().expect("tls on")
    );
    let resp = tls.get(&url).send().await.expect("TLS request");
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["domain"], "example.org");

    // The certificate names 127.0.0.1 as well as localhost.
    let port = server.tls_addr().expect("tls").port();
    let by_ip = tls
        .get(format!("https://127.0.0.1:{port}/_mock/health"))
        .send()
        .await
        .expect("by IP");
    assert_eq!(by_ip.status(), 200);

    // An untrusting client fails the handshake.
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
    server.shutdown().await;
}

#[tokio::test]
async fn no_tls_means_no_ca() {
    let server = MockServer::start_with(
        Config {
            no_tls: true,
            ..Config::default()
        },
        None,
    )
    .await
    .expect("starts");
    assert!(server.tls_uri().is_none());
    let r = reqwest::get(format!("{}/_mock/ca.pem", server.uri()))
        .await
        .expect("sent");
    assert_eq!(r.status(), 404);
}

/// `--tls-cert`/`--tls-key`: the given PEM chain and key serve the TLS port; a file without a key or certificate
/// stops start-up naming it.
#[tokio::test]
async fn tls_cert_and_key_files_serve_the_tls_port() {
    let dir = std::env::temp_dir().join(format!("provmock-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed");
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    let server = MockServer::start_with(
        Config {
            tls_cert: Some(cert_path.clone()),
            tls_key: Some(key_path.clone()),
            ..Config::default()
        },
        None,
    )
    .await
    .expect("starts with the given certificate");
    assert_eq!(server.ca_pem(), None, "no generated CA");
    let tls = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.pem().as_bytes()).expect("PEM"))
        .build()
        .expect("client");
    let health = tls
        .get(format!(
            "{}/_mock/health",
            server.tls_uri().expect("tls on")
        ))
        .send()
        .await
        .expect("TLS with the given certificate");
    assert_eq!(health.status(), 200);
    server.shutdown().await;

    // Swapped files: the certificate file holds no key.
    let err = match MockServer::start_with(
        Config {
            tls_cert: Some(cert_path.clone()),
            tls_key: Some(cert_path.clone()),
            ..Config::default()
        },
        None,
    )
    .await
    {
        Ok(_) => panic!("a certificate is not a key"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("cert.pem") && err.contains("private key"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
