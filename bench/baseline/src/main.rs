//! A minimal axum server with provmock's REST shapes, the yardstick bench/run.sh compares provmock with. Per
//! family it parses the JSON body, checks the required fields and uniqueness under one lock, stores and answers
//! the stored object in the same JSON shape provmock answers:
//! - Channel: `POST /v1/accounts/{a}/customers`, `GET /v1/accounts/{a}/customers/{c}`, the list page.
//! - Cloud Identity: `POST /v1/customers/{c}/userinvitations/{email}:send` and the invitation list page, over the
//!   unmanaged consumer accounts of the customer's domain (the default world's, or a fixtures file's).
//! - SCP: `POST /v1/accounts`, `GET /v1/organization-accounts/{id}` and the list page (newest first).
//! - Yandex IdP: `POST /organization-manager/v1/idp/users`, `GET .../users/{id}`, `GET /operations/{id}`.
//!
//! Usage: provmock-baseline PORT [--fixtures FILE]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use provmock_baseline::{HEX, Ids, LOWER_ALNUM, now_rfc3339};
use serde_json::{Value, json};

/// Finished operations kept readable, as provmock's `--operations-keep` default.
const OPS_KEEP: usize = 10_000;

#[derive(Default)]
struct Channel {
    customers: BTreeMap<String, Value>,
    domains: HashSet<String>,
    next: u64,
}

struct Invitation {
    state: &'static str,
    sent: u32,
    update_time: String,
}

#[derive(Default)]
struct CloudIdentity {
    invitations: BTreeMap<String, Invitation>, // customer C00000000's, by email
    mail: Vec<(String, String)>,
}

struct ScpAccount {
    id: String,
    name: String,
    email: String,
    parent_unit_id: String,
    created_at: String,
}

#[derive(Default)]
struct Scp {
    accounts: Vec<ScpAccount>, // in creation order
    by_id: HashMap<String, usize>,
    names: HashSet<String>,
    emails: HashSet<String>,
    jobs: VecDeque<(String, usize)>,
}

struct YUser {
    id: String,
    username: String,
    full_name: String,
    created_at: String,
}

struct YOp {
    id: String,
    user: String,
    created_at: String,
}

#[derive(Default)]
struct Yandex {
    users: HashMap<String, YUser>,
    usernames: HashSet<String>,
    ops: HashMap<String, YOp>,
    order: VecDeque<String>,
}

#[derive(Default)]
struct Store {
    channel: Mutex<Channel>,
    ci: Mutex<CloudIdentity>,
    scp: Mutex<Scp>,
    yandex: Mutex<Yandex>,
    ids: Mutex<Ids>,
}

type Shared = Arc<Store>;
type Reply = (StatusCode, Json<Value>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn err(code: StatusCode, message: &str) -> Reply {
    (
        code,
        Json(json!({"error": {"code": code.as_u16(), "message": message}})),
    )
}

fn page_args(q: &HashMap<String, String>, key: &str, default: usize, max: usize) -> usize {
    q.get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .clamp(1, max)
}

// ---- Channel ----

async fn create(
    State(s): State<Shared>,
    Path(a): Path<String>,
    Json(mut body): Json<Value>,
) -> Reply {
    let domain = body
        .get("domain")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if domain.is_empty() || body.get("orgDisplayName").and_then(Value::as_str).is_none() {
        return err(
            StatusCode::BAD_REQUEST,
            "domain and orgDisplayName are required",
        );
    }
    let mut st = lock(&s.channel);
    if !st.domains.insert(domain.clone()) {
        return err(StatusCode::CONFLICT, &format!("{domain} exists"));
    }
    st.next += 1;
    let name = format!("accounts/{a}/customers/S0{:012}", st.next);
    let now = now_rfc3339();
    body["name"] = json!(name);
    body["createTime"] = json!(now);
    body["updateTime"] = json!(now);
    st.customers.insert(name, body.clone());
    (StatusCode::OK, Json(body))
}

async fn fetch(State(s): State<Shared>, Path((a, c)): Path<(String, String)>) -> Reply {
    let st = lock(&s.channel);
    match st.customers.get(&format!("accounts/{a}/customers/{c}")) {
        Some(v) => (StatusCode::OK, Json(v.clone())),
        None => err(StatusCode::NOT_FOUND, "no such customer"),
    }
}

/// The customers of one parent, by name, a page after the token (the last name of the previous page); serialized
/// from the stored values under the lock, without copying them.
async fn list(
    State(s): State<Shared>,
    Path(a): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> impl axum::response::IntoResponse {
    let size = page_args(&q, "pageSize", 50, 50);
    let prefix = format!("accounts/{a}/customers/");
    let from = match q.get("pageToken") {
        Some(t) => format!("{prefix}{t}"),
        None => prefix.clone(),
    };
    let st = lock(&s.channel);
    let mut it = st
        .customers
        .range::<String, _>((std::ops::Bound::Excluded(&from), std::ops::Bound::Unbounded))
        .take_while(|(k, _)| k.starts_with(&prefix));
    let customers: Vec<&Value> = it.by_ref().take(size).map(|(_, v)| v).collect();
    let next = match (it.next(), customers.last().and_then(|c| c["name"].as_str())) {
        (Some(_), Some(last)) => Some(&last[prefix.len()..]),
        _ => None,
    };
    let mut body = b"{\"customers\":[".to_vec();
    for (n, c) in customers.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        let _ = serde_json::to_writer(&mut body, c);
    }
    body.push(b']');
    if let Some(token) = next {
        body.extend_from_slice(b",\"nextPageToken\":");
        let _ = serde_json::to_writer(&mut body, token);
    }
    body.push(b'}');
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
}

// ---- Cloud Identity ----

fn invitation_json(c: &str, email: &str, i: &Invitation) -> Value {
    json!({"mailsSentCount": i.sent.to_string(), "name": format!("customers/{c}/userinvitations/{email}"),
           "state": i.state, "updateTime": i.update_time})
}

async fn ci_send(State(s): State<Shared>, Path((c, tail)): Path<(String, String)>) -> Reply {
    let Some(email) = tail.strip_suffix(":send") else {
        return err(StatusCode::NOT_FOUND, "only :send is served");
    };
    let email = email.to_ascii_lowercase();
    if c != "C00000000" {
        return err(StatusCode::NOT_FOUND, "unknown customer");
    }
    let uuid = {
        let mut ids = lock(&s.ids);
        let h = ids.draw(HEX, 32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    };
    let now = now_rfc3339();
    let mut st = lock(&s.ci);
    let Some(inv) = st.invitations.get_mut(&email) else {
        return err(StatusCode::NOT_FOUND, "no such invitation");
    };
    if inv.state == "ACCEPTED" {
        return err(StatusCode::BAD_REQUEST, "already accepted");
    }
    inv.state = "INVITED";
    inv.sent += 1;
    inv.update_time = now.clone();
    let mut response = invitation_json(&c, &email, inv);
    st.mail.push((email, now));
    response["@type"] =
        json!("type.googleapis.com/google.apps.cloudidentity.userinvitations.v1.UserInvitation");
    (
        StatusCode::OK,
        Json(json!({"done": true, "name": format!("operations/{uuid}"), "response": response})),
    )
}

async fn ci_list(
    State(s): State<Shared>,
    Path(c): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Reply {
    let size = page_args(&q, "pageSize", 100, 200);
    let st = lock(&s.ci);
    let from = q.get("pageToken").cloned().unwrap_or_default();
    let mut it = st
        .invitations
        .range::<String, _>((std::ops::Bound::Excluded(&from), std::ops::Bound::Unbounded));
    let mut last = None;
    let page: Vec<Value> = it
        .by_ref()
        .take(size)
        .map(|(e, i)| {
            last = Some(e);
            invitation_json(&c, e, i)
        })
        .collect();
    let mut out = json!({ "userInvitations": page });
    if it.next().is_some()
        && let Some(last) = last
    {
        out["nextPageToken"] = json!(last);
    }
    (StatusCode::OK, Json(out))
}

// ---- SCP ----

const SCP_ORG: &str = "org-7d9f3c1e5b2a4e6f8a0b1c2d3e4f5a6b";
const SCP_LZ: &str = "2c8a138f8d78e1fc29a449dbfa8681";
const SCP_UNITS: [(&str, &str); 2] = [
    ("ou-b30e9fcc39f84a20bf9e7458e5ec3801", "Workloads"),
    ("ou-3a1b2c3d4e5f60718293a4b5c6d7e8f9", "Sandbox"),
];

fn scp_err(code: StatusCode, detail: &str) -> Reply {
    (
        code,
        Json(
            json!({"errors": [{"code": code.as_u16().to_string(), "detail": detail, "title": "error"}]}),
        ),
    )
}

fn scp_version(h: &HeaderMap, service: &str) -> bool {
    h.get("scp-api-version")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(service))
}

fn scp_account_json(a: &ScpAccount) -> Value {
    let unit = SCP_UNITS
        .iter()
        .find(|u| u.0 == a.parent_unit_id)
        .map_or("", |u| u.1);
    json!({"control_policies": [], "created_at": a.created_at, "created_by": "provmock", "creator_name": "provmock",
           "email": a.email, "id": a.id, "joined_method": "CLOUD_CONTROL", "joined_time": a.created_at,
           "login_id": a.email, "modified_at": a.created_at, "modified_by": "provmock", "modifier_name": "provmock",
           "name": a.name, "organization_id": SCP_ORG, "parent_unit_id": a.parent_unit_id, "parent_unit_name": unit,
           "srn": format!("srn:e::{SCP_ORG}:::organization:account/{}", a.id), "state": "ACTIVE", "type": "MEMBER"})
}

async fn scp_create(State(s): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Reply {
    if !scp_version(&h, "cloudcontrol") {
        return scp_err(
            StatusCode::BAD_REQUEST,
            "Scp-API-Version: cloudcontrol VERSION is required",
        );
    }
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let (name, email, lz, unit) = (
        field("name"),
        field("email"),
        field("landing_zone_id"),
        field("parent_unit_id"),
    );
    let name_ok = (2..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_.".contains(c));
    if !name_ok || !email.contains('@') || email.len() > 254 {
        return scp_err(StatusCode::BAD_REQUEST, "invalid name or email");
    }
    if lz != SCP_LZ || !SCP_UNITS.iter().any(|u| u.0 == unit) {
        return scp_err(StatusCode::NOT_FOUND, "unknown landing zone or unit");
    }
    let (id, job) = {
        let mut ids = lock(&s.ids);
        (ids.draw(LOWER_ALNUM, 32), ids.draw(HEX, 32))
    };
    let (lname, lemail) = (name.to_ascii_lowercase(), email.to_ascii_lowercase());
    let mut st = lock(&s.scp);
    if st.names.contains(&lname) || st.emails.contains(&lemail) {
        return scp_err(
            StatusCode::CONFLICT,
            "an account with this name or email exists",
        );
    }
    st.names.insert(lname);
    st.emails.insert(lemail);
    let at = st.accounts.len();
    st.accounts.push(ScpAccount {
        id: id.clone(),
        name: name.into(),
        email: email.into(),
        parent_unit_id: unit.into(),
        created_at: now_rfc3339(),
    });
    st.by_id.insert(id.clone(), at);
    st.jobs.push_back((job.clone(), at));
    if st.jobs.len() > OPS_KEEP {
        st.jobs.pop_front();
    }
    (
        StatusCode::CREATED,
        Json(json!({"account_id": id, "job_id": job})),
    )
}

async fn scp_get(State(s): State<Shared>, h: HeaderMap, Path(id): Path<String>) -> Reply {
    if !scp_version(&h, "organization") {
        return scp_err(
            StatusCode::BAD_REQUEST,
            "Scp-API-Version: organization VERSION is required",
        );
    }
    let st = lock(&s.scp);
    match st.by_id.get(&id) {
        Some(&i) => (
            StatusCode::OK,
            Json(json!({"account": scp_account_json(&st.accounts[i])})),
        ),
        None => scp_err(StatusCode::NOT_FOUND, "no such account"),
    }
}

async fn scp_list(
    State(s): State<Shared>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Reply {
    if !scp_version(&h, "organization") {
        return scp_err(
            StatusCode::BAD_REQUEST,
            "Scp-API-Version: organization VERSION is required",
        );
    }
    let size = page_args(&q, "size", 20, 1000);
    let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(0);
    let st = lock(&s.scp);
    let accounts: Vec<Value> = st
        .accounts
        .iter()
        .rev()
        .skip(page * size)
        .take(size)
        .map(scp_account_json)
        .collect();
    (
        StatusCode::OK,
        Json(
            json!({"accounts": accounts, "count": st.accounts.len(), "page": page, "size": size,
                    "sort": ["created_at:desc"]}),
        ),
    )
}

// ---- Yandex IdP ----

const Y_POOL: &str = "ek0provmockpool00001";

fn y_user_json(u: &YUser) -> Value {
    json!({"createdAt": u.created_at, "fullName": u.full_name, "id": u.id, "passwordCreatedAt": u.created_at,
           "status": "ACTIVE", "updatedAt": u.created_at, "username": u.username, "userpoolId": Y_POOL})
}

fn y_op_json(op: &YOp, user: &YUser) -> Value {
    let mut response = y_user_json(user);
    response["@type"] = json!("type.googleapis.com/yandex.cloud.organizationmanager.v1.idp.User");
    json!({"createdAt": op.created_at, "description": "Create user", "done": true, "id": op.id,
           "metadata": {"@type": "type.googleapis.com/yandex.cloud.organizationmanager.v1.idp.CreateUserMetadata",
                        "userId": user.id},
           "modifiedAt": op.created_at, "response": response})
}

async fn y_create(State(s): State<Shared>, Json(body): Json<Value>) -> Reply {
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let (pool, username) = (field("userpoolId"), field("username"));
    let password = body
        .pointer("/passwordSpec/password")
        .and_then(Value::as_str)
        .unwrap_or("");
    if pool != Y_POOL || username.is_empty() || username.len() > 256 || password.len() < 8 {
        return err(
            StatusCode::BAD_REQUEST,
            "userpoolId, username and passwordSpec.password are required",
        );
    }
    let (uid, oid) = {
        let mut ids = lock(&s.ids);
        (
            format!("aje{}", ids.draw(LOWER_ALNUM, 17)),
            format!("idp{}", ids.draw(LOWER_ALNUM, 17)),
        )
    };
    let now = now_rfc3339();
    let mut st = lock(&s.yandex);
    if !st.usernames.insert(username.to_ascii_lowercase()) {
        return err(StatusCode::CONFLICT, "username exists");
    }
    let user = YUser {
        id: uid.clone(),
        username: username.into(),
        full_name: field("fullName").into(),
        created_at: now.clone(),
    };
    let op = YOp {
        id: oid.clone(),
        user: uid.clone(),
        created_at: now,
    };
    let out = y_op_json(&op, &user);
    st.users.insert(uid, user);
    st.ops.insert(oid.clone(), op);
    st.order.push_back(oid);
    if st.order.len() > OPS_KEEP
        && let Some(old) = st.order.pop_front()
    {
        st.ops.remove(&old);
    }
    (StatusCode::OK, Json(out))
}

async fn y_get_user(State(s): State<Shared>, Path(id): Path<String>) -> Reply {
    let st = lock(&s.yandex);
    match st.users.get(&id) {
        Some(u) => (StatusCode::OK, Json(y_user_json(u))),
        None => err(StatusCode::NOT_FOUND, "no such user"),
    }
}

async fn y_get_op(State(s): State<Shared>, Path(id): Path<String>) -> Reply {
    let st = lock(&s.yandex);
    match st
        .ops
        .get(&id)
        .and_then(|op| st.users.get(&op.user).map(|u| (op, u)))
    {
        Some((op, u)) => (StatusCode::OK, Json(y_op_json(op, u))),
        None => err(StatusCode::NOT_FOUND, "no such operation"),
    }
}

/// The default world's Channel customer, and Cloud Identity C00000000's unmanaged consumer accounts (those of a
/// fixtures file, when one is given).
fn seed(store: &Store, fixtures: Option<&str>) {
    let mut st = lock(&store.channel);
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
    drop(st);
    let doc: Value = match fixtures {
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => v,
            Err(e) => {
                eprintln!("baseline: {path}: {e}");
                std::process::exit(2);
            }
        },
        None => {
            let defaults = [
                "writer", "sam+news", "alice", "bob", "carol", "dave", "erin",
            ];
            let accounts: Vec<Value> = defaults
                .iter()
                .map(|n| json!({"email": format!("{n}@altostrat.com"), "create_time": "2026-01-02T00:00:00Z"}))
                .collect();
            json!({"google": {"consumer_accounts": accounts}})
        }
    };
    let mut ci = lock(&store.ci);
    for a in doc
        .pointer("/google/consumer_accounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let email = a["email"].as_str().unwrap_or("").to_ascii_lowercase();
        if email.ends_with("@altostrat.com") && a["managed"] != true {
            let update_time = a["create_time"]
                .as_str()
                .unwrap_or("2026-01-01T00:00:00Z")
                .to_string();
            ci.invitations.insert(
                email,
                Invitation {
                    state: "NOT_YET_SENT",
                    sent: 0,
                    update_time,
                },
            );
        }
    }
}

#[tokio::main]
async fn main() {
    // `PORT [--fixtures FILE]`, or BASELINE_PORT; 18090 by default
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut port = std::env::var("BASELINE_PORT").unwrap_or_else(|_| "18090".into());
    let mut fixtures = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--fixtures" => fixtures = it.next().cloned(),
            "--port" => port = it.next().cloned().unwrap_or(port),
            p => port = p.to_string(),
        }
    }
    let store: Shared = Arc::default();
    seed(&store, fixtures.as_deref());
    let app = Router::new()
        .route(
            "/_mock/health",
            get(|| async { Json(json!({"status": "ok"})) }),
        )
        .route("/v1/accounts/{a}/customers", post(create).get(list))
        .route("/v1/accounts/{a}/customers/{c}", get(fetch))
        .route("/v1/customers/{c}/userinvitations", get(ci_list))
        .route("/v1/customers/{c}/userinvitations/{tail}", post(ci_send))
        .route("/v1/accounts", post(scp_create))
        .route("/v1/organization-accounts", get(scp_list))
        .route("/v1/organization-accounts/{id}", get(scp_get))
        .route("/organization-manager/v1/idp/users", post(y_create))
        .route("/organization-manager/v1/idp/users/{id}", get(y_get_user))
        .route("/operations/{id}", get(y_get_op))
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
