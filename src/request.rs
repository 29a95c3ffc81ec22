//! What every request is, whichever family or plane it goes to: the path split into segments and a custom verb,
//! the query parameters, the caller's bearer token (REST headers or gRPC metadata), and the body — read within
//! limits and decoded as JSON naming the field of the first problem. The providers and the control plane share it.

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use percent_encoding::percent_decode_str;

use crate::error::{ApiError, ApiResult, Code};

/// Largest request body accepted (1 MiB); larger ones get 413 in the family's envelope.
pub const BODY_LIMIT: usize = 1 << 20;
/// A REST path split into percent-decoded segments, with the custom verb split off the last segment at its last
/// `:` (`customers:import` → segment `customers`, verb `import`). `+` stays `+` in paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestPath {
    pub segments: Vec<String>,
    pub verb: Option<String>,
}

impl RestPath {
    pub fn parse(path: &str) -> ApiResult<RestPath> {
        let mut segments = Vec::new();
        for raw in path.trim_start_matches('/').split('/') {
            let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| {
                ApiError::invalid_argument(format!("path segment `{raw}` is not valid UTF-8"))
            })?;
            segments.push(decoded.into_owned());
        }
        let mut verb = None;
        if let Some(last) = segments.last_mut()
            && let Some(i) = last.rfind(':')
        {
            verb = Some(last[i + 1..].to_string());
            last.truncate(i);
        }
        Ok(RestPath { segments, verb })
    }

    pub fn segs(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }
}

/// Decoded query parameters (`+` is a space here, unlike in paths).
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

/// System parameters every Google API accepts besides its own.
const SYSTEM_PARAMS: &[&str] = &[
    "alt",
    "$alt",
    "fields",
    "key",
    "prettyPrint",
    "quotaUser",
    "access_token",
    "callback",
    "$.xgafv",
    "upload_protocol",
    "uploadType",
    "oauth_token",
    "trace",
];

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        Query(pairs)
    }

    /// The value of the first of `names` present (camelCase and snake_case spellings).
    pub fn get(&self, names: &[&str]) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.as_str())
    }

    /// The value of the first of `names` present, or empty (how proto3 reads an absent string).
    pub fn text(&self, names: &[&str]) -> String {
        self.get(names).unwrap_or("").to_string()
    }

    /// The `pageToken` parameter (either spelling), or empty.
    pub fn page_token(&self) -> String {
        self.text(&["pageToken", "page_token"])
    }

    /// INVALID_ARGUMENT for a parameter the method does not take (as Google: "Cannot bind query parameter").
    pub fn check_known(&self, known: &[&str]) -> ApiResult<()> {
        for (k, _) in &self.0 {
            if !known.contains(&k.as_str()) && !SYSTEM_PARAMS.contains(&k.as_str()) {
                return Err(ApiError::invalid_field(
                    k,
                    format!(
                        "Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query parameter."
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A 32-bit integer parameter such as `pageSize`.
    pub fn int(&self, names: &[&str]) -> ApiResult<i64> {
        match self.get(names) {
            None | Some("") => Ok(0),
            Some(v) => v.trim().parse::<i32>().map(i64::from).map_err(|_| {
                ApiError::invalid_field(
                    names[0],
                    format!("Invalid value at '{}' (TYPE_INT32), \"{v}\"", names[0]),
                )
            }),
        }
    }

    /// True when the client asked for enums as numbers (`$alt=json;enum-encoding=int`, as GAPIC REST clients do).
    pub fn enums_as_int(&self) -> bool {
        self.get(&["$alt", "alt"])
            .is_some_and(|v| v.replace(' ', "").contains("enum-encoding=int"))
    }
}

/// Who is calling: the bearer token, if any. Checked against the fixtures' principals in strict auth.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub bearer: Option<String>,
}

impl Caller {
    /// The bearer token of a call, REST or gRPC (the `Authorization` header; gRPC's `authorization` metadata is
    /// that header).
    pub fn from_headers(headers: &HeaderMap) -> Caller {
        Caller::of_authorization(
            headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        )
    }

    fn of_authorization(value: Option<&str>) -> Caller {
        let bearer = value
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        Caller { bearer }
    }
}

/// Decodes JSON, naming the field path of the first problem (`customer.domain`, or `body` for the document itself).
/// Each family phrases the error its own way with `prefix`.
pub fn decode_json<T: serde::de::DeserializeOwned>(bytes: &[u8], prefix: &str) -> ApiResult<T> {
    // Valid bodies (nearly all of them) take the plain decoder; only a failure is decoded again with the path
    // tracking that names the field, which costs a wrapper per value.
    // Arrays where an object belongs are refused at any depth (serde's derived structs would take `[]` as a
    // struct of defaults).
    if let Ok(v) = crate::json_strict::from_slice(bytes) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(crate::json_strict::ObjectsOnly::new(de)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        ApiError::invalid_argument(format!("{prefix} {inner} (at `{field}`)"))
            .with_violation(field, inner)
    })
}

/// Reads a body of at most [`BODY_LIMIT`] bytes within `timeout`: 413 when larger, 408 when it does not arrive in
/// time (a slow or stalled client), 400 when the client breaks off before its end (a half-sent body).
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    timeout: std::time::Duration,
) -> ApiResult<Bytes> {
    use http_body_util::BodyExt;
    let too_large = |n: Option<u64>| {
        let size = n
            .map(|n| format!("{n} bytes"))
            .unwrap_or_else(|| "more than the limit".to_string());
        ApiError::invalid_argument(format!(
            "request body of {size} exceeds the {BODY_LIMIT}-byte limit"
        ))
        .with_reason("REQUEST_TOO_LARGE")
        .with_http_status(StatusCode::PAYLOAD_TOO_LARGE)
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large(declared));
    }
    // Most reads (GET) have no body: no timer for them.
    if http_body::Body::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let collect = http_body_util::Limited::new(body, BODY_LIMIT).collect();
    match tokio::time::timeout(timeout, collect).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(None)),
        Ok(Err(e)) => Err(ApiError::invalid_argument(format!(
            "the request body broke off before its end: {e}"
        ))
        .with_reason("INCOMPLETE_BODY")),
        // guess: Google's front ends answer a stalled upload with 408; the code is DEADLINE_EXCEEDED.
        Err(_) => Err(ApiError::new(
            Code::DeadlineExceeded,
            format!(
                "the request body did not arrive within {:?} (--body-timeout)",
                timeout
            ),
        )
        .with_reason("REQUEST_TIMEOUT")
        .with_http_status(StatusCode::REQUEST_TIMEOUT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_verb_splits_at_the_last_colon_of_the_last_segment() {
        let p =
            RestPath::parse("/v1/customers/C0/userinvitations/a+b%40x.com:send").expect("parses");
        assert_eq!(
            p.segs(),
            ["v1", "customers", "C0", "userinvitations", "a+b@x.com"]
        );
        assert_eq!(p.verb.as_deref(), Some("send"));
        let p = RestPath::parse("/v1/accounts/A1/customers:import").expect("parses");
        assert_eq!(p.segs(), ["v1", "accounts", "A1", "customers"]);
        assert_eq!(p.verb.as_deref(), Some("import"));
        let p = RestPath::parse("/v1/operations/a%20b").expect("parses");
        assert_eq!(p.segs(), ["v1", "operations", "a b"]);
        assert_eq!(p.verb, None);
    }

    #[test]
    fn query_plus_is_a_space_and_alt_enum_encoding_is_detected() {
        let q = Query::parse(Some("orderBy=email+desc&%24alt=json%3Benum-encoding%3Dint"));
        assert_eq!(q.get(&["orderBy"]), Some("email desc"));
        assert!(q.enums_as_int());
        assert!(q.check_known(&["orderBy"]).is_ok());
        assert!(
            Query::parse(Some("colour=red"))
                .check_known(&["orderBy"])
                .is_err()
        );
    }
}
