//! Yandex's create operations: a user or userpool is CREATING while its operation runs, leaves that state when it
//! finishes, and is gone when it fails or is cancelled.

use chrono::{DateTime, Utc};

use crate::error::ApiResult;
use crate::world::World;
use crate::world::messages::{pool_not_found, pool_proto, user_not_found, user_proto};
use crate::world::ops::AnyJson;
use crate::world::stored::{YANDEX_USER, YANDEX_USERPOOL};
use crate::world::yandex::{PoolStatus, UserStatus};

/// Finishing a create: the user leaves CREATING (ACTIVE, or SUSPENDED when created with `is_active=false`).
pub fn finish_user(w: &mut World, id: &str, now: DateTime<Utc>) -> ApiResult<Option<AnyJson>> {
    let mut u = w
        .yandex
        .users
        .get(id)
        .cloned()
        .ok_or_else(|| user_not_found(id))?;
    u.status = if u.start_suspended {
        UserStatus::Suspended
    } else {
        UserStatus::Active
    };
    u.start_suspended = false;
    u.updated_at = now;
    let out = YANDEX_USER.of(&user_proto(&u));
    w.yandex.put_user(u);
    Ok(Some(out))
}

/// Finishing a userpool's create: it becomes ACTIVE.
pub fn finish_pool(w: &mut World, id: &str, now: DateTime<Utc>) -> ApiResult<Option<AnyJson>> {
    let mut p = w
        .yandex
        .userpools
        .get(id)
        .cloned()
        .ok_or_else(|| pool_not_found(id))?;
    p.status = PoolStatus::Active;
    p.updated_at = now;
    let out = YANDEX_USERPOOL.of(&pool_proto(&p));
    w.yandex.put_pool(p);
    Ok(Some(out))
}
