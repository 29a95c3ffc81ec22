//! Test helpers: an in-process provmock on port 0 and a JSON client that explains failures.

use std::time::Duration;

use provmock::{AuthMode, Config, MockServer};
use serde_json::Value;

pub struct TestApp {
    pub server: MockServer,
    pub http: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(Config {
        no_tls: true,
        ..Config::default()
    })
    .await
}

pub async fn spawn_strict() -> TestApp {
    spawn_with(Config {
        no_tls: true,
        auth: AuthMode::Strict,
        ..Config::default()
    })
    .await
}

pub async fn spawn_with(config: Config) -> TestApp {
    let server = MockServer::start_with(config, None)
        .await
        .expect("provmock starts");
    TestApp {
        server,
        http: reqwest::Client::new(),
    }
}

/// A response: status and JSON body (or the raw text wrapped as a string when it is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The Google envelope's `error.status`.
    pub fn error_status(&self) -> &str {
        self.body["error"]["status"].as_str().unwrap_or("")
    }
    pub fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
    pub fn error_reason(&self) -> &str {
        self.body["error"]["details"][0]["reason"]
            .as_str()
            .unwrap_or("")
    }
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {} {}",
            self.status,
            self.body
        );
        self.body
    }
    #[track_caller]
    pub fn expect_error(&self, status: u16, google_status: &str) {
        assert_eq!(self.status, status, "status; body: {}", self.body);
        assert_eq!(
            self.error_status(),
            google_status,
            "error.status; body: {}",
            self.body
        );
        assert_eq!(
            self.body["error"]["code"], status,
            "error.code; body: {}",
            self.body
        );
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.uri())
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(m, self.url(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        Self::reply(resp).await
    }

    pub async fn raw(&self, method: &str, path: &str, body: Vec<u8>) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = self
            .http
            .request(m, self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        Self::reply(resp).await
    }

    async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body), None).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call("PATCH", path, Some(body), None).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None, None).await
    }

    /// Creates a customer under `parent` with a valid body for `domain`.
    pub async fn create_customer(&self, parent: &str, domain: &str) -> Value {
        self.post(&format!("/v1/{parent}/customers"), customer_body(domain))
            .await
            .ok()
    }

    /// Polls an operation until done (at most ~5 s of real time).
    pub async fn wait_operation(&self, name: &str) -> Value {
        for _ in 0..100 {
            let op = self.get(&format!("/v1/{name}")).await.ok();
            if op["done"] == true {
                return op;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("operation {name} did not finish");
    }
}

pub fn customer_body(domain: &str) -> Value {
    serde_json::json!({
        "orgDisplayName": format!("Org {domain}"),
        "orgPostalAddress": {"regionCode": "US", "postalCode": "94043", "addressLines": ["1 Main St"]},
        "primaryContactInfo": {"firstName": "Ada", "lastName": "Admin", "email": format!("ada@{domain}")},
        "domain": domain,
    })
}

pub const R1: &str = "accounts/C01234567";
pub const R2: &str = "accounts/C07654321";
