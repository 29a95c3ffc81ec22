//! Yandex operations: starting one for a users or userpools method (`start_op`, and `new_id`, the ids it and they
//! draw), and the OperationService methods get and cancel.

use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;
use crate::proto::yandex::cloud::operation as oppb;
use crate::providers::Ctx;
use crate::providers::yandex::iam::Checked;
use crate::world::actions::Action;
use crate::world::ops::{AnyJson, Operation, Outcome};
use crate::world::state::State;

/// guess: Yandex ids are 20 lowercase letters and digits with a 3-letter prefix; we use `aje` for users, `ek0`
/// for userpools and `idp` for operations.
pub(super) fn new_id(st: &mut State, prefix: &str) -> String {
    format!("{prefix}{}", st.ids.lower_alnum(17))
}

/// What an operation a users or userpools method starts says about itself.
pub(super) struct NewOp<'a> {
    pub kind: &'a str,
    pub subject: &'a str,
    pub description: &'a str,
    pub metadata: AnyJson,
    pub response: Option<AnyJson>,
    pub action: Option<Action>,
}

/// Creates an operation; `action` is applied when it finishes (see `complete`), `response` is used as is otherwise.
pub(super) fn start_op(ctx: &mut Ctx<'_>, new: NewOp<'_>) -> ApiResult<Operation> {
    let now = ctx.now;
    let st = &mut *ctx.st;
    let id = new_id(st, "idp");
    let mut op = Operation::new(id.clone(), Family::Yandex, new.kind, now);
    op.description = new.description.to_string();
    op.created_by = new.subject.to_string();
    op.metadata = Some(new.metadata);
    op.response = new.response;
    op.action = new.action;
    ctx.after.schedule(st, op, now);
    st.ops
        .ops
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::internal(format!("operation `{id}` vanished")))
}

/// The operation a get or cancel names (not empty).
pub struct OperationId(String);

fn operation_id(id: String) -> ApiResult<OperationId> {
    if id.is_empty() {
        return Err(ApiError::invalid_field("operation_id", "value is required"));
    }
    Ok(OperationId(id))
}

impl TryFrom<oppb::GetOperationRequest> for Checked<OperationId> {
    type Error = ApiError;
    fn try_from(req: oppb::GetOperationRequest) -> ApiResult<Self> {
        Ok(Checked(operation_id(req.operation_id)))
    }
}

impl TryFrom<oppb::CancelOperationRequest> for Checked<OperationId> {
    type Error = ApiError;
    fn try_from(req: oppb::CancelOperationRequest) -> ApiResult<Self> {
        Ok(Checked(operation_id(req.operation_id)))
    }
}

fn yandex_op(st: &State, id: &str) -> ApiResult<()> {
    match st.ops.ops.get(id) {
        Some(op) if op.family == Family::Yandex => Ok(()),
        _ => Err(ApiError::not_found(format!("operation `{id}` not found"))),
    }
}

pub fn get_operation(ctx: &mut Ctx<'_>, req: Checked<OperationId>) -> ApiResult<Operation> {
    let (_, OperationId(id)) = req.authorize(ctx)?;
    yandex_op(ctx.st, &id)?;
    ctx.st.read_operation(&id, ctx.now)
}

/// Cancelling a running operation finishes it with CANCELLED (and undoes a create); a finished one is returned as
/// it is (guess: the docs do not say).
pub fn cancel_operation(ctx: &mut Ctx<'_>, req: Checked<OperationId>) -> ApiResult<Operation> {
    let (_, OperationId(id)) = req.authorize(ctx)?;
    yandex_op(ctx.st, &id)?;
    let err = ApiError::new(Code::Cancelled, format!("operation `{id}` was cancelled"));
    ctx.st.finish_operation(&id, Outcome::Fail(err), ctx.now);
    ctx.st
        .ops
        .ops
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("operation `{id}` not found")))
}
