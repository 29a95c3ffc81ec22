//! Yandex operations: starting one for a users or userpools method (`start_op`, and `new_id`, the ids it and they
//! draw), and the OperationService methods get and cancel.

use crate::app::App;
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::providers::yandex::iam::authorize;
use crate::request::Caller;
use crate::world::actions::Action;
use crate::world::ops::{AnyJson, Operation, Outcome};
use crate::world::state::State;

/// guess: Yandex ids are 20 lowercase letters and digits with a 3-letter prefix; we use `aje` for users, `ek0`
/// for userpools and `idp` for operations.
pub(super) fn new_id(st: &mut State, prefix: &str) -> String {
    format!("{prefix}{}", st.ids.lower_alnum(17))
}

#[allow(clippy::too_many_arguments)] // one call site per RPC; a builder would add nothing
/// Creates an operation; `action` is applied when it finishes (see `complete`), `response` is used as is otherwise.
pub(super) fn start_op(
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
