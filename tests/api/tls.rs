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
