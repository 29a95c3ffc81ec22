//! Yandex IdP users and userpools, and Yandex operations: every rule once, for gRPC and REST. Validation follows
//! the `yandex.cloud.validation` annotations of the real protos (lengths, patterns, required, ranges). The files:
//! - `users.rs`: UserService (get, list, create, update, delete, suspend, reactivate);
//! - `userpools.rs`: UserpoolService (get, list, create, delete);
//! - `operations.rs`: starting an operation, and OperationService (get, cancel);
//! - `render.rs`: an operation as REST JSON and as a proto;
//! - `validate.rs`: the field checks the protos' annotations ask for.
//!
//! Users and userpools render to their protos in `world::messages`, which finishing an operation uses too.

mod operations;
mod render;
mod userpools;
mod users;
mod validate;

pub use operations::{cancel_operation, get_operation};
pub use render::{operation_json, operation_proto};
pub use userpools::{create_userpool, delete_userpool, get_userpool, list_userpools};
pub use users::{
    create_user, delete_user, get_user, list_users, reactivate_user, suspend_user, update_user,
};
