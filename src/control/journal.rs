//! The request journal: every API request provmock answered (time, family, method or RPC, path, status, duration,
//! request id, a redacted body), bounded by `--journal-size`, oldest dropped first. Control-plane calls are not
//! journaled. Passwords, tokens, secret keys and signatures never enter it.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::family::Family;

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub family: Family,
    /// `grpc` or the HTTP method.
    pub protocol: &'static str,
    /// `POST` for REST, the RPC (`google.cloud.channel.v1.CloudChannelService/ImportCustomer`) for gRPC.
    pub method: String,
    pub path: String,
    /// HTTP status for REST; the gRPC status code for gRPC.
    pub status: u16,
    pub duration_ms: f64,
    pub request_id: String,
    /// The JSON body with secrets redacted; for gRPC, only its size.
    pub body: Value,
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
}

impl Filter {
    pub fn parse(q: &crate::providers::google::Query) -> ApiResult<Filter> {
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
        let nonempty = |k: &str| q.get(&[k]).filter(|v| !v.is_empty()).map(str::to_string);
        Ok(Filter {
            family,
            method: nonempty("method"),
            path: nonempty("path"),
            status,
        })
    }

    fn matches(&self, e: &Entry) -> bool {
        self.family.is_none_or(|f| e.family == f)
            && self.status.is_none_or(|s| e.status == s)
            && self.method.as_ref().is_none_or(|m| {
                e.method.eq_ignore_ascii_case(m) || e.method.ends_with(&format!("/{m}"))
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

    pub fn record(&mut self, mut e: Entry) {
        if self.capacity == 0 {
            return;
        }
        e.seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(e);
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
fn is_secret(key: &str) -> bool {
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
    fn journal_is_bounded_and_filters() {
        let mut j = Journal::new(2);
        for (i, path) in ["/v1/a", "/v1/b", "/v1/c"].iter().enumerate() {
            j.record(Entry {
                seq: 0,
                time: Utc::now(),
                family: Family::Channel,
                protocol: "GET",
                method: "GET".into(),
                path: path.to_string(),
                status: 200 + i as u16,
                duration_ms: 1.0,
                request_id: String::new(),
                body: Value::Null,
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
