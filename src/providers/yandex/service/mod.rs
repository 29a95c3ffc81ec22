//! Yandex IdP users and userpools, and Yandex operations: every rule once, for gRPC and REST. Each method takes
//! a [`Ctx`](crate::providers::Ctx) and its request parsed outside the lock into a `Checked` (see `iam.rs`): the
//! caller is authorized before what parsing found wrong is answered, as Yandex does. Validation follows
//! the `yandex.cloud.validation` annotations of the real protos (lengths, patterns, required, ranges). The files:
//! - `users.rs`: UserService's get, list and create; `user_changes.rs`: its update, delete, suspend, reactivate;
//! - `userpools.rs`: UserpoolService (get, list, create, delete);
//! - `operations.rs`: starting an operation, and OperationService (get, cancel);
//! - `render.rs`: an operation as REST JSON and as a proto;
//! - `validate.rs`: the field checks the protos' annotations ask for.
//!
//! Users and userpools render to their protos in `world::messages`, which finishing an operation uses too.

mod operations;
mod render;
mod user_changes;
mod userpools;
mod users;
mod validate;

pub use operations::{cancel_operation, get_operation};
pub use render::{operation_json, operation_proto};
pub use user_changes::{delete_user, reactivate_user, suspend_user, update_user};
pub use userpools::{create_userpool, delete_userpool, get_userpool, list_userpools};
pub use users::{create_user, get_user, list_users};
