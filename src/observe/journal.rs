//! The request journal: every API request provmock answered (time, family, method or RPC, path, status, duration,
//! request id, a redacted body), bounded by `--journal-size`, oldest dropped first. Control-plane calls are not
//! journaled. Passwords, tokens, secret keys and signatures never enter it.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use http::{HeaderValue, Method};
use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::family::Family;

/// One journaled request. Built on every API request, so it holds cheap forms (the method as `http::Method`, the
/// request id as the header value, the body as bytes) and becomes JSON only when someone reads the journal.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub family: Family,
    pub grpc: bool,
    pub http_method: Method,
    pub path: String,
    /// HTTP status for REST; the gRPC status code for gRPC.
    pub status: u16,
    pub duration_ms: f64,
    pub request_id: HeaderValue,
    pub body: EntryBody,
}

impl Entry {
    /// `POST` for REST, the RPC (`google.cloud.channel.v1.CloudChannelService/ImportCustomer`) for gRPC.
    pub fn method(&self) -> &str {
        if self.grpc {
            self.path.trim_start_matches('/')
        } else {
            self.http_method.as_str()
        }
    }
}

impl Serialize for Entry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Entry", 10)?;
        m.serialize_field("seq", &self.seq)?;
        m.serialize_field("time", &self.time)?;
        m.serialize_field("family", &self.family)?;
        m.serialize_field("protocol", if self.grpc { "grpc" } else { "http" })?;
        m.serialize_field("method", self.method())?;
        m.serialize_field("path", &self.path)?;
        m.serialize_field("status", &self.status)?;
        m.serialize_field("duration_ms", &self.duration_ms)?;
        m.serialize_field("request_id", self.request_id.to_str().unwrap_or(""))?;
        m.serialize_field("body", &self.body.to_json())?;
        m.end()
    }
}

/// A journaled body. Secrets never enter the journal: a JSON body in which a secret-looking field name could occur
/// is redacted when it is recorded; any other is kept as a private copy of its bytes (not a view of the connection's
/// read buffer, which it would pin) and parsed only when the journal is read.
#[derive(Debug, Clone)]
pub enum EntryBody {
    Empty,
    /// gRPC bodies: only their size.
    Size(usize),
    /// Bytes in which no secret field name occurs.
    Plain(Box<[u8]>),
    /// Parsed JSON with secret values replaced (or a note for a body that is not JSON).
    Redacted(Value),
}

impl EntryBody {
    pub fn of_json(body: &[u8]) -> EntryBody {
        if body.is_empty() {
            EntryBody::Empty
        } else if may_name_a_secret(body) {
            EntryBody::Redacted(redact_body(body))
        } else {
            EntryBody::Plain(body.into())
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            EntryBody::Empty => Value::Null,
            EntryBody::Size(n) => Value::String(format!("(gRPC, {n} bytes)")),
            EntryBody::Plain(bytes) => redact_body(bytes),
            EntryBody::Redacted(v) => v.clone(),
        }
    }
}

/// Conservative: false only when no JSON key of `body` can be a secret's name. A key is a run of the body's bytes,
/// so if the body — lower-cased, without `_` and `-` (as `is_secret` reads keys) — contains no secret marker, no key
/// does. A backslash could spell a key with escapes, so it counts as a possible secret too.
fn may_name_a_secret(body: &[u8]) -> bool {
    const MARKERS: [&[u8]; 7] = [
        b"password",
        b"secret",
        b"token",
        b"jwt",
        b"signature",
        b"authorization",
        b"privatekey",
    ];
    if body.contains(&b'\\') {
        return true;
    }
    let kept = |b: &&u8| **b != b'_' && **b != b'-';
    body.iter().enumerate().any(|(i, first)| {
        let first = first.to_ascii_lowercase();
        MARKERS.iter().any(|m| {
            m[0] == first && {
                let mut rest = body[i + 1..].iter().filter(kept);
                m[1..]
                    .iter()
                    .all(|c| rest.next().is_some_and(|b| b.to_ascii_lowercase() == *c))
            }
        })
    })
}

#[derive(Debug)]
pub struct Journal {
    entries: VecDeque<Entry>,
    capacity: usize,
    next_seq: u64,
}

/// Which entries a query selects.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub family: Option<Family>,
    pub method: Option<String>,
    /// A path prefix, or a glob with `*`.
    pub path: Option<String>,
    pub status: Option<u16>,
    /// Only entries with a higher `seq` (what arrived since), and with a lower one (older pages).
    pub after: Option<u64>,
    pub before: Option<u64>,
}

impl Filter {
    pub fn parse(q: &crate::request::Query) -> ApiResult<Filter> {
        let family = match q.get(&["family"]) {
            Some(f) if !f.is_empty() => Some(Family::parse(f).ok_or_else(|| {
                ApiError::invalid_field("family", format!("unknown family `{f}`"))
            })?),
            _ => None,
        };
        let status = match q.get(&["status"]) {
            Some(s) if !s.is_empty() => Some(s.parse().map_err(|_| {
                ApiError::invalid_field("status", format!("`{s}` is not a status code"))
            })?),
            _ => None,
        };
        let seq = |k: &str| match q.get(&[k]) {
            Some(s) if !s.is_empty() => s
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid_field(k, format!("`{s}` is not a sequence number"))),
            _ => Ok(None),
        };
        let nonempty = |k: &str| q.get(&[k]).filter(|v| !v.is_empty()).map(str::to_string);
        Ok(Filter {
            family,
            method: nonempty("method"),
            path: nonempty("path"),
            status,
            after: seq("after")?,
            before: seq("before")?,
        })
    }

    fn matches(&self, e: &Entry) -> bool {
        self.family.is_none_or(|f| e.family == f)
            && self.after.is_none_or(|a| e.seq > a)
            && self.before.is_none_or(|b| e.seq < b)
            && self.status.is_none_or(|s| e.status == s)
            && self.method.as_ref().is_none_or(|m| {
                let method = e.method();
                method.eq_ignore_ascii_case(m)
                    || method
                        .strip_suffix(m.as_str())
                        .is_some_and(|rest| rest.ends_with('/') || rest.ends_with('.'))
            })
            && self.path.as_ref().is_none_or(|p| {
                if p.contains('*') {
                    glob(p, &e.path)
                } else {
                    e.path.starts_with(p.as_str())
                }
            })
    }
}

/// `*` matches any run of characters (including `/`).
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Journal {
            entries: VecDeque::new(),
            capacity,
            next_seq: 1,
        }
    }

    /// Appends an entry; returns the oldest one when the journal was full, for the caller to drop once it has let
    /// go of the journal's lock.
    pub fn record(&mut self, mut e: Entry) -> Option<Entry> {
        if self.capacity == 0 {
            return None;
        }
        e.seq = self.next_seq;
        self.next_seq += 1;
        let evicted = if self.entries.len() >= self.capacity {
            self.entries.pop_front()
        } else {
            None
        };
        self.entries.push_back(e);
        evicted
    }

    /// The most recent `limit` matching entries, oldest first.
    pub fn query(&self, f: &Filter, limit: usize) -> Vec<Entry> {
        let mut out: Vec<Entry> = self
            .entries
            .iter()
            .rev()
            .filter(|e| f.matches(e))
            .take(limit)
            .cloned()
            .collect();
        out.reverse();
        out
    }

    pub fn count(&self, f: &Filter) -> usize {
        self.entries.iter().filter(|e| f.matches(e)).count()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Field names whose values are secrets, in any casing and with `_` or camelCase.
pub fn is_secret(key: &str) -> bool {
    let k: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.contains("token")
        || k == "jwt"
        || k.contains("signature")
        || k == "authorization"
        || k.contains("privatekey")
}

/// The body as journaled: JSON with secret values replaced by `"[REDACTED]"`; other bodies by their size.
pub fn redact_body(body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            redact(&mut v);
            v
        }
        Err(_) => Value::String(format!("({} bytes, not JSON)", body.len())),
    }
}

fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if is_secret(k) && !val.is_null() {
                    *val = Value::String("[REDACTED]".into());
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let v = redact_body(
            br#"{"username":"a","passwordSpec":{"password":"p"},"authToken":"t","yandex_passport_oauth_token":"o","x":[{"secret_key":"s"}]}"#,
        );
        let text = v.to_string();
        for secret in ["\"p\"", "\"t\"", "\"o\"", "\"s\""] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(v["username"], "a");
        assert_eq!(v["passwordSpec"], "[REDACTED]");
    }

    #[test]
    fn a_body_naming_a_secret_is_redacted_when_recorded_and_others_are_kept_as_bytes() {
        for secret in [
            &br#"{"passwordSpec":{"password":"p"}}"#[..],
            br#"{"auth_token":"t"}"#,
            br#"{"x":{"Private-Key":"k"}}"#,
            br#"{"pass\u0077ord":"p"}"#,
            br#"{"JWT":"j"}"#,
        ] {
            let text = String::from_utf8_lossy(secret).into_owned();
            match EntryBody::of_json(secret) {
                EntryBody::Redacted(v) => assert!(
                    !v.to_string().contains("\"p\"") && !v.to_string().contains("\"t\""),
                    "{text} → {v}"
                ),
                other => panic!("{text} was kept unredacted: {other:?}"),
            }
        }
        let plain = br#"{"orgDisplayName":"Org","domain":"example.com"}"#;
        assert!(matches!(EntryBody::of_json(plain), EntryBody::Plain(_)));
        assert_eq!(EntryBody::of_json(plain).to_json()["domain"], "example.com");
        assert!(matches!(EntryBody::of_json(b""), EntryBody::Empty));
    }

    #[test]
    fn grpc_entries_show_the_rpc_as_their_method() {
        let e = Entry {
            seq: 1,
            time: Utc::now(),
            family: Family::Yandex,
            grpc: true,
            http_method: Method::POST,
            path: "/yandex.cloud.organizationmanager.v1.idp.UserService/Create".into(),
            status: 0,
            duration_ms: 0.5,
            request_id: HeaderValue::from_static("rid"),
            body: EntryBody::Size(12),
        };
        let v = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(
            v["method"],
            "yandex.cloud.organizationmanager.v1.idp.UserService/Create"
        );
        assert_eq!(v["protocol"], "grpc");
        assert_eq!(v["request_id"], "rid");
        assert_eq!(v["body"], "(gRPC, 12 bytes)");
        let f = |m: &str| Filter {
            method: Some(m.into()),
            ..Filter::default()
        };
        assert!(f("Create").matches(&e) && f("UserService/Create").matches(&e));
        assert!(!f("reate").matches(&e));
    }

    #[test]
    fn journal_is_bounded_and_filters() {
        let mut j = Journal::new(2);
        for (i, path) in ["/v1/a", "/v1/b", "/v1/c"].iter().enumerate() {
            j.record(Entry {
                seq: 0,
                time: Utc::now(),
                family: Family::Channel,
                grpc: false,
                http_method: Method::GET,
                path: path.to_string(),
                status: 200 + i as u16,
                duration_ms: 1.0,
                request_id: HeaderValue::from_static("r"),
                body: EntryBody::Empty,
            });
        }
        let all = j.query(&Filter::default(), 10);
        assert_eq!(
            all.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["/v1/b", "/v1/c"]
        );
        assert_eq!(all[1].seq, 3);
        assert_eq!(
            j.count(&Filter {
                status: Some(202),
                ..Filter::default()
            }),
            1
        );
        assert_eq!(
            j.count(&Filter {
                path: Some("/v1/*".into()),
                ..Filter::default()
            }),
            2
        );
    }

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob(
            "/v1/accounts/*/customers",
            "/v1/accounts/A1/customers"
        ));
        assert!(glob("*import", "/v1/accounts/A1/customers:import"));
        assert!(!glob("/v1/*/x", "/v1/a/y"));
    }
}
