//! UserService's changes to a user: update (with its update mask), delete, suspend and reactivate.

use crate::error::{ApiError, ApiResult};
use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
use crate::providers::Ctx;
use crate::providers::yandex::iam::Checked;
use crate::world::messages::{user_not_found, user_proto};
use crate::world::ops::Operation;
use crate::world::stored;
use crate::world::yandex::UserStatus;

use super::operations::{NewOp, start_op};
use super::render::empty;
use super::users::{UserId, user_id};
use super::validate::{
    check_profile, max_len, required, timestamp_in_range, to_time, valid_username,
};

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

/// An `UpdateUser` whose username, expiry and update mask were checked: the fields it sets.
pub struct UserUpdate {
    req: pb::UpdateUserRequest,
    paths: Vec<String>,
}

impl TryFrom<pb::UpdateUserRequest> for Checked<UserUpdate> {
    type Error = ApiError;
    fn try_from(req: pb::UpdateUserRequest) -> ApiResult<Self> {
        Ok(Checked(user_update(req)))
    }
}

fn user_update(req: pb::UpdateUserRequest) -> ApiResult<UserUpdate> {
    required("user_id", &req.user_id, 50)?;
    if !req.username.is_empty() && !valid_username(&req.username) {
        return Err(ApiError::invalid_field(
            "username",
            format!("`{}` is not a valid username", req.username),
        ));
    }
    timestamp_in_range("expires_at", &req.expires_at)?;
    let paths: Vec<String> = match req.update_mask.as_ref().map(|m| &m.paths) {
        Some(paths) if !paths.is_empty() => paths
            .iter()
            .map(|p| crate::providers::google::snake_case(p))
            .collect(),
        _ => UPDATABLE.iter().map(|s| s.to_string()).collect(),
    };
    for p in &paths {
        if !UPDATABLE.contains(&p.as_str()) {
            return Err(ApiError::invalid_field(
                "update_mask",
                format!("unknown or read-only field `{p}`"),
            ));
        }
    }
    Ok(UserUpdate { req, paths })
}

/// guess: updates, deletes, suspends and reactivations apply at once; their operation finishes per policy.
pub fn update_user(ctx: &mut Ctx<'_>, req: Checked<UserUpdate>) -> ApiResult<Operation> {
    let (subject, UserUpdate { req, paths }) = req.authorize(ctx)?;
    let now = ctx.now;
    let st = &mut *ctx.st;
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
    let metadata = stored::YANDEX_UPDATE_USER.of(&pb::UpdateUserMetadata {
        user_id: req.user_id,
    });
    start_op(
        ctx,
        NewOp {
            kind: "yandex.updateUser",
            subject: &subject,
            description: "Update user",
            metadata,
            response: Some(response),
            action: None,
        },
    )
}

impl TryFrom<pb::DeleteUserRequest> for Checked<UserId> {
    type Error = ApiError;
    fn try_from(req: pb::DeleteUserRequest) -> ApiResult<Self> {
        Ok(Checked(user_id(req.user_id)))
    }
}

pub fn delete_user(ctx: &mut Ctx<'_>, req: Checked<UserId>) -> ApiResult<Operation> {
    let (subject, UserId(id)) = req.authorize(ctx)?;
    ctx.st
        .world
        .yandex
        .remove_user(&id)
        .ok_or_else(|| user_not_found(&id))?;
    let metadata = stored::YANDEX_DELETE_USER.of(&pb::DeleteUserMetadata { user_id: id });
    start_op(
        ctx,
        NewOp {
            kind: "yandex.deleteUser",
            subject: &subject,
            description: "Delete user",
            metadata,
            response: Some(empty()),
            action: None,
        },
    )
}

fn set_status(
    ctx: &mut Ctx<'_>,
    req: Checked<UserId>,
    from: UserStatus,
    to: UserStatus,
    kind: &str,
) -> ApiResult<Operation> {
    let (subject, UserId(user_id)) = req.authorize(ctx)?;
    let mut u = ctx
        .st
        .world
        .yandex
        .users
        .get(&user_id)
        .cloned()
        .ok_or_else(|| user_not_found(&user_id))?;
    if u.status != from {
        return Err(ApiError::failed_precondition(format!(
            "user `{user_id}` is {:?}, not {from:?}",
            u.status
        )));
    }
    u.status = to;
    u.updated_at = ctx.now;
    ctx.st.world.yandex.put_user(u);
    let metadata = if to == UserStatus::Suspended {
        stored::YANDEX_SUSPEND_USER.of(&pb::SuspendUserMetadata { user_id })
    } else {
        stored::YANDEX_REACTIVATE_USER.of(&pb::ReactivateUserMetadata { user_id })
    };
    start_op(
        ctx,
        NewOp {
            kind,
            subject: &subject,
            description: kind,
            metadata,
            response: Some(empty()),
            action: None,
        },
    )
}

/// A suspend's reason and expiry are checked before the caller is authorized, its user id after, as always.
impl TryFrom<pb::SuspendUserRequest> for Checked<UserId> {
    type Error = ApiError;
    fn try_from(req: pb::SuspendUserRequest) -> ApiResult<Self> {
        max_len("reason", &req.reason, 256)?;
        timestamp_in_range("expires_at", &req.expires_at)?;
        Ok(Checked(user_id(req.user_id)))
    }
}

pub fn suspend_user(ctx: &mut Ctx<'_>, req: Checked<UserId>) -> ApiResult<Operation> {
    set_status(
        ctx,
        req,
        UserStatus::Active,
        UserStatus::Suspended,
        "yandex.suspendUser",
    )
}

impl TryFrom<pb::ReactivateUserRequest> for Checked<UserId> {
    type Error = ApiError;
    fn try_from(req: pb::ReactivateUserRequest) -> ApiResult<Self> {
        Ok(Checked(user_id(req.user_id)))
    }
}

pub fn reactivate_user(ctx: &mut Ctx<'_>, req: Checked<UserId>) -> ApiResult<Operation> {
    set_status(
        ctx,
        req,
        UserStatus::Suspended,
        UserStatus::Active,
        "yandex.reactivateUser",
    )
}
