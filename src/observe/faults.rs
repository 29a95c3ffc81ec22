//! Fault injection: rules that make matching requests fail (in their family's own error format, over REST and
//! gRPC) or slow down, a given number of times or with a probability (reproducible under `--seed`).
//!
//! A rule's `match.method` is either an RPC (`ImportCustomer`, `channel.ImportCustomer`,
//! `CloudChannelService/ImportCustomer`, `UserService/Create`, …; a REST request has its route's RPC name) or
//! an HTTP method and path glob (`POST /v1/accounts/*/customers:import`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::journal::glob;
use crate::error::{ApiError, ApiResult, Code};
use crate::family::Family;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `name` (present) or `name: value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    /// A canonical code by name (`UNAVAILABLE`) or number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Value>,
    /// An HTTP status (REST answers it; gRPC gets the code it maps to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A rule as posted to `/_mock/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default, rename = "match")]
    pub matcher: Match,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorSpec>,
    /// Fire at most this many times, then the rule is spent (it stays listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Fire with this probability (0..=1) on each matching request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Added delay before answering (with or without an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    #[serde(flatten)]
    pub spec: RuleSpec,
    pub hits: u64,
}

/// What a request looks like to the rules.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub family: Family,
    pub http_method: &'a str,
    pub path: &'a str,
    /// `package.Service/Method`: the gRPC path without its leading `/`, or the RPC of the REST route the request
    /// matched (`providers/<family>/routes.rs`, Channel's `routes/`).
    pub rpc: Option<&'a str>,
    pub headers: &'a http::HeaderMap,
}

/// What to do with a request.
#[derive(Debug, Default)]
pub struct Decision {
    pub latency_ms: u64,
    pub error: Option<ApiError>,
}

#[derive(Debug)]
pub struct Faults {
    rules: Vec<Rule>,
    next_id: u64,
    rng: ChaCha8Rng,
}

impl Faults {
    pub fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(s) => ChaCha8Rng::seed_from_u64(s ^ 0x6661_756c_7473),
            None => ChaCha8Rng::from_os_rng(),
        };
        Faults {
            rules: Vec::new(),
            next_id: 1,
            rng,
        }
    }

    pub fn add(&mut self, spec: RuleSpec) -> ApiResult<Rule> {
        if let Some(p) = spec.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(ApiError::invalid_field(
                "probability",
                format!("{p} is not between 0 and 1"),
            ));
        }
        if spec.error.is_none() && spec.latency_ms.is_none() {
            return Err(ApiError::invalid_field(
                "error",
                "a rule needs an `error`, a `latency_ms`, or both",
            ));
        }
        if let Some(e) = &spec.error {
            error_of(e, "rule")?;
        }
        let rule = Rule {
            id: format!("fault-{}", self.next_id),
            spec,
            hits: 0,
        };
        self.next_id += 1;
        self.rules.push(rule.clone());
        Ok(rule)
    }

    pub fn list(&self) -> &[Rule] {
        &self.rules
    }

    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Applies the first matching, unspent rule (latency of every matching rule adds up).
    pub fn decide(&mut self, f: &Facts<'_>) -> Decision {
        let mut d = Decision::default();
        for rule in &mut self.rules {
            if rule.spec.times.is_some_and(|t| rule.hits >= t) || !matches(&rule.spec.matcher, f) {
                continue;
            }
            if let Some(p) = rule.spec.probability
                && self.rng.random::<f64>() >= p
            {
                continue;
            }
            rule.hits += 1;
            d.latency_ms += rule.spec.latency_ms.unwrap_or(0);
            if let Some(e) = &rule.spec.error
                && d.error.is_none()
            {
                d.error = error_of(e, &rule.id).ok();
            }
        }
        d
    }
}

fn matches(m: &Match, f: &Facts<'_>) -> bool {
    if m.family.is_some_and(|fam| fam != f.family) {
        return false;
    }
    if let Some(h) = &m.header {
        let (name, value) = match h.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (h.trim(), None),
        };
        match f.headers.get(name).and_then(|v| v.to_str().ok()) {
            None => return false,
            Some(actual) if value.is_some_and(|v| v != actual) => return false,
            _ => {}
        }
    }
    match &m.method {
        None => true,
        Some(spec) => method_matches(spec.trim(), f),
    }
}

fn method_matches(spec: &str, f: &Facts<'_>) -> bool {
    if let Some((verb, path)) = spec.split_once(' ') {
        return verb.eq_ignore_ascii_case(f.http_method) && glob(path.trim(), f.path);
    }
    if spec.chars().all(|c| c.is_ascii_uppercase()) {
        return spec == f.http_method;
    }
    let Some(rpc) = f.rpc else { return false };
    let (service_full, method) = rpc.rsplit_once('/').unwrap_or(("", rpc));
    let service = service_full.rsplit('.').next().unwrap_or(service_full);
    let family = f.family.name();
    [
        rpc.to_string(),
        format!("{service}/{method}"),
        format!("{service}.{method}"),
        method.to_string(),
        format!("{family}.{method}"),
        format!("{family}.{service}.{method}"),
    ]
    .iter()
    .any(|c| c == spec)
}

/// The error a rule (or the `x-provmock-fault` header) produces.
pub fn error_of(e: &ErrorSpec, origin: &str) -> ApiResult<ApiError> {
    let msg = e
        .message
        .clone()
        .unwrap_or_else(|| format!("fault injected by provmock ({origin})"));
    if let Some(status) = e.http_status {
        let s = http::StatusCode::from_u16(status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "error.http_status",
                    format!("{status} is not an error status"),
                )
            })?;
        return Ok(ApiError::new(Code::from_http_status(status), msg)
            .with_reason("INJECTED_FAULT")
            .with_http_status(s));
    }
    let code = match &e.code {
        Some(Value::String(s)) => Code::parse(s),
        Some(Value::Number(n)) => n.as_i64().and_then(|n| Code::from_i32(n as i32)),
        _ => None,
    }
    .filter(|c| *c != Code::Ok)
    .ok_or_else(|| {
        ApiError::invalid_field(
            "error.code",
            format!(
                "`{}` is not an error code",
                e.code.clone().unwrap_or_default()
            ),
        )
    })?;
    Ok(ApiError::new(code, msg).with_reason("INJECTED_FAULT"))
}

/// The error the `x-provmock-fault: <code or http status>` header forces.
pub fn forced(value: &str) -> ApiResult<ApiError> {
    let v = value.trim();
    match v.parse::<u16>() {
        Ok(n) if n >= 400 => error_of(
            &ErrorSpec {
                code: None,
                http_status: Some(n),
                message: None,
            },
            "x-provmock-fault header",
        ),
        _ => error_of(
            &ErrorSpec {
                code: Some(Value::String(v.to_string())),
                http_status: None,
                message: None,
            },
            "x-provmock-fault header",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(headers: &'a http::HeaderMap, rpc: Option<&'a str>) -> Facts<'a> {
        Facts {
            family: Family::Channel,
            http_method: "POST",
            path: "/v1/accounts/A1/customers:import",
            rpc,
            headers,
        }
    }

    fn spec(json: &str) -> RuleSpec {
        serde_json::from_str(json).expect("rule parses")
    }

    #[test]
    fn rpc_names_match_in_every_spelling() {
        let h = http::HeaderMap::new();
        let f = facts(
            &h,
            Some("google.cloud.channel.v1.CloudChannelService/ImportCustomer"),
        );
        for m in [
            "ImportCustomer",
            "channel.ImportCustomer",
            "CloudChannelService/ImportCustomer",
            "POST /v1/accounts/*/customers:import",
        ] {
            let mut faults = Faults::new(Some(1));
            faults
                .add(spec(&format!(
                    r#"{{"match":{{"method":"{m}"}},"error":{{"code":"UNAVAILABLE"}}}}"#
                )))
                .expect("adds");
            assert_eq!(
                faults.decide(&f).error.map(|e| e.code),
                Some(Code::Unavailable),
                "{m}"
            );
        }
        let mut faults = Faults::new(Some(1));
        faults
            .add(spec(
                r#"{"match":{"method":"GetCustomer"},"error":{"code":5}}"#,
            ))
            .expect("adds");
        assert!(faults.decide(&f).error.is_none());
    }

    #[test]
    fn times_and_probability_limit_firing_reproducibly() {
        let h = http::HeaderMap::new();
        let f = facts(&h, None);
        let mut faults = Faults::new(Some(7));
        faults
            .add(spec(r#"{"error":{"http_status":503},"times":2}"#))
            .expect("adds");
        assert!(faults.decide(&f).error.is_some());
        assert!(faults.decide(&f).error.is_some());
        assert!(faults.decide(&f).error.is_none());
        assert_eq!(faults.list()[0].hits, 2);

        let run = |seed| {
            let mut faults = Faults::new(Some(seed));
            faults
                .add(spec(r#"{"error":{"code":"ABORTED"},"probability":0.5}"#))
                .expect("adds");
            (0..32)
                .map(|_| faults.decide(&f).error.is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        let fired = run(3).iter().filter(|x| **x).count();
        assert!((4..=28).contains(&fired), "{fired}");
    }

    #[test]
    fn the_fault_header_takes_a_code_or_an_http_status() {
        assert!(forced("UNAVAILABLE").is_ok() && forced("503").is_ok() && forced("bogus").is_err());
    }
}
