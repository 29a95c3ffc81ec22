//! UserService: get, list (with its filter) and create; the changes to a user are in `user_changes.rs`.

use chrono::{DateTime, Utc};

use crate::error::{ApiError, ApiResult};
use crate::paging;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::Ctx;
use crate::providers::yandex::iam::Checked;
use crate::world::actions::Action;
use crate::world::messages::{pool_not_found, user_not_found, user_proto};
use crate::world::ops::Operation;
use crate::world::stored;
use crate::world::yandex::{User, UserProfile, UserStatus};

use super::operations::{NewOp, new_id, start_op};
use super::validate::{
    check_profile, max_len, required, timestamp_in_range, to_time, valid_username,
};

pub const CREATE_USER_KIND: &str = "yandex.createUser";

/// The user a get, delete, suspend or reactivate names.
pub struct UserId(pub(super) String);

pub(super) fn user_id(id: String) -> ApiResult<UserId> {
    required("user_id", &id, 50)?;
    Ok(UserId(id))
}

impl TryFrom<pb::GetUserRequest> for Checked<UserId> {
    type Error = ApiError;
    fn try_from(req: pb::GetUserRequest) -> ApiResult<Self> {
        Ok(Checked(user_id(req.user_id)))
    }
}

pub fn get_user(ctx: &mut Ctx<'_>, req: Checked<UserId>) -> ApiResult<pb::User> {
    let (_, UserId(id)) = req.authorize(ctx)?;
    ctx.st
        .world
        .yandex
        .users
        .get(&id)
        .map(user_proto)
        .ok_or_else(|| user_not_found(&id))
}

/// A `ListUsers` with its page size, token and filter checked.
pub struct ListUsers {
    userpool_id: String,
    size: usize,
    fp: String,
    after: String,
    filter: Option<(String, String)>,
}

impl TryFrom<pb::ListUsersRequest> for Checked<ListUsers> {
    type Error = ApiError;
    fn try_from(req: pb::ListUsersRequest) -> ApiResult<Self> {
        Ok(Checked(list_users_request(req)))
    }
}

fn list_users_request(req: pb::ListUsersRequest) -> ApiResult<ListUsers> {
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
    Ok(ListUsers {
        userpool_id: req.userpool_id,
        size,
        fp,
        after,
        filter,
    })
}

pub fn list_users(ctx: &mut Ctx<'_>, req: Checked<ListUsers>) -> ApiResult<pb::ListUsersResponse> {
    let (_, req) = req.authorize(ctx)?;
    let ListUsers {
        userpool_id,
        size,
        fp,
        after,
        filter,
    } = req;
    let w = &ctx.st.world.yandex;
    if !w.userpools.contains_key(&userpool_id) {
        return Err(pool_not_found(&userpool_id));
    }
    let keep = |_: &str, u: &User| {
        u.userpool_id == userpool_id && filter.as_ref().is_none_or(|(k, v)| field_of(u, k) == v)
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

/// A `CreateUser` that passed every check of its fields.
pub struct NewUser {
    userpool_id: String,
    username: String,
    profile: UserProfile,
    /// When a password hash says it was made (else the user's creation).
    password_hash_created_at: Option<DateTime<Utc>>,
    start_suspended: bool,
}

impl TryFrom<pb::CreateUserRequest> for Checked<NewUser> {
    type Error = ApiError;
    fn try_from(req: pb::CreateUserRequest) -> ApiResult<Self> {
        Ok(Checked(new_user(req)))
    }
}

fn new_user(req: pb::CreateUserRequest) -> ApiResult<NewUser> {
    use pb::create_user_request::Credentials;
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

    let password_hash_created_at = match &req.credentials {
        Some(Credentials::PasswordHash(h)) => to_time(&h.created_at),
        _ => None,
    };
    Ok(NewUser {
        userpool_id: req.userpool_id,
        username: req.username,
        profile,
        password_hash_created_at,
        start_suspended: req.is_active.as_ref().is_some_and(|b| !b.value),
    })
}

pub fn create_user(ctx: &mut Ctx<'_>, req: Checked<NewUser>) -> ApiResult<Operation> {
    let (subject, req) = req.authorize(ctx)?;
    let now = ctx.now;
    let st = &mut *ctx.st;
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
    let id = new_id(st, "aje");
    st.world.yandex.put_user(User {
        id: id.clone(),
        userpool_id: req.userpool_id,
        status: UserStatus::Creating,
        profile: req.profile,
        created_at: now,
        updated_at: now,
        password_created_at: req.password_hash_created_at.or(Some(now)),
        start_suspended: req.start_suspended,
    });
    let metadata = stored::YANDEX_CREATE_USER.of(&pb::CreateUserMetadata {
        user_id: id.clone(),
    });
    start_op(
        ctx,
        NewOp {
            kind: CREATE_USER_KIND,
            subject: &subject,
            description: "Create user",
            metadata,
            response: None,
            action: Some(Action::YandexCreateUser { user_id: id }),
        },
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
