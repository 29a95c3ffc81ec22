//! Cloud Identity user invitations: every rule, once. Which invitations a customer has, who may see them, which
//! state transitions send/cancel/accept/decline allow, what an invitation mail records. `routes.rs` and the control
//! plane only bind and render; each method takes a [`Ctx`] (through `providers::call`) and its request parsed
//! ([`InvitationKey`], [`ListInvitations`], [`Respond`]) outside the lock.
//!
//! A customer's invitations are derived from the directory: every unmanaged consumer account whose domain is one of
//! the customer's verified domains is NOT_YET_SENT until someone acts on it; from then on a record holds its state.
//! So a Cloud Identity created by Channel's provisionCloudIdentity gets its list with no extra work.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::filter::{self, Filter, Order, OrderKey};
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::paging;
use crate::providers::Ctx;
use crate::providers::google::names::Email;
use crate::world::google::{ConsumerAccount, InvitationMail, InvitationState, UserInvitation};
use crate::world::ops::{AnyJson, Operation};
use crate::world::state::State;

/// The proto name of the message in send/cancel operation responses.
pub const INVITATION_TYPE: &str = "google.apps.cloudidentity.userinvitations.v1.UserInvitation";
/// How many invitation emails `/_mock/mail` keeps (oldest dropped first).
const MAIL_KEPT: usize = 10_000;
pub const SEND_KIND: &str = "cloudidentity.userinvitations.send";
pub const CANCEL_KIND: &str = "cloudidentity.userinvitations.cancel";
/// The alias of the caller's own customer.
pub const MY_CUSTOMER: &str = "my_customer";
/// guess: with `--auth permissive` there is no caller to ask, so `my_customer` is the default world's customer.
pub const PERMISSIVE_MY_CUSTOMER: &str = "C00000000";

/// `pageSize` default and maximum [doc].
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 200;

pub struct ListRequest {
    pub customer: String,
    pub page_size: i64,
    pub page_token: String,
    pub filter: String,
    pub order_by: String,
}

/// A parsed [`ListRequest`]: page size, filter and order are checked at the edge (before the caller, as always);
/// the customer's error is answered once the caller is known.
pub struct ListInvitations {
    pub customer: ApiResult<CustomerRef>,
    pub size: usize,
    pub page_token: String,
    pub filter_text: String,
    pub filter: Filter,
    pub order: Order,
}

impl TryFrom<ListRequest> for ListInvitations {
    type Error = ApiError;
    fn try_from(req: ListRequest) -> ApiResult<ListInvitations> {
        let size = paging::page_size(req.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, "pageSize")?;
        let filter = filter::parse_filter(&req.filter)?;
        let order = filter::parse_order(&req.order_by)?;
        Ok(ListInvitations {
            customer: CustomerRef::parse(&req.customer),
            size,
            page_token: req.page_token,
            filter_text: req.filter,
            filter,
            order,
        })
    }
}

/// One invitation, `customers/{customer}/userinvitations/{email}`, parsed from the path. Both errors are answered
/// in the order the methods always answered them: the customer's once the caller is known, the address's after
/// the caller is authorized for the customer.
pub struct InvitationKey {
    pub customer: ApiResult<CustomerRef>,
    pub email: ApiResult<Email>,
}

impl InvitationKey {
    pub fn parse(customer: &str, email: String) -> InvitationKey {
        InvitationKey {
            customer: CustomerRef::parse(customer),
            email: check_email(email),
        }
    }
}

/// The `{customer}` of a path: `my_customer` or a Cloud Identity id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    My,
    Id(String),
}

impl CustomerRef {
    pub fn parse(customer: &str) -> ApiResult<CustomerRef> {
        if customer == MY_CUSTOMER {
            Ok(CustomerRef::My)
        } else if valid_customer_id(customer) {
            Ok(CustomerRef::Id(customer.to_string()))
        } else {
            Err(ApiError::invalid_field(
                "parent",
                format!(
                    "`customers/{customer}` is not a customer (a Cloud Identity id such as C00000000, or my_customer)"
                ),
            ))
        }
    }
}

pub struct ListResponse {
    pub invitations: Vec<UserInvitation>,
    pub next_page_token: String,
}

// ---------- names and callers ----------

/// guess: Cloud Identity customer ids are `C` followed by letters and digits; we accept 2 to 32 characters.
fn valid_customer_id(s: &str) -> bool {
    s.starts_with('C')
        && (2..=32).contains(&s.len())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The `{email}` of an invitation's name, in lower case.
fn check_email(email: String) -> ApiResult<Email> {
    if !crate::world::names::valid_email(&email) {
        return Err(ApiError::invalid_field(
            "name",
            format!(
                "`{email}` is not a valid email address (customers/{{customer}}/userinvitations/{{email}})"
            ),
        ));
    }
    Email::parse(email.to_ascii_lowercase(), "name")
}

/// Checks the caller (strict auth) and turns the path's `{customer}` into a Cloud Identity id.
fn resolve_customer(ctx: &Ctx<'_>, customer: ApiResult<CustomerRef>) -> ApiResult<String> {
    let st = &*ctx.st;
    let g = &st.world.google;
    let who = if ctx.strict() {
        Some(crate::providers::google::principal(g, ctx.caller)?)
    } else {
        None
    };
    let id = match customer? {
        CustomerRef::My => match who {
            None => PERMISSIVE_MY_CUSTOMER.to_string(),
            Some(p) => p.customer.clone().ok_or_else(|| {
                ApiError::permission_denied(format!(
                    "principal `{}` administers no Cloud Identity customer, so `my_customer` means nothing",
                    p.name
                ))
                .with_reason("PERMISSION_DENIED")
            })?,
        },
        CustomerRef::Id(id) => id,
    };
    if let Some(p) = who {
        // guess: a reseller that holds a Channel Customer linked to this Cloud Identity administers it too
        // (delegated admin), besides the customer's own admins.
        let own = p.customer.as_deref() == Some(id.as_str());
        let reseller = g.customers_of_identity(&id).any(|c| {
            crate::world::customer_account(&c.name)
                .is_some_and(|a| p.channel_accounts.iter().any(|x| x == a))
        });
        if !own && !reseller {
            return Err(ApiError::permission_denied(format!(
                "principal `{}` may not manage the user invitations of `customers/{id}`",
                p.name
            ))
            .with_reason("PERMISSION_DENIED"));
        }
    }
    // guess: like unknown reseller accounts, an unknown customer is empty in a permissive world and NOT_FOUND in a
    // strict one.
    if st.world.strict && !g.identities.contains_key(&id) {
        return Err(
            ApiError::not_found(format!("customer `customers/{id}` not found"))
                .with_reason("CUSTOMER_NOT_FOUND"),
        );
    }
    Ok(id)
}

fn invitation_not_found(customer: &str, email: &str) -> ApiError {
    ApiError::not_found(format!(
        "user invitation `customers/{customer}/userinvitations/{email}` not found: `{email}` is not an unmanaged \
         account in a verified domain of `customers/{customer}`"
    ))
    .with_reason("USER_INVITATION_NOT_FOUND")
}

// ---------- rendering (the proto3 JSON of UserInvitation) ----------

/// `{"name", "state", "updateTime", "mailsSentCount"}`; int64 as a string.
pub fn invitation_json(inv: &UserInvitation) -> Value {
    json!({
        "name": inv.name(),
        "state": inv.state.name(),
        "updateTime": crate::clock::rfc3339(inv.update_time),
        "mailsSentCount": inv.mails_sent_count.to_string(),
    })
}

// ---------- methods ----------

/// What [`list`] found under the lock: the page itself (email order, the stores' own), or the matching
/// invitations with their sort keys, sorted and paged by [`Listed::finish`] once the lock is released.
pub enum Listed {
    Page(ListResponse),
    ToSort {
        items: Vec<(String, UserInvitation)>,
        descending: bool,
        after: Option<String>,
        size: usize,
        fingerprint: String,
    },
}

impl Listed {
    pub fn finish(self) -> ListResponse {
        let (mut items, descending, after, size, fp) = match self {
            Listed::Page(page) => return page,
            Listed::ToSort {
                items,
                descending,
                after,
                size,
                fingerprint,
            } => (items, descending, after, size, fingerprint),
        };
        items.sort_by(|a, b| a.0.cmp(&b.0));
        if descending {
            items.reverse();
        }
        let start = match &after {
            None => 0,
            Some(k) => items
                .iter()
                .position(|(ik, _)| if descending { ik < k } else { ik > k })
                .unwrap_or(items.len()),
        };
        let end = (start + size).min(items.len());
        let next_page_token = if end < items.len() && end > start {
            paging::encode(&fp, &items[end - 1].0)
        } else {
            String::new()
        };
        ListResponse {
            invitations: items.drain(start..end).map(|(_, i)| i).collect(),
            next_page_token,
        }
    }
}

pub fn list(ctx: &mut Ctx<'_>, req: ListInvitations) -> ApiResult<Listed> {
    let ListInvitations {
        customer,
        size,
        filter,
        order,
        ..
    } = req;
    let customer = resolve_customer(ctx, customer)?;
    let st = &*ctx.st;
    let fp = paging::fingerprint(&[
        "userinvitations",
        &customer,
        req.filter_text.trim(),
        order.canonical(),
    ]);
    let after = if req.page_token.is_empty() {
        None
    } else {
        Some(paging::decode(&req.page_token, &fp, "pageToken")?)
    };
    if order.key == OrderKey::Email {
        // Email order (the default) is the stores' own order: a page is read from the cursor on.
        let (invitations, more) = st.world.google.invitations_page(
            &customer,
            after.as_deref(),
            order.descending,
            size,
            |i| filter.matches(i.state),
        );
        let next_page_token = match invitations.last() {
            Some(last) if more => paging::encode(&fp, &last.email),
            _ => String::new(),
        };
        return Ok(Listed::Page(ListResponse {
            invitations,
            next_page_token,
        }));
    }
    let key = |inv: &UserInvitation| match order.key {
        OrderKey::Email => inv.email.clone(),
        // Fixed-width time first, so string order is time order; the email breaks ties.
        OrderKey::UpdateTime => format!(
            "{} {}",
            inv.update_time.format("%Y-%m-%dT%H:%M:%S%.9fZ"),
            inv.email
        ),
    };
    let items: Vec<(String, UserInvitation)> = st
        .world
        .google
        .invitations_of(&customer)
        .into_iter()
        .filter(|i| filter.matches(i.state))
        .map(|i| (key(&i), i))
        .collect();
    Ok(Listed::ToSort {
        items,
        descending: order.descending,
        after,
        size,
        fingerprint: fp,
    })
}

pub fn get(ctx: &mut Ctx<'_>, key: InvitationKey) -> ApiResult<UserInvitation> {
    let customer = resolve_customer(ctx, key.customer)?;
    let email = key.email?.into_string();
    ctx.st
        .world
        .google
        .invitation(&customer, &email)
        .ok_or_else(|| invitation_not_found(&customer, &email))
}

/// True only for an unmanaged consumer account in one of the customer's verified domains that has not accepted;
/// any other valid address is simply not invitable (not an error).
pub fn is_invitable_user(ctx: &mut Ctx<'_>, key: InvitationKey) -> ApiResult<bool> {
    let customer = resolve_customer(ctx, key.customer)?;
    let email = key.email?.into_string();
    let g = &ctx.st.world.google;
    let accepted = g
        .invitations
        .get(&(customer.clone(), email.clone()))
        .is_some_and(|i| i.state == InvitationState::Accepted);
    Ok(!accepted && g.unmanaged_account_of(&customer, &email).is_some())
}

fn transition_error(inv: &UserInvitation, action: &str, allowed: &str) -> ApiError {
    ApiError::failed_precondition(format!(
        "cannot {action} user invitation `{}`: its state is {} ({action} needs {allowed})",
        inv.name(),
        inv.state.name()
    ))
    .with_reason("FAILED_PRECONDITION")
    .with_precondition(
        "STATE",
        inv.name(),
        format!("state is {}", inv.state.name()),
    )
}

/// An operation that is already done, holding the updated invitation (the v1 API has no operations resource to
/// poll, so guess: it answers done).
fn done_operation(
    st: &mut State,
    kind: &str,
    inv: &UserInvitation,
    now: DateTime<Utc>,
) -> Operation {
    let name = format!("operations/{}", st.ids.uuid());
    let mut op = Operation::new(name, Family::CloudIdentity, kind, now);
    op.done = true;
    op.response = Some(AnyJson::new(INVITATION_TYPE, invitation_json(inv)));
    op.description = inv.name();
    st.ops.restore(op.clone());
    op
}

/// Sends (or re-sends) the invitation: NOT_YET_SENT, INVITED or DECLINED → INVITED, `mailsSentCount` + 1, and the
/// mail is recorded. ACCEPTED → FAILED_PRECONDITION.
pub fn send(ctx: &mut Ctx<'_>, key: InvitationKey) -> ApiResult<Operation> {
    let customer = resolve_customer(ctx, key.customer)?;
    let email = key.email?.into_string();
    let (st, now) = (&mut *ctx.st, ctx.now);
    let mut inv = st
        .world
        .google
        .invitation(&customer, &email)
        .ok_or_else(|| invitation_not_found(&customer, &email))?;
    if inv.state == InvitationState::Accepted {
        return Err(transition_error(
            &inv,
            "send",
            "NOT_YET_SENT, INVITED or DECLINED",
        ));
    }
    inv.state = InvitationState::Invited;
    inv.mails_sent_count += 1;
    inv.update_time = now;
    let g = &mut st.world.google;
    g.invitation_mail.push(InvitationMail {
        to: email.clone(),
        customer: customer.clone(),
        time: now,
        count: inv.mails_sent_count,
    });
    // guess: the mail log keeps the newest MAIL_KEPT messages, so a long-running provmock stays small.
    if g.invitation_mail.len() > MAIL_KEPT {
        let excess = g.invitation_mail.len() - MAIL_KEPT;
        g.invitation_mail.drop_front(excess);
    }
    g.invitations.insert((customer, email), inv.clone());
    Ok(done_operation(st, SEND_KIND, &inv, now))
}

/// Cancels a sent invitation: INVITED → NOT_YET_SENT (guess: the count of mails sent stays).
pub fn cancel(ctx: &mut Ctx<'_>, key: InvitationKey) -> ApiResult<Operation> {
    let customer = resolve_customer(ctx, key.customer)?;
    let email = key.email?.into_string();
    let (st, now) = (&mut *ctx.st, ctx.now);
    let mut inv = st
        .world
        .google
        .invitation(&customer, &email)
        .ok_or_else(|| invitation_not_found(&customer, &email))?;
    if inv.state != InvitationState::Invited {
        return Err(transition_error(&inv, "cancel", "INVITED"));
    }
    inv.state = InvitationState::NotYetSent;
    inv.update_time = now;
    st.world
        .google
        .invitations
        .insert((customer, email), inv.clone());
    Ok(done_operation(st, CANCEL_KIND, &inv, now))
}

// ---------- what end users do (control plane) ----------

/// The user accepts (→ ACCEPTED, the account becomes managed) or declines (→ DECLINED) a sent invitation. Only from
/// INVITED. `my_customer` means the permissive default customer (the control plane has no caller).
pub struct Respond {
    customer: String,
    email: Email,
    accept: bool,
}

impl Respond {
    /// Checks the customer id and the address (before the lock).
    pub fn parse(customer: &str, email: &str, accept: bool) -> ApiResult<Respond> {
        let customer = if customer == MY_CUSTOMER {
            PERMISSIVE_MY_CUSTOMER
        } else {
            customer
        };
        if !valid_customer_id(customer) {
            return Err(ApiError::invalid_field(
                "customer",
                format!("`{customer}` is not a Cloud Identity customer id"),
            ));
        }
        Ok(Respond {
            customer: customer.to_string(),
            email: check_email(email.to_string())?,
            accept,
        })
    }
}

pub fn respond(ctx: &mut Ctx<'_>, req: Respond) -> ApiResult<UserInvitation> {
    let Respond {
        customer,
        email,
        accept,
    } = req;
    let (customer, email) = (customer.as_str(), email.into_string());
    let now = ctx.now;
    let g = &mut ctx.st.world.google;
    let mut inv = g
        .invitation(customer, &email)
        .ok_or_else(|| invitation_not_found(customer, &email))?;
    let action = if accept { "accept" } else { "decline" };
    if inv.state != InvitationState::Invited {
        return Err(transition_error(&inv, action, "INVITED"));
    }
    inv.state = if accept {
        InvitationState::Accepted
    } else {
        InvitationState::Declined
    };
    inv.update_time = now;
    if accept && let Some(a) = g.consumer_accounts.get_mut(&email) {
        a.managed = true;
    }
    g.invitations
        .insert((customer.to_string(), email), inv.clone());
    Ok(inv)
}

/// Adds an unmanaged (or managed) consumer account. ALREADY_EXISTS if the address is taken.
pub fn create_consumer_account(
    ctx: &mut Ctx<'_>,
    (email, managed): (Email, bool),
) -> ApiResult<ConsumerAccount> {
    let email = email.to_lowercase().into_string();
    let now = ctx.now;
    let g = &mut ctx.st.world.google;
    if g.consumer_accounts.contains_key(&email) {
        return Err(
            ApiError::already_exists(format!("consumer account `{email}` already exists"))
                .with_reason("ALREADY_EXISTS"),
        );
    }
    let a = ConsumerAccount {
        email: email.clone(),
        managed,
        create_time: now,
    };
    g.put_consumer_account(a.clone());
    Ok(a)
}

/// Every invitation mail that would have been sent, oldest first.
pub fn mail(ctx: &mut Ctx<'_>, (): ()) -> ApiResult<Vec<InvitationMail>> {
    Ok(ctx.st.world.google.invitation_mail.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_are_checked() {
        assert!(valid_customer_id("C00000000"));
        assert!(valid_customer_id("C03az79cb"));
        assert!(!valid_customer_id("my-customer"));
        assert!(!valid_customer_id("C"));
        assert!(!valid_customer_id("C0/1"));
    }

    #[test]
    fn invitation_json_is_camel_case_with_int64_as_string() {
        let inv = UserInvitation {
            customer: "C00000000".into(),
            email: "writer@altostrat.com".into(),
            state: InvitationState::NotYetSent,
            update_time: DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
            mails_sent_count: 0,
        };
        assert_eq!(
            invitation_json(&inv),
            json!({"name": "customers/C00000000/userinvitations/writer@altostrat.com",
                   "state": "NOT_YET_SENT", "updateTime": "2026-01-01T00:00:00Z", "mailsSentCount": "0"})
        );
    }
}
