//! `GET /_mock/ui`: the dashboard, one page embedded in the binary (HTML, a script and a style sheet of our own; no
//! CDN, nothing fetched at run time), and the paged reads it is built on (`GET /_mock/resources`).
//!
//! The page and its two assets hold no data, so they load without the control token; everything they show comes
//! from control calls that need it (the page asks for the token and sends `Authorization: Bearer`). Live updates come
//! from `GET /_mock/events` ([`super::events`]).
//!
//! `GET /_mock/resources?family=&kind=&page_size=&page_token=` pages through one kind of the world (never the whole
//! world at once: with 100 000 customers stored a page costs the same as with ten). Without `kind` it answers the
//! counts of every kind. A page walks the ordered store from the token's key and looks at no more than
//! [`SCAN_BUDGET`] entries: a filtered page may hold fewer items than asked (even none) and still a
//! `next_page_token`.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};
use serde::Serialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::family::Family;
use crate::paging;
use crate::request::Query;
use crate::world::google::{InvitationState, UserInvitation};
use crate::world::ops::Operation;

const PAGE: &str = include_str!("ui/index.html");
const SCRIPT: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/app.css");

/// The page's size in bytes, all three parts (for tests and the README).
pub const PAGE_BYTES: usize = PAGE.len() + SCRIPT.len() + STYLE.len();

/// Entries one page request looks at, at most (matching or not), so a filter that matches little cannot hold the
/// world's lock for a walk of the whole store.
pub const SCAN_BUDGET: usize = 20_000;
const DEFAULT_PAGE_SIZE: usize = 25;
const MAX_PAGE_SIZE: usize = 500;

/// Paths served without the control token: the page and its assets, which hold no data.
pub fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/_mock/ui" | "/_mock/ui/" | "/_mock/ui/app.js" | "/_mock/ui/app.css"
    )
}

/// The page or one of its assets (for a GET); None for every other path.
pub fn asset(path: &str) -> Option<Response> {
    let (content_type, body) = match path {
        "/_mock/ui" | "/_mock/ui/" => ("text/html; charset=utf-8", PAGE),
        "/_mock/ui/app.js" => ("text/javascript; charset=utf-8", SCRIPT),
        "/_mock/ui/app.css" => ("text/css; charset=utf-8", STYLE),
        _ => return None,
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    // Our own script and style only; fetches to this origin only; no frames, forms or plug-ins.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    Some(resp)
}

// ---------- paged reads ----------

/// Which way a page walks its store.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Asc,
    Desc,
}

/// A page request: size, where to start, and the fingerprint its token is bound to.
struct Cursor {
    size: usize,
    after: Option<String>,
    order: Order,
    fingerprint: String,
}

impl Cursor {
    fn parse(q: &Query, kind: &str, default_order: Order) -> ApiResult<Cursor> {
        let size = match q.get(&["page_size", "pageSize"]) {
            None | Some("") => DEFAULT_PAGE_SIZE,
            Some(s) => {
                let n: i64 = s.parse().map_err(|_| {
                    ApiError::invalid_field("page_size", format!("`{s}` is not a number"))
                })?;
                paging::page_size(n, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, "page_size")?
            }
        };
        let order = match q.get(&["order"]) {
            None | Some("") => default_order,
            Some("asc") => Order::Asc,
            Some("desc") => Order::Desc,
            Some(o) => {
                return Err(ApiError::invalid_field(
                    "order",
                    format!("`{o}` is not asc or desc"),
                ));
            }
        };
        // A token belongs to its kind, order and filters (not to its size).
        let filters: Vec<&str> = ["family", "q", "state", "customer", "userpool", "done"]
            .iter()
            .map(|k| q.get(&[k]).unwrap_or(""))
            .collect();
        let mut parts = vec![kind, if order == Order::Asc { "asc" } else { "desc" }];
        parts.extend(filters);
        let fingerprint = paging::fingerprint(&parts);
        let after = match q.get(&["page_token", "pageToken"]) {
            None | Some("") => None,
            Some(t) => Some(paging::decode(t, &fingerprint, "page_token")?),
        };
        Ok(Cursor {
            size,
            after,
            order,
            fingerprint,
        })
    }

    /// The entries of `map` after the cursor's key, in its order.
    fn walk<'a, V>(
        &self,
        map: &'a BTreeMap<String, V>,
    ) -> Box<dyn Iterator<Item = (&'a String, &'a V)> + 'a> {
        use std::ops::Bound::{Excluded, Unbounded};
        match (&self.after, self.order) {
            (None, Order::Asc) => Box::new(map.iter()),
            (None, Order::Desc) => Box::new(map.iter().rev()),
            (Some(k), Order::Asc) => {
                Box::new(map.range::<str, _>((Excluded(k.as_str()), Unbounded)))
            }
            (Some(k), Order::Desc) => {
                Box::new(map.range::<str, _>((Unbounded, Excluded(k.as_str()))).rev())
            }
        }
    }

    /// Takes up to `size` entries `keep` accepts, looking at no more than [`SCAN_BUDGET`]. The token points after the
    /// last entry looked at, and is empty only when the store has nothing further.
    fn take<'a, V: 'a>(
        &self,
        items: impl Iterator<Item = (&'a String, &'a V)>,
        mut keep: impl FnMut(&V) -> bool,
        mut render: impl FnMut(&V) -> Value,
    ) -> (Vec<Value>, String) {
        let mut page = Vec::with_capacity(self.size.min(64));
        let mut items = items.peekable();
        let mut last: Option<&String> = None;
        let mut scanned = 0;
        for (key, value) in items.by_ref() {
            scanned += 1;
            last = Some(key);
            if keep(value) {
                page.push(render(value));
            }
            if page.len() == self.size || scanned == SCAN_BUDGET {
                break;
            }
        }
        let more = items.peek().is_some();
        let token = match (more, last) {
            (true, Some(k)) => paging::encode(&self.fingerprint, k),
            _ => String::new(),
        };
        (page, token)
    }
}

#[derive(Serialize)]
struct Page {
    family: Option<Family>,
    kind: String,
    items: Vec<Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    next_page_token: String,
    /// How many of this kind are stored, filters aside.
    total: usize,
    /// Invitations: how many of the customer's are in each state.
    #[serde(skip_serializing_if = "Option::is_none")]
    counts: Option<BTreeMap<&'static str, usize>>,
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Case-insensitive substring match of `q` (lower-cased already) in any of `fields`.
fn matches_q(q: &str, fields: &[&str]) -> bool {
    q.is_empty() || fields.iter().any(|f| f.to_lowercase().contains(q))
}

/// `GET /_mock/resources`.
pub fn resources(app: &App, q: &Query) -> ApiResult<Value> {
    let family = match q.get(&["family"]).filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => Some(
            Family::parse(f)
                .filter(|f| *f != Family::Mock)
                .ok_or_else(|| {
                    ApiError::invalid_field("family", format!("unknown family `{f}`"))
                })?,
        ),
    };
    let Some(kind) = q.get(&["kind"]).filter(|k| !k.is_empty()) else {
        return Ok(summary(app));
    };
    let needle = q.get(&["q"]).unwrap_or("").trim().to_lowercase();
    let state = q.get(&["state"]).filter(|s| !s.is_empty());
    let st = app.lock();
    let g = &st.world.google;
    let (scp, yx) = (&st.world.scp, &st.world.yandex);
    let unknown = || {
        ApiError::invalid_field(
            "kind",
            format!(
                "`{kind}` is not a kind of {} (see GET /_mock/resources for the kinds)",
                family.map(Family::name).unwrap_or("any family")
            ),
        )
    };
    let plain = |order| Cursor::parse(q, kind, order);
    let mut counts = None;
    let (items, next, total) = match (family, kind) {
        (_, "operations") => {
            drop(st);
            return operations(app, q, family);
        }
        (Some(Family::Channel), "accounts") => {
            let c = plain(Order::Asc)?;
            let (i, n) = c.take(c.walk(&g.accounts), |_| true, to_json);
            (i, n, g.accounts.len())
        }
        (Some(Family::Channel), "customers") => {
            let c = plain(Order::Desc)?;
            let (i, n) = c.take(
                c.walk(&g.customers),
                |x| matches_q(&needle, &[&x.name, &x.domain, &x.org_display_name]),
                |x| to_json(&**x),
            );
            (i, n, g.customers.len())
        }
        (Some(Family::Channel), "cloud_identities") => {
            let c = plain(Order::Asc)?;
            let (i, n) = c.take(
                c.walk(&g.identities),
                |x| {
                    matches_q(
                        &needle,
                        &[
                            &x.id,
                            &x.primary_domain,
                            &x.org_display_name,
                            &x.admin.email,
                        ],
                    )
                },
                to_json,
            );
            (i, n, g.identities.len())
        }
        (Some(Family::CloudIdentity), "consumer_accounts") => {
            let c = plain(Order::Asc)?;
            let (i, n) = c.take(
                c.walk(&g.consumer_accounts),
                |x| matches_q(&needle, &[&x.email]),
                to_json,
            );
            (i, n, g.consumer_accounts.len())
        }
        (Some(Family::CloudIdentity), "invitations") => {
            let customer = q
                .get(&["customer"])
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid_field("customer", "name the Cloud Identity (`C00000000`)")
                })?;
            let state = match state {
                None => None,
                Some(s) => Some(
                    InvitationState::ALL
                        .into_iter()
                        .find(|x| x.name().eq_ignore_ascii_case(s))
                        .ok_or_else(|| {
                            ApiError::invalid_field("state", format!("`{s}` is not a state"))
                        })?,
                ),
            };
            let c = plain(Order::Asc)?;
            // Derived from the directory (records and unmanaged accounts): keyed by email for paging.
            let all: BTreeMap<String, UserInvitation> = g
                .invitations_of(customer)
                .into_iter()
                .map(|i| (i.email.clone(), i))
                .collect();
            let mut by_state: BTreeMap<&'static str, usize> =
                InvitationState::ALL.iter().map(|s| (s.name(), 0)).collect();
            for i in all.values() {
                *by_state.entry(i.state.name()).or_default() += 1;
            }
            counts = Some(by_state);
            let (i, n) = c.take(
                c.walk(&all),
                |x| state.is_none_or(|s| x.state == s) && matches_q(&needle, &[&x.email]),
                |x| {
                    let mut v = to_json(x);
                    v["name"] = Value::String(x.name());
                    v
                },
            );
            (i, n, all.len())
        }
        (Some(Family::CloudIdentity), "mail") => {
            // Newest first; the token is the position (mail is only ever appended).
            let c = plain(Order::Desc)?;
            let by_pos: BTreeMap<String, &crate::world::google::InvitationMail> = g
                .invitation_mail
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("{i:012}"), m))
                .collect();
            let (i, n) = c.take(
                c.walk(&by_pos),
                |m| matches_q(&needle, &[&m.to, &m.customer]),
                to_json,
            );
            (i, n, g.invitation_mail.len())
        }
        (Some(Family::Scp), "accounts") => {
            let c = plain(Order::Asc)?;
            let state = state.map(str::to_ascii_uppercase);
            let (i, n) = c.take(
                c.walk(&scp.accounts),
                |a| {
                    state.as_deref().is_none_or(|s| state_name(&a.state) == s)
                        && matches_q(&needle, &[&a.id, &a.name, &a.email])
                },
                to_json,
            );
            (i, n, scp.accounts.len())
        }
        (Some(Family::Scp), "organization_units") => {
            let c = plain(Order::Asc)?;
            let (i, n) = c.take(c.walk(&scp.units), |_| true, to_json);
            (i, n, scp.units.len())
        }
        (Some(Family::Scp), "landing_zones") => {
            let c = plain(Order::Asc)?;
            let (i, n) = c.take(c.walk(&scp.landing_zones), |_| true, to_json);
            (i, n, scp.landing_zones.len())
        }
        (Some(Family::Yandex), "userpools") => {
            let c = plain(Order::Asc)?;
            let (i, n) = c.take(
                c.walk(&yx.userpools),
                |p| matches_q(&needle, &[&p.id, &p.name]),
                to_json,
            );
            (i, n, yx.userpools.len())
        }
        (Some(Family::Yandex), "users") => {
            let c = plain(Order::Asc)?;
            let pool = q.get(&["userpool"]).filter(|p| !p.is_empty());
            let state = state.map(str::to_ascii_uppercase);
            let (i, n) = c.take(
                c.walk(&yx.users),
                |u| {
                    pool.is_none_or(|p| u.userpool_id == p)
                        && state.as_deref().is_none_or(|s| state_name(&u.status) == s)
                        && matches_q(
                            &needle,
                            &[
                                &u.id,
                                &u.profile.username,
                                &u.profile.full_name,
                                &u.profile.email,
                            ],
                        )
                },
                to_json,
            );
            (i, n, yx.users.len())
        }
        _ => return Err(unknown()),
    };
    Ok(to_json(&Page {
        family,
        kind: kind.to_string(),
        items,
        next_page_token: next,
        total,
        counts,
    }))
}

/// A unit enum's serialized name (`ACTIVE`, `CREATE_FAILED`).
fn state_name<T: Serialize>(s: &T) -> String {
    match serde_json::to_value(s) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Operations, newest first (`family`, `done` filter). Sorted on each call: the store holds at most
/// `--operations-keep` finished ones plus the pending.
fn operations(app: &App, q: &Query, family: Option<Family>) -> ApiResult<Value> {
    let done = match q.get(&["done"]) {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::invalid_field(
                "done",
                format!("`{other}` is not true or false"),
            ));
        }
    };
    let c = Cursor::parse(q, "operations", Order::Desc)?;
    let needle = q.get(&["q"]).unwrap_or("").trim().to_lowercase();
    let st = app.lock();
    let total = st.ops.ops.len();
    // The sort key: creation time (fixed width), then the name.
    let key = |o: &Operation| format!("{}|{}", o.created_at.timestamp_micros() + (1 << 60), o.name);
    let sorted: BTreeMap<String, &Operation> = st
        .ops
        .ops
        .values()
        .filter(|o| family.is_none_or(|f| o.family == f))
        .filter(|o| done.is_none_or(|d| o.done == d))
        .filter(|o| matches_q(&needle, &[&o.name, &o.kind]))
        .map(|o| (key(o), o))
        .collect();
    let (items, next) = c.take(c.walk(&sorted), |_| true, to_json);
    drop(st);
    Ok(to_json(&Page {
        family,
        kind: "operations".into(),
        items,
        next_page_token: next,
        total,
        counts: None,
    }))
}

/// `GET /_mock/resources` without `kind`: how many of each kind are stored, the states of those that have one, and
/// the kinds there are.
fn summary(app: &App) -> Value {
    let st = app.lock();
    let g = &st.world.google;
    let (scp, yx) = (&st.world.scp, &st.world.yandex);
    let mut invitations: BTreeMap<&str, usize> =
        InvitationState::ALL.iter().map(|s| (s.name(), 0)).collect();
    for inv in g.invitations.values() {
        *invitations.entry(inv.state.name()).or_default() += 1;
    }
    // Unmanaged accounts nobody acted on are NOT_YET_SENT invitations of the identity owning their domain.
    for a in g.consumer_accounts.values().filter(|a| !a.managed) {
        let Some((_, domain)) = a.email.rsplit_once('@') else {
            continue;
        };
        if let Some(ci) = g.identity_by_domain(domain)
            && ci
                .verified_domains()
                .any(|d| d.eq_ignore_ascii_case(domain))
            && !g
                .invitations
                .contains_key(&(ci.id.clone(), a.email.clone()))
        {
            *invitations.entry("NOT_YET_SENT").or_default() += 1;
        }
    }
    let mut scp_states: BTreeMap<String, usize> = ["PENDING", "ACTIVE", "CREATE_FAILED"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    for a in scp.accounts.values() {
        *scp_states.entry(state_name(&a.state)).or_default() += 1;
    }
    let mut users: BTreeMap<String, usize> = BTreeMap::new();
    for u in yx.users.values() {
        *users.entry(state_name(&u.status)).or_default() += 1;
    }
    let pending = st.ops.ops.values().filter(|o| !o.done).count();
    let mut out = json!({
        "channel": {
            "accounts": g.accounts.len(),
            "customers": g.customers.len(),
            "cloud_identities": g.identities.len(),
        },
        "cloudidentity": {
            "consumer_accounts": g.consumer_accounts.len(),
            "invitations": invitations,
            "mail": g.invitation_mail.len(),
        },
        "scp": {
            "accounts": scp_states,
            "organization_units": scp.units.len(),
            "landing_zones": scp.landing_zones.len(),
        },
        "yandex": {"userpools": yx.userpools.len(), "users": users},
        "operations": {"pending": pending, "done": st.ops.ops.len() - pending},
        "kinds": {
            "channel": ["accounts", "customers", "cloud_identities"],
            "cloudidentity": ["invitations", "consumer_accounts", "mail"],
            "scp": ["accounts", "organization_units", "landing_zones"],
            "yandex": ["userpools", "users"],
            "*": ["operations"],
        },
    });
    drop(st);
    out["faults"] = json!(app.with_faults(|f| f.list().len()));
    out["journal"] = json!(
        app.journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .count(&Default::default())
    );
    out
}
