//! Yandex IdP users and userpools, and Yandex operations: every rule once, for gRPC and REST. Validation follows
//! the `yandex.cloud.validation` annotations of the real protos (lengths, patterns, required, ranges).

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::iam::authorize;
use crate::app::App;
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::paging;
use crate::proto::Timestamp;
use crate::proto::google::rpc as rpcpb;
use crate::proto::yandex::cloud::operation as oppb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::google::proto_json;
use crate::request::Caller;
use crate::world::actions::Action;
use crate::world::messages::{pool_not_found, pool_proto, ts, user_not_found, user_proto};
use crate::world::ops::{AnyJson, Operation, Outcome};
use crate::world::state::State;
use crate::world::stored;
use crate::world::yandex::{PoolStatus, User, UserProfile, UserStatus, Userpool};

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

fn empty() -> AnyJson {
    AnyJson::empty()
}

/// The REST JSON of a Yandex operation: the proto3 JSON of `operation.Operation`, with its `Any` fields inlined
/// under `@type` as Yandex's REST gateway writes them — rendered straight from the record (packing the messages as
/// protobuf only to unpack them again cost a create a tenth of its time).
pub fn operation_json(op: &Operation) -> serde_json::Value {
    use serde_json::{Map, Value};
    let inline = |a: &AnyJson| {
        let mut v = Map::new();
        v.insert(
            "@type".into(),
            format!("type.googleapis.com/{}", a.type_name).into(),
        );
        v.extend(a.fields());
        Value::Object(v)
    };
    let mut o = Map::new();
    // proto3 JSON leaves out empty strings.
    for (key, text) in [
        ("id", &op.name),
        ("description", &op.description),
        ("createdBy", &op.created_by),
    ] {
        if !text.is_empty() {
            o.insert(key.into(), text.as_str().into());
        }
    }
    o.insert("createdAt".into(), proto_json(&ts(op.created_at)));
    o.insert("modifiedAt".into(), proto_json(&ts(op.modified_at)));
    // guess: Yandex's REST gateway always shows `done`, also when false (proto3 JSON would omit it).
    o.insert("done".into(), op.done.into());
    if let Some(m) = op
        .metadata
        .as_ref()
        .filter(|m| stored::declared(&m.type_name))
    {
        o.insert("metadata".into(), inline(m));
    }
    if op.done {
        if let Some(e) = &op.error {
            let err = e.to_api_error();
            o.insert(
                "error".into(),
                json!({"code": err.code as i32, "message": err.message, "details": []}),
            );
        } else {
            let response = match &op.response {
                Some(r) => inline(r),
                None => proto_json(&crate::error::any(stored::EMPTY, &())),
            };
            o.insert("response".into(), response);
        }
    }
    Value::Object(o)
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
                .and_then(stored::pack)
                .unwrap_or_else(|| crate::error::any(stored::EMPTY, &())),
        ))
    };
    oppb::Operation {
        id: op.name.clone(),
        description: op.description.clone(),
        created_at: Some(ts(op.created_at)),
        created_by: op.created_by.clone(),
        modified_at: Some(ts(op.modified_at)),
        done: op.done,
        metadata: op.metadata.as_ref().and_then(stored::pack),
        result,
    }
}

// ---------- helpers ----------

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
    action: Option<Action>,
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
    let st = app.lock();
    authorize(app, &st, caller)?;
    required("user_id", &req.user_id, 50)?;
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
    let st = app.lock();
    authorize(app, &st, caller)?;
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
    let mut st = app.lock();
    let subject = authorize(app, &st, caller)?;
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
    let meta = stored::YANDEX_CREATE_USER.of(&pb::CreateUserMetadata {
        user_id: id.clone(),
    });
    start_op(
        app,
        &mut st,
        CREATE_USER_KIND,
        &subject,
        "Create user",
        meta,
        None,
        Some(Action::YandexCreateUser {
            user_id: id.clone(),
        }),
    )
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
    let mut st = app.lock();
    let subject = authorize(app, &st, caller)?;
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
    let response = stored::YANDEX_USER.of(&user_proto(&u));
    st.world.yandex.put_user(u);
    let meta = stored::YANDEX_UPDATE_USER.of(&pb::UpdateUserMetadata {
        user_id: req.user_id.clone(),
    });
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
    let mut st = app.lock();
    let subject = authorize(app, &st, caller)?;
    required("user_id", &req.user_id, 50)?;
    st.world
        .yandex
        .remove_user(&req.user_id)
        .ok_or_else(|| user_not_found(&req.user_id))?;
    let meta = stored::YANDEX_DELETE_USER.of(&pb::DeleteUserMetadata {
        user_id: req.user_id.clone(),
    });
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
    let mut st = app.lock();
    let subject = authorize(app, &st, caller)?;
    required("user_id", user_id, 50)?;
    let now = app.clock.now();
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
        stored::YANDEX_SUSPEND_USER.of(&pb::SuspendUserMetadata {
            user_id: user_id.to_string(),
        })
    } else {
        stored::YANDEX_REACTIVATE_USER.of(&pb::ReactivateUserMetadata {
            user_id: user_id.to_string(),
        })
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
    let st = app.lock();
    authorize(app, &st, caller)?;
    required("userpool_id", &req.userpool_id, 50)?;
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
    let st = app.lock();
    authorize(app, &st, caller)?;
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
    let mut st = app.lock();
    let subject = authorize(app, &st, caller)?;
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
    let meta = stored::YANDEX_CREATE_USERPOOL.of(&pb::CreateUserpoolMetadata {
        userpool_id: id.clone(),
    });
    start_op(
        app,
        &mut st,
        CREATE_POOL_KIND,
        &subject,
        "Create userpool",
        meta,
        None,
        Some(Action::YandexCreateUserpool {
            userpool_id: id.clone(),
        }),
    )
}

pub fn delete_userpool(
    app: &App,
    caller: &Caller,
    req: pb::DeleteUserpoolRequest,
) -> ApiResult<Operation> {
    let mut st = app.lock();
    let subject = authorize(app, &st, caller)?;
    required("userpool_id", &req.userpool_id, 50)?;
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
    let meta = stored::YANDEX_DELETE_USERPOOL.of(&pb::DeleteUserpoolMetadata {
        userpool_id: req.userpool_id.clone(),
    });
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
    let mut st = app.lock();
    authorize(app, &st, caller)?;
    if id.is_empty() {
        return Err(ApiError::invalid_field("operation_id", "value is required"));
    }
    let now = app.clock.now();
    yandex_op(&st, id)?;
    st.read_operation(id, now)
}

/// Cancelling a running operation finishes it with CANCELLED (and undoes a create); a finished one is returned as
/// it is (guess: the docs do not say).
pub fn cancel_operation(app: &App, caller: &Caller, id: &str) -> ApiResult<Operation> {
    let mut st = app.lock();
    authorize(app, &st, caller)?;
    if id.is_empty() {
        return Err(ApiError::invalid_field("operation_id", "value is required"));
    }
    let now = app.clock.now();
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

    /// The rendering `operation_json` replaced: the operation as a proto, as pbjson writes it, with its `Any`s
    /// inlined afterwards — the reference the direct rendering must agree with.
    fn through_the_proto(op: &Operation) -> serde_json::Value {
        let mut o = proto_json(&operation_proto(op))
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (key, stored) in [("metadata", &op.metadata), ("response", &op.response)] {
            if o.contains_key(key)
                && let Some(a) = stored
            {
                let mut v = serde_json::Map::new();
                v.insert(
                    "@type".into(),
                    format!("type.googleapis.com/{}", a.type_name).into(),
                );
                v.extend(a.fields());
                o.insert(key.into(), serde_json::Value::Object(v));
            }
        }
        o.insert("done".into(), op.done.into());
        if let (Some(e), true) = (&op.error, o.contains_key("error")) {
            let err = e.to_api_error();
            o.insert(
                "error".into(),
                json!({"code": err.code as i32, "message": err.message, "details": []}),
            );
        }
        serde_json::Value::Object(o)
    }

    #[test]
    fn operations_render_as_through_their_proto() {
        let now = Utc
            .timestamp_opt(1_700_000_000, 123_000_000)
            .single()
            .expect("time");
        let user = User {
            id: "aje00000000000000001".into(),
            userpool_id: "ek0provmockpool00001".into(),
            status: UserStatus::Active,
            profile: UserProfile {
                username: "ivan@provmock.idp.yandexcloud.net".into(),
                full_name: "Ivan Petrov".into(),
                ..Default::default()
            },
            created_at: now,
            updated_at: now,
            password_created_at: Some(now),
            start_suspended: false,
        };
        let mut pending = Operation::new(
            "idp00000000000000001".into(),
            Family::Yandex,
            CREATE_USER_KIND,
            now,
        );
        pending.description = "Create user".into();
        pending.metadata = Some(stored::YANDEX_CREATE_USER.of(&pb::CreateUserMetadata {
            user_id: user.id.clone(),
        }));
        let mut done = pending.clone();
        done.done = true;
        done.created_by = "ajeprincipal".into();
        done.response = Some(stored::YANDEX_USER.of(&user_proto(&user)));
        let mut failed = pending.clone();
        failed.done = true;
        failed.error = Some((&ApiError::not_found("no such user")).into());
        let mut bare = Operation::new(
            "idp00000000000000002".into(),
            Family::Yandex,
            "yandex.deleteUser",
            now,
        );
        bare.done = true;
        let mut emptied = bare.clone();
        emptied.response = Some(AnyJson::empty());
        for op in [pending, done, failed, bare, emptied] {
            assert_eq!(operation_json(&op), through_the_proto(&op), "{op:?}");
        }
    }

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
