//! Yandex IdP users and userpools, and Yandex operations: every rule once, for gRPC and REST. Validation follows
//! the `yandex.cloud.validation` annotations of the real protos (lengths, patterns, required, ranges).

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::json;

use super::iam::authorize;
use crate::app::{App, State};
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::ops::{AnyJson, Operation, Outcome};
use crate::paging;
use crate::proto::Timestamp;
use crate::proto::google::rpc as rpcpb;
use crate::proto::yandex::cloud::operation as oppb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::google::{Caller, proto_json};
use crate::world::yandex::{PoolStatus, User, UserProfile, UserStatus, Userpool};

const PKG: &str = "yandex.cloud.organizationmanager.v1.idp";
pub const CREATE_USER_KIND: &str = "yandex.createUser";
pub const CREATE_POOL_KIND: &str = "yandex.createUserpool";
/// guess: the userpool domain suffix Yandex shows for a default subdomain.
const DOMAIN_SUFFIX: &str = "idp.yandexcloud.net";

// ---------- validation ----------

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn max_len(field: &str, v: &str, max: usize) -> ApiResult<()> {
    if chars(v) > max {
        return Err(ApiError::invalid_field(
            field,
            format!("length must be <= {max}, got {}", chars(v)),
        ));
    }
    Ok(())
}

fn required(field: &str, v: &str, max: usize) -> ApiResult<()> {
    if v.is_empty() {
        return Err(ApiError::invalid_field(field, "value is required"));
    }
    max_len(field, v, max)
}

/// `[a-z0-9A-Z\._-]{1,64}@.{1,256}`
fn valid_username(u: &str) -> bool {
    match u.split_once('@') {
        Some((local, domain)) => {
            (1..=64).contains(&local.len())
                && local
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                && (1..=256).contains(&chars(domain))
                && !domain.contains('\n')
        }
        None => false,
    }
}

fn timestamp_in_range(field: &str, t: &Option<Timestamp>) -> ApiResult<()> {
    if let Some(t) = t {
        let max = Utc
            .with_ymd_and_hms(2105, 12, 31, 23, 59, 59)
            .single()
            .map(|d| d.timestamp())
            .unwrap_or(i64::MAX);
        if t.seconds < 0 || t.seconds > max || !(0..1_000_000_000).contains(&t.nanos) {
            return Err(ApiError::invalid_field(
                field,
                "value must be between 1970-01-01T00:00:00Z and 2105-12-31T23:59:59.999999999Z",
            ));
        }
    }
    Ok(())
}

fn to_time(t: &Option<Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| {
        Timestamp {
            nanos: t.nanos.max(0),
            ..t
        }
        .to_datetime()
    })
}

fn ts(t: DateTime<Utc>) -> Timestamp {
    t.into()
}

fn check_profile(p: &UserProfile) -> ApiResult<()> {
    max_len("given_name", &p.given_name, 256)?;
    max_len("family_name", &p.family_name, 256)?;
    max_len("email", &p.email, 254)?;
    if !p.email.is_empty() && chars(&p.email) < 3 {
        return Err(ApiError::invalid_field(
            "email",
            format!("`{}` does not match `|(.{{3,254}})`", p.email),
        ));
    }
    max_len("phone_number", &p.phone_number, 50)?;
    for (f, v) in [
        ("external_id", &p.external_id),
        ("company_name", &p.company_name),
        ("department", &p.department),
        ("job_title", &p.job_title),
        ("employee_id", &p.employee_id),
    ] {
        max_len(f, v, 256)?;
    }
    Ok(())
}

// ---------- rendering ----------

pub fn user_proto(u: &User) -> pb::User {
    let status = match u.status {
        UserStatus::Creating => pb::user::Status::Creating,
        UserStatus::Active => pb::user::Status::Active,
        UserStatus::Suspended => pb::user::Status::Suspended,
        UserStatus::Deleting => pb::user::Status::Deleting,
    };
    let p = &u.profile;
    pb::User {
        id: u.id.clone(),
        userpool_id: u.userpool_id.clone(),
        status: status as i32,
        username: p.username.clone(),
        full_name: p.full_name.clone(),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        email: p.email.clone(),
        phone_number: p.phone_number.clone(),
        created_at: Some(ts(u.created_at)),
        updated_at: Some(ts(u.updated_at)),
        external_id: p.external_id.clone(),
        company_name: p.company_name.clone(),
        department: p.department.clone(),
        job_title: p.job_title.clone(),
        employee_id: p.employee_id.clone(),
        expires_at: p.expires_at.map(ts),
        password_created_at: u.password_created_at.map(ts),
    }
}

pub fn pool_proto(p: &Userpool) -> pb::Userpool {
    let status = match p.status {
        PoolStatus::Creating => pb::userpool::Status::Creating,
        PoolStatus::Active => pb::userpool::Status::Active,
    };
    pb::Userpool {
        id: p.id.clone(),
        organization_id: p.organization_id.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        labels: p.labels.clone().into_iter().collect(),
        created_at: Some(ts(p.created_at)),
        updated_at: Some(ts(p.updated_at)),
        domains: p.domains.clone(),
        status: status as i32,
        user_settings: None,
    }
}

fn any<T: Serialize>(name: &str, msg: &T) -> AnyJson {
    AnyJson::new(&format!("{PKG}.{name}"), proto_json(msg))
}

fn empty() -> AnyJson {
    AnyJson::new("google.protobuf.Empty", json!({}))
}

/// The REST JSON of a Yandex operation.
pub fn operation_json(op: &Operation) -> serde_json::Value {
    proto_json(&operation_proto(op))
        .as_object()
        .cloned()
        .map(|mut o| {
            // pbjson writes Any as {typeUrl, value}; Yandex JSON inlines the message with "@type".
            for key in ["metadata", "response"] {
                let stored = if key == "metadata" {
                    &op.metadata
                } else {
                    &op.response
                };
                if o.contains_key(key)
                    && let Some(a) = stored
                {
                    let mut v = serde_json::Map::new();
                    v.insert(
                        "@type".into(),
                        format!("type.googleapis.com/{}", a.type_name).into(),
                    );
                    if let serde_json::Value::Object(fields) = &a.value {
                        v.extend(fields.clone());
                    }
                    o.insert(key.into(), serde_json::Value::Object(v));
                }
            }
            // guess: Yandex's REST gateway always shows `done`, also when false (proto3 JSON would omit it).
            o.insert("done".into(), op.done.into());
            if let (Some(e), true) = (&op.error, o.contains_key("error")) {
                let err = e.to_api_error();
                o.insert(
                    "error".into(),
                    json!({"code": err.code as i32, "message": err.message, "details": []}),
                );
            }
            serde_json::Value::Object(o)
        })
        .unwrap_or_default()
}

/// Packs a stored Yandex message as `Any`.
fn any_proto(a: &AnyJson) -> Option<pbjson_types::Any> {
    fn pack<M: prost::Message + serde::de::DeserializeOwned>(
        a: &AnyJson,
    ) -> Option<pbjson_types::Any> {
        let msg: M = serde_json::from_value(a.value.clone()).ok()?;
        Some(crate::error::any(&a.type_name, &msg))
    }
    match a
        .type_name
        .strip_prefix(&format!("{PKG}."))
        .unwrap_or(&a.type_name)
    {
        "User" => pack::<pb::User>(a),
        "Userpool" => pack::<pb::Userpool>(a),
        "CreateUserMetadata" => pack::<pb::CreateUserMetadata>(a),
        "UpdateUserMetadata" => pack::<pb::UpdateUserMetadata>(a),
        "DeleteUserMetadata" => pack::<pb::DeleteUserMetadata>(a),
        "SuspendUserMetadata" => pack::<pb::SuspendUserMetadata>(a),
        "ReactivateUserMetadata" => pack::<pb::ReactivateUserMetadata>(a),
        "CreateUserpoolMetadata" => pack::<pb::CreateUserpoolMetadata>(a),
        "DeleteUserpoolMetadata" => pack::<pb::DeleteUserpoolMetadata>(a),
        "google.protobuf.Empty" => Some(crate::error::any("google.protobuf.Empty", &())),
        _ => None,
    }
}

pub fn operation_proto(op: &Operation) -> oppb::Operation {
    let result = if !op.done {
        None
    } else if let Some(e) = &op.error {
        let err = e.to_api_error();
        Some(oppb::operation::Result::Error(rpcpb::Status {
            code: err.code as i32,
            message: err.message,
            details: vec![],
        }))
    } else {
        Some(oppb::operation::Result::Response(
            op.response
                .as_ref()
                .and_then(any_proto)
                .unwrap_or_else(|| crate::error::any("google.protobuf.Empty", &())),
        ))
    };
    oppb::Operation {
        id: op.name.clone(),
        description: op.description.clone(),
        created_at: Some(ts(op.created_at)),
        created_by: op.created_by.clone(),
        modified_at: Some(ts(op.modified_at)),
        done: op.done,
        metadata: op.metadata.as_ref().and_then(any_proto),
        result,
    }
}

// ---------- helpers ----------

fn user_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("user `{id}` not found"))
}

fn pool_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("userpool `{id}` not found"))
}

/// guess: Yandex ids are 20 lowercase letters and digits with a 3-letter prefix; we use `aje` for users, `ek0`
/// for userpools and `idp` for operations.
fn new_id(st: &mut State, prefix: &str) -> String {
    format!("{prefix}{}", st.ids.lower_alnum(17))
}

#[allow(clippy::too_many_arguments)] // one call site per RPC; a builder would add nothing
/// Creates an operation; `action` is applied when it finishes (see `complete`), `response` is used as is otherwise.
fn start_op(
    app: &App,
    st: &mut State,
    kind: &str,
    subject: &str,
    description: &str,
    metadata: AnyJson,
    response: Option<AnyJson>,
    action: Option<serde_json::Value>,
) -> ApiResult<Operation> {
    let now = app.clock.now();
    let id = new_id(st, "idp");
    let mut op = Operation::new(id.clone(), Family::Yandex, kind, now);
    op.description = description.to_string();
    op.created_by = subject.to_string();
    op.metadata = Some(metadata);
    op.response = response;
    op.action = action;
    app.schedule(st, op);
    st.ops
        .ops
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("operation `{id}` vanished")))
}

// ---------- users ----------

pub fn get_user(app: &App, caller: &Caller, req: pb::GetUserRequest) -> ApiResult<pb::User> {
    authorize(app, caller)?;
    required("user_id", &req.user_id, 50)?;
    let st = app.lock();
    st.world
        .yandex
        .users
        .get(&req.user_id)
        .map(user_proto)
        .ok_or_else(|| user_not_found(&req.user_id))
}

pub fn list_users(
    app: &App,
    caller: &Caller,
    req: pb::ListUsersRequest,
) -> ApiResult<pb::ListUsersResponse> {
    authorize(app, caller)?;
    required("userpool_id", &req.userpool_id, 50)?;
    if !(0..=1000).contains(&req.page_size) {
        return Err(ApiError::invalid_field(
            "page_size",
            format!("value must be in range 0-1000, got {}", req.page_size),
        ));
    }
    max_len("page_token", &req.page_token, 2000)?;
    max_len("filter", &req.filter, 1000)?;
    let filter = parse_filter(&req.filter)?;
    // guess: 100 users per page when page_size is 0.
    let size = if req.page_size == 0 {
        100
    } else {
        req.page_size as usize
    };
    let fp = paging::fingerprint(&[&req.userpool_id, &req.filter]);
    let after = if req.page_token.is_empty() {
        String::new()
    } else {
        paging::decode(&req.page_token, &fp, "page_token")?
    };
    let st = app.lock();
    let w = &st.world.yandex;
    if !w.userpools.contains_key(&req.userpool_id) {
        return Err(pool_not_found(&req.userpool_id));
    }
    let keep = |_: &str, u: &User| {
        u.userpool_id == req.userpool_id && filter.as_ref().is_none_or(|(k, v)| field_of(u, k) == v)
    };
    let (users, next_page_token) =
        paging::take_page(paging::after(&w.users, after), size, &fp, keep, user_proto);
    Ok(pb::ListUsersResponse {
        users,
        next_page_token,
    })
}

/// guess: the docs give no filter grammar for users; we accept one `field="value"` on username, email,
/// external_id or full_name.
fn parse_filter(f: &str) -> ApiResult<Option<(String, String)>> {
    let f = f.trim();
    if f.is_empty() {
        return Ok(None);
    }
    let bad = || {
        ApiError::invalid_field(
            "filter",
            format!(
                "unsupported filter `{f}` (use field=\"value\" with username, email, external_id or full_name)"
            ),
        )
    };
    let (k, v) = f.split_once('=').ok_or_else(bad)?;
    let k = k.trim();
    let v = v.trim();
    if !matches!(k, "username" | "email" | "external_id" | "full_name") {
        return Err(bad());
    }
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?;
    Ok(Some((k.to_string(), v.to_string())))
}

fn field_of<'a>(u: &'a User, k: &str) -> &'a str {
    match k {
        "username" => &u.profile.username,
        "email" => &u.profile.email,
        "external_id" => &u.profile.external_id,
        _ => &u.profile.full_name,
    }
}

pub fn create_user(app: &App, caller: &Caller, req: pb::CreateUserRequest) -> ApiResult<Operation> {
    use pb::create_user_request::Credentials;
    let subject = authorize(app, caller)?;
    required("userpool_id", &req.userpool_id, 50)?;
    required("username", &req.username, 254)?;
    if !valid_username(&req.username) {
        return Err(ApiError::invalid_field(
            "username",
            format!(
                "`{}` does not match `[a-z0-9A-Z\\._-]{{1,64}}@.{{1,256}}`",
                req.username
            ),
        ));
    }
    required("full_name", &req.full_name, 256)?;
    match &req.credentials {
        None => {
            return Err(ApiError::invalid_field(
                "credentials",
                "one of password_spec or password_hash is required",
            ));
        }
        Some(Credentials::PasswordSpec(p)) => {
            required("password_spec.password", &p.password, 128)?;
            max_len("password_spec.generation_proof", &p.generation_proof, 128)?;
        }
        Some(Credentials::PasswordHash(h)) => {
            required("password_hash.password_hash", &h.password_hash, 512)?;
            if h.password_hash_type == 0
                || pb::password_hash::PasswordHashType::try_from(h.password_hash_type).is_err()
            {
                return Err(ApiError::invalid_field(
                    "password_hash.password_hash_type",
                    "value is required",
                ));
            }
            timestamp_in_range("password_hash.created_at", &h.created_at)?;
        }
    }
    timestamp_in_range("expires_at", &req.expires_at)?;
    let profile = UserProfile {
        username: req.username.clone(),
        full_name: req.full_name.clone(),
        given_name: req.given_name.clone(),
        family_name: req.family_name.clone(),
        email: req.email.clone(),
        phone_number: req.phone_number.clone(),
        external_id: req.external_id.clone(),
        company_name: req.company_name.clone(),
        department: req.department.clone(),
        job_title: req.job_title.clone(),
        employee_id: req.employee_id.clone(),
        expires_at: to_time(&req.expires_at),
    };
    check_profile(&profile)?;

    let now = app.clock.now();
    let mut st = app.lock();
    if !st.world.yandex.userpools.contains_key(&req.userpool_id) {
        return Err(pool_not_found(&req.userpool_id));
    }
    if let Some(u) = st
        .world
        .yandex
        .user_by_username(&req.userpool_id, &req.username)
    {
        return Err(ApiError::already_exists(format!(
            "username `{}` is already taken in userpool `{}` by user `{}`",
            req.username, req.userpool_id, u.id
        )));
    }
    let id = new_id(&mut st, "aje");
    let password_created_at = match &req.credentials {
        Some(Credentials::PasswordHash(h)) => to_time(&h.created_at).or(Some(now)),
        _ => Some(now),
    };
    st.world.yandex.put_user(User {
        id: id.clone(),
        userpool_id: req.userpool_id.clone(),
        status: UserStatus::Creating,
        profile,
        created_at: now,
        updated_at: now,
        password_created_at,
        start_suspended: req.is_active.as_ref().is_some_and(|b| !b.value),
    });
    let meta = any(
        "CreateUserMetadata",
        &pb::CreateUserMetadata {
            user_id: id.clone(),
        },
    );
    start_op(
        app,
        &mut st,
        CREATE_USER_KIND,
        &subject,
        "Create user",
        meta,
        None,
        Some(json!({"user_id": id})),
    )
}

/// Finishing a create: the user leaves CREATING (ACTIVE, or SUSPENDED when created with `is_active=false`).
pub fn complete_create_user(
    st: &mut State,
    op: &Operation,
    now: DateTime<Utc>,
) -> ApiResult<Option<AnyJson>> {
    let id = action_id(op, "user_id")?;
    let mut u = st
        .world
        .yandex
        .users
        .get(&id)
        .cloned()
        .ok_or_else(|| user_not_found(&id))?;
    u.status = if u.start_suspended {
        UserStatus::Suspended
    } else {
        UserStatus::Active
    };
    u.start_suspended = false;
    u.updated_at = now;
    let out = any("User", &user_proto(&u));
    st.world.yandex.put_user(u);
    Ok(Some(out))
}

pub fn complete_create_pool(
    st: &mut State,
    op: &Operation,
    now: DateTime<Utc>,
) -> ApiResult<Option<AnyJson>> {
    let id = action_id(op, "userpool_id")?;
    let mut p = st
        .world
        .yandex
        .userpools
        .get(&id)
        .cloned()
        .ok_or_else(|| pool_not_found(&id))?;
    p.status = PoolStatus::Active;
    p.updated_at = now;
    let out = any("Userpool", &pool_proto(&p));
    st.world.yandex.put_pool(p);
    Ok(Some(out))
}

/// A failed or cancelled create leaves nothing behind.
pub fn abort_create(st: &mut State, op: &Operation) {
    if let Ok(id) = action_id(op, "user_id") {
        st.world.yandex.remove_user(&id);
    }
    if let Ok(id) = action_id(op, "userpool_id") {
        st.world.yandex.remove_pool(&id);
    }
}

fn action_id(op: &Operation, key: &str) -> ApiResult<String> {
    op.action
        .as_ref()
        .and_then(|a| a.get(key))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| ApiError::internal(format!("operation `{}` has no {key}", op.name)))
}

const UPDATABLE: &[&str] = &[
    "username",
    "full_name",
    "given_name",
    "family_name",
    "email",
    "phone_number",
    "company_name",
    "department",
    "job_title",
    "employee_id",
    "expires_at",
];

/// guess: updates, deletes, suspends and reactivations apply at once; their operation finishes per policy.
pub fn update_user(app: &App, caller: &Caller, req: pb::UpdateUserRequest) -> ApiResult<Operation> {
    let subject = authorize(app, caller)?;
    required("user_id", &req.user_id, 50)?;
    if !req.username.is_empty() && !valid_username(&req.username) {
        return Err(ApiError::invalid_field(
            "username",
            format!("`{}` is not a valid username", req.username),
        ));
    }
    timestamp_in_range("expires_at", &req.expires_at)?;
    let paths: Vec<String> = req
        .update_mask
        .as_ref()
        .map(|m| m.paths.clone())
        .unwrap_or_default();
    let paths: Vec<String> = if paths.is_empty() {
        UPDATABLE.iter().map(|s| s.to_string()).collect()
    } else {
        paths
            .iter()
            .map(|p| crate::providers::google::snake_case(p))
            .collect()
    };
    for p in &paths {
        if !UPDATABLE.contains(&p.as_str()) {
            return Err(ApiError::invalid_field(
                "update_mask",
                format!("unknown or read-only field `{p}`"),
            ));
        }
    }
    let now = app.clock.now();
    let mut st = app.lock();
    let mut u = st
        .world
        .yandex
        .users
        .get(&req.user_id)
        .cloned()
        .ok_or_else(|| user_not_found(&req.user_id))?;
    let p = &mut u.profile;
    for path in &paths {
        match path.as_str() {
            "username" if !req.username.is_empty() => p.username = req.username.clone(),
            "full_name" if !req.full_name.is_empty() => p.full_name = req.full_name.clone(),
            "given_name" => p.given_name = req.given_name.clone(),
            "family_name" => p.family_name = req.family_name.clone(),
            "email" => p.email = req.email.clone(),
            "phone_number" => p.phone_number = req.phone_number.clone(),
            "company_name" => p.company_name = req.company_name.clone(),
            "department" => p.department = req.department.clone(),
            "job_title" => p.job_title = req.job_title.clone(),
            "employee_id" => p.employee_id = req.employee_id.clone(),
            "expires_at" => p.expires_at = to_time(&req.expires_at),
            _ => {}
        }
    }
    check_profile(&u.profile)?;
    if let Some(other) = st
        .world
        .yandex
        .user_by_username(&u.userpool_id, &u.profile.username)
        && other.id != u.id
    {
        return Err(ApiError::already_exists(format!(
            "username `{}` is already taken by `{}`",
            u.profile.username, other.id
        )));
    }
    u.updated_at = now;
    let response = any("User", &user_proto(&u));
    st.world.yandex.put_user(u);
    let meta = any(
        "UpdateUserMetadata",
        &pb::UpdateUserMetadata {
            user_id: req.user_id.clone(),
        },
    );
    start_op(
        app,
        &mut st,
        "yandex.updateUser",
        &subject,
        "Update user",
        meta,
        Some(response),
        None,
    )
}

pub fn delete_user(app: &App, caller: &Caller, req: pb::DeleteUserRequest) -> ApiResult<Operation> {
    let subject = authorize(app, caller)?;
    required("user_id", &req.user_id, 50)?;
    let mut st = app.lock();
    st.world
        .yandex
        .remove_user(&req.user_id)
        .ok_or_else(|| user_not_found(&req.user_id))?;
    let meta = any(
        "DeleteUserMetadata",
        &pb::DeleteUserMetadata {
            user_id: req.user_id.clone(),
        },
    );
    start_op(
        app,
        &mut st,
        "yandex.deleteUser",
        &subject,
        "Delete user",
        meta,
        Some(empty()),
        None,
    )
}

fn set_status(
    app: &App,
    caller: &Caller,
    user_id: &str,
    from: UserStatus,
    to: UserStatus,
    kind: &str,
) -> ApiResult<Operation> {
    let subject = authorize(app, caller)?;
    required("user_id", user_id, 50)?;
    let now = app.clock.now();
    let mut st = app.lock();
    let mut u = st
        .world
        .yandex
        .users
        .get(user_id)
        .cloned()
        .ok_or_else(|| user_not_found(user_id))?;
    if u.status != from {
        return Err(ApiError::failed_precondition(format!(
            "user `{user_id}` is {:?}, not {from:?}",
            u.status
        )));
    }
    u.status = to;
    u.updated_at = now;
    st.world.yandex.put_user(u);
    let meta = if to == UserStatus::Suspended {
        any(
            "SuspendUserMetadata",
            &pb::SuspendUserMetadata {
                user_id: user_id.to_string(),
            },
        )
    } else {
        any(
            "ReactivateUserMetadata",
            &pb::ReactivateUserMetadata {
                user_id: user_id.to_string(),
            },
        )
    };
    start_op(
        app,
        &mut st,
        kind,
        &subject,
        kind,
        meta,
        Some(empty()),
        None,
    )
}

pub fn suspend_user(
    app: &App,
    caller: &Caller,
    req: pb::SuspendUserRequest,
) -> ApiResult<Operation> {
    max_len("reason", &req.reason, 256)?;
    timestamp_in_range("expires_at", &req.expires_at)?;
    set_status(
        app,
        caller,
        &req.user_id,
        UserStatus::Active,
        UserStatus::Suspended,
        "yandex.suspendUser",
    )
}

pub fn reactivate_user(
    app: &App,
    caller: &Caller,
    req: pb::ReactivateUserRequest,
) -> ApiResult<Operation> {
    set_status(
        app,
        caller,
        &req.user_id,
        UserStatus::Suspended,
        UserStatus::Active,
        "yandex.reactivateUser",
    )
}

// ---------- userpools ----------

pub fn get_userpool(
    app: &App,
    caller: &Caller,
    req: pb::GetUserpoolRequest,
) -> ApiResult<pb::Userpool> {
    authorize(app, caller)?;
    required("userpool_id", &req.userpool_id, 50)?;
    let st = app.lock();
    st.world
        .yandex
        .userpools
        .get(&req.userpool_id)
        .map(pool_proto)
        .ok_or_else(|| pool_not_found(&req.userpool_id))
}

pub fn list_userpools(
    app: &App,
    caller: &Caller,
    req: pb::ListUserpoolsRequest,
) -> ApiResult<pb::ListUserpoolsResponse> {
    authorize(app, caller)?;
    required("organization_id", &req.organization_id, 50)?;
    if !(0..=1000).contains(&req.page_size) {
        return Err(ApiError::invalid_field(
            "page_size",
            format!("value must be in range 0-1000, got {}", req.page_size),
        ));
    }
    if !req.filter.trim().is_empty() {
        return Err(ApiError::invalid_field(
            "filter",
            "provmock supports no userpool filters",
        ));
    }
    let size = if req.page_size == 0 {
        100
    } else {
        req.page_size as usize
    };
    let fp = paging::fingerprint(&[&req.organization_id]);
    let after = if req.page_token.is_empty() {
        String::new()
    } else {
        paging::decode(&req.page_token, &fp, "page_token")?
    };
    let st = app.lock();
    let keep = |_: &str, p: &Userpool| p.organization_id == req.organization_id;
    let (pools, next_page_token) = paging::take_page(
        paging::after(&st.world.yandex.userpools, after),
        size,
        &fp,
        keep,
        pool_proto,
    );
    Ok(pb::ListUserpoolsResponse {
        userpools: pools,
        next_page_token,
    })
}

fn valid_pool_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b.last().is_some_and(|c| *c != b'-')
}

pub fn create_userpool(
    app: &App,
    caller: &Caller,
    req: pb::CreateUserpoolRequest,
) -> ApiResult<Operation> {
    let subject = authorize(app, caller)?;
    required("organization_id", &req.organization_id, 50)?;
    if req.name.is_empty() {
        return Err(ApiError::invalid_field("name", "value is required"));
    }
    if !valid_pool_name(&req.name) {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "`{}` does not match `[a-z]([-a-z0-9]{{0,61}}[a-z0-9])?`",
                req.name
            ),
        ));
    }
    max_len("description", &req.description, 256)?;
    if req.labels.len() > 64 {
        return Err(ApiError::invalid_field("labels", "at most 64 labels"));
    }
    for (k, v) in &req.labels {
        let ok = |s: &str| {
            s.len() <= 63
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        };
        if !ok(k) || !ok(v) {
            return Err(ApiError::invalid_field(
                "labels",
                format!("label `{k}={v}` does not match `[-_0-9a-z]*` (<= 63)"),
            ));
        }
    }
    required("default_subdomain", &req.default_subdomain, 63)?;
    if !valid_pool_name(&req.default_subdomain) {
        return Err(ApiError::invalid_field(
            "default_subdomain",
            format!("`{}` is not a DNS label", req.default_subdomain),
        ));
    }
    let now = app.clock.now();
    let mut st = app.lock();
    if st.world.strict
        && !st
            .world
            .yandex
            .organizations
            .contains_key(&req.organization_id)
    {
        return Err(ApiError::not_found(format!(
            "organization `{}` not found",
            req.organization_id
        )));
    }
    let domain = format!("{}.{DOMAIN_SUFFIX}", req.default_subdomain);
    if let Some(p) = st.world.yandex.domains.get(&domain) {
        return Err(ApiError::already_exists(format!(
            "domain `{domain}` is already used by userpool `{p}`"
        )));
    }
    if let Some(p) = st
        .world
        .yandex
        .userpools
        .values()
        .find(|p| p.organization_id == req.organization_id && p.name == req.name)
    {
        return Err(ApiError::already_exists(format!(
            "userpool named `{}` already exists: `{}`",
            req.name, p.id
        )));
    }
    let id = new_id(&mut st, "ek0");
    st.world.yandex.put_pool(Userpool {
        id: id.clone(),
        organization_id: req.organization_id.clone(),
        name: req.name.clone(),
        description: req.description.clone(),
        labels: req.labels.clone().into_iter().collect(),
        domains: vec![domain],
        status: PoolStatus::Creating,
        created_at: now,
        updated_at: now,
    });
    let meta = any(
        "CreateUserpoolMetadata",
        &pb::CreateUserpoolMetadata {
            userpool_id: id.clone(),
        },
    );
    start_op(
        app,
        &mut st,
        CREATE_POOL_KIND,
        &subject,
        "Create userpool",
        meta,
        None,
        Some(json!({"userpool_id": id})),
    )
}

pub fn delete_userpool(
    app: &App,
    caller: &Caller,
    req: pb::DeleteUserpoolRequest,
) -> ApiResult<Operation> {
    let subject = authorize(app, caller)?;
    required("userpool_id", &req.userpool_id, 50)?;
    let mut st = app.lock();
    if !st.world.yandex.userpools.contains_key(&req.userpool_id) {
        return Err(pool_not_found(&req.userpool_id));
    }
    if st.world.yandex.pool_has_users(&req.userpool_id) {
        return Err(ApiError::failed_precondition(format!(
            "userpool `{}` still has users; delete them first",
            req.userpool_id
        )));
    }
    st.world.yandex.remove_pool(&req.userpool_id);
    let meta = any(
        "DeleteUserpoolMetadata",
        &pb::DeleteUserpoolMetadata {
            userpool_id: req.userpool_id.clone(),
        },
    );
    start_op(
        app,
        &mut st,
        "yandex.deleteUserpool",
        &subject,
        "Delete userpool",
        meta,
        Some(empty()),
        None,
    )
}

// ---------- operations ----------

fn yandex_op(st: &State, id: &str) -> ApiResult<()> {
    match st.ops.ops.get(id) {
        Some(op) if op.family == Family::Yandex => Ok(()),
        _ => Err(ApiError::not_found(format!("operation `{id}` not found"))),
    }
}

pub fn get_operation(app: &App, caller: &Caller, id: &str) -> ApiResult<Operation> {
    authorize(app, caller)?;
    if id.is_empty() {
        return Err(ApiError::invalid_field("operation_id", "value is required"));
    }
    let now = app.clock.now();
    let mut st = app.lock();
    yandex_op(&st, id)?;
    st.read_operation(id, now)
}

/// Cancelling a running operation finishes it with CANCELLED (and undoes a create); a finished one is returned as
/// it is (guess: the docs do not say).
pub fn cancel_operation(app: &App, caller: &Caller, id: &str) -> ApiResult<Operation> {
    authorize(app, caller)?;
    if id.is_empty() {
        return Err(ApiError::invalid_field("operation_id", "value is required"));
    }
    let now = app.clock.now();
    let mut st = app.lock();
    yandex_op(&st, id)?;
    let err = ApiError::new(Code::Cancelled, format!("operation `{id}` was cancelled"));
    st.finish_operation(id, Outcome::Fail(err), now);
    st.ops
        .ops
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("operation `{id}` not found")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_documented_pattern() {
        assert!(valid_username("alice@example.idp.yandexcloud.net"));
        assert!(valid_username("a.b_c-d@x"));
        assert!(!valid_username("alice"));
        assert!(!valid_username("al ice@x.com"));
        assert!(!valid_username(&format!("{}@x", "a".repeat(65))));
        assert!(!valid_username("alice@"));
    }

    #[test]
    fn pool_names_are_dns_like() {
        assert!(valid_pool_name("my-pool1"));
        assert!(!valid_pool_name("1pool"));
        assert!(!valid_pool_name("pool-"));
        assert!(!valid_pool_name("Pool"));
    }

    #[test]
    fn filters_take_one_field() {
        assert_eq!(parse_filter("").ok(), Some(None));
        assert_eq!(
            parse_filter(r#"username="a@b""#).ok().flatten(),
            Some(("username".into(), "a@b".into()))
        );
        assert!(parse_filter("colour=\"red\"").is_err());
        assert!(parse_filter("username=a").is_err());
    }
}
