//! UserService: get, list (with its filter), create, update, delete, suspend and reactivate.

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::paging;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::yandex::iam::authorize;
use crate::request::Caller;
use crate::world::actions::Action;
use crate::world::messages::{pool_not_found, user_not_found, user_proto};
use crate::world::ops::Operation;
use crate::world::stored;
use crate::world::yandex::{User, UserProfile, UserStatus};

use super::operations::{new_id, start_op};
use super::render::empty;
use super::validate::{
    check_profile, max_len, required, timestamp_in_range, to_time, valid_username,
};

pub const CREATE_USER_KIND: &str = "yandex.createUser";

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

#[cfg(test)]
mod tests {
    use super::*;

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
