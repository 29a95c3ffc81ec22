//! What Google's REST front ends share: path and custom-verb parsing, query parameters, the proto3 JSON body
//! mapping (camelCase or snake_case in, camelCase out, enums by name or number), `$alt=json;enum-encoding=int`,
//! long-running operation rendering, and bearer-token callers.

pub mod channel;
pub mod cloudidentity;
pub mod lro;

use axum::response::Response;
use http::{HeaderMap, StatusCode};
use percent_encoding::percent_decode_str;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// The API version segment of a Google REST path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V1alpha1,
    V1beta1,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        match s {
            "v1" => Some(Version::V1),
            "v1alpha1" => Some(Version::V1alpha1),
            "v1beta1" => Some(Version::V1beta1),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V1alpha1 => "v1alpha1",
            Version::V1beta1 => "v1beta1",
        }
    }
}

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

/// Parses a JSON body into a proto message (pbjson mapping). An empty body is the empty message.
pub fn parse_body<T: DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    super::decode_json(body, "Invalid JSON payload received.")
}

/// `orgPostalAddress.regionCode` → `org_postal_address.region_code` (field-mask paths arrive in either spelling).
pub fn snake_case(path: &str) -> String {
    let mut out = String::new();
    for c in path.trim().chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A proto message as a proto3 JSON body (camelCase, defaults omitted), enums as numbers when asked. Written
/// straight to bytes; only the rare numeric-enum form goes through a `Value`.
pub fn to_json<T: Serialize>(msg: &T, enums_as_int: bool) -> JsonBody {
    if enums_as_int {
        let mut v = proto_json(msg);
        enums_to_int(&mut v);
        JsonBody::from(v)
    } else {
        JsonBody::of(msg)
    }
}

/// A proto message as a proto3 JSON value, for building larger documents (operations, `Any`).
pub fn proto_json<T: Serialize>(msg: &T) -> Value {
    serde_json::to_value(msg).unwrap_or(Value::Null)
}

/// A JSON response body, already serialized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonBody(pub Vec<u8>);

impl JsonBody {
    pub fn of<T: Serialize>(msg: &T) -> JsonBody {
        JsonBody(serde_json::to_vec(msg).unwrap_or_else(|_| b"null".to_vec()))
    }
}

impl From<Value> for JsonBody {
    fn from(v: Value) -> JsonBody {
        JsonBody::of(&v)
    }
}

/// Rewrites enum names to their numbers in a proto3 JSON value, by field name.
pub fn enums_to_int(v: &mut Value) {
    use crate::proto::google::cloud::channel::v1 as ch;
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if let Value::String(s) = val {
                    let n = match k.as_str() {
                        "customerAttestationState" => {
                            ch::customer::CustomerAttestationState::from_str_name(s)
                                .map(|e| e as i32)
                        }
                        "customerType" => ch::cloud_identity_info::CustomerType::from_str_name(s)
                            .map(|e| e as i32),
                        "instituteType" => {
                            ch::edu_data::InstituteType::from_str_name(s).map(|e| e as i32)
                        }
                        "instituteSize" => {
                            ch::edu_data::InstituteSize::from_str_name(s).map(|e| e as i32)
                        }
                        "operationType" => ch::operation_metadata::OperationType::from_str_name(s)
                            .map(|e| e as i32),
                        // UserInvitation.State (Cloud Identity).
                        "state" => crate::world::google::InvitationState::number_of(s),
                        _ => None,
                    };
                    if let Some(n) = n {
                        *val = Value::from(n);
                    }
                } else {
                    enums_to_int(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(enums_to_int),
        _ => {}
    }
}

pub fn ok_json(body: JsonBody) -> Response {
    crate::error::json_bytes_response(StatusCode::OK, body.0)
}

/// Who is calling: the bearer token, if any. Checked against the fixtures' principals in strict auth.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub bearer: Option<String>,
}

impl Caller {
    pub fn from_headers(headers: &HeaderMap) -> Caller {
        let bearer = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        Caller { bearer }
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

    #[test]
    fn enum_names_become_numbers_on_request() {
        let mut v = serde_json::json!({"cloudIdentityInfo": {"customerType": "TEAM"}, "metadata": {"operationType": "PROVISION_CLOUD_IDENTITY"}});
        enums_to_int(&mut v);
        assert_eq!(v["cloudIdentityInfo"]["customerType"], 2);
        assert_eq!(v["metadata"]["operationType"], 16);
    }
}
