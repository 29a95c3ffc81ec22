//! A minimal axum server with provmock's create + get shape for Channel customers: parse the JSON body, check the
//! required fields and domain uniqueness under one lock, store, answer the stored object. The yardstick that
//! bench/run.sh compares provmock with.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

#[derive(Default)]
struct Store {
    customers: BTreeMap<String, Value>,
    domains: HashSet<String>,
    next: u64,
}

type Shared = Arc<Mutex<Store>>;

async fn create(State(s): State<Shared>, Path(a): Path<String>, Json(mut body): Json<Value>) -> (StatusCode, Json<Value>) {
    let domain = body.get("domain").and_then(Value::as_str).unwrap_or("").to_string();
    if domain.is_empty() || body.get("orgDisplayName").and_then(Value::as_str).is_none() {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"code": 400, "message": "domain and orgDisplayName are required"}})));
    }
    let mut st = s.lock().unwrap_or_else(|e| e.into_inner());
    if !st.domains.insert(domain.clone()) {
        return (StatusCode::CONFLICT, Json(json!({"error": {"code": 409, "message": format!("{domain} exists")}})));
    }
    st.next += 1;
    let name = format!("accounts/{a}/customers/S0{:012}", st.next);
    body["name"] = json!(name);
    st.customers.insert(name, body.clone());
    (StatusCode::OK, Json(body))
}

async fn fetch(State(s): State<Shared>, Path((a, c)): Path<(String, String)>) -> (StatusCode, Json<Value>) {
    let st = s.lock().unwrap_or_else(|e| e.into_inner());
    match st.customers.get(&format!("accounts/{a}/customers/{c}")) {
        Some(v) => (StatusCode::OK, Json(v.clone())),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": {"code": 404}}))),
    }
}

#[tokio::main]
async fn main() {
    // `--port P`, a bare `P`, or BASELINE_PORT; 18090 by default
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match args.as_slice() {
        [flag, p] if flag == "--port" => Some(p.clone()),
        [p] => Some(p.clone()),
        _ => None,
    }
    .or_else(|| std::env::var("BASELINE_PORT").ok())
    .unwrap_or_else(|| "18090".into());
    let store: Shared = Arc::default();
    {
        let mut st = store.lock().unwrap_or_else(|e| e.into_inner());
        let name = "accounts/C01234567/customers/S0NEWCUSTOMER1".to_string();
        // the same object provmock's default world answers for this name, so both GETs move the same bytes
        st.customers.insert(
            name.clone(),
            json!({"createTime": "2026-01-01T00:00:00Z", "domain": "example.org", "languageCode": "en-US", "name": name,
                   "orgDisplayName": "Example Org (not yet provisioned)",
                   "orgPostalAddress": {"addressLines": ["1 Market St"], "postalCode": "94105", "regionCode": "US"},
                   "primaryContactInfo": {"displayName": "Pat Lee", "email": "pat@example.org", "firstName": "Pat", "lastName": "Lee"},
                   "updateTime": "2026-01-01T00:00:00Z"}),
        );
        st.domains.insert("example.org".into());
    }
    let app = Router::new()
        .route("/_mock/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/v1/accounts/{a}/customers", post(create))
        .route("/v1/accounts/{a}/customers/{c}", get(fetch))
        .with_state(store);
    let listener = match tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("baseline: cannot listen on {port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("baseline: {e}");
    }
}
