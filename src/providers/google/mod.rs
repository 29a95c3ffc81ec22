//! What Google's REST front ends share: the proto3 JSON body mapping (camelCase or snake_case in, camelCase out,
//! enums by name or number), `$alt=json;enum-encoding=int`, and long-running operation rendering.

pub mod channel;
pub mod cloudidentity;
pub mod lro;
pub mod names;

use axum::response::Response;
use http::StatusCode;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::error::ApiResult;

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
}

/// Parses a JSON body into a proto message (pbjson mapping). An empty body is the empty message.
pub fn parse_body<T: DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    crate::request::decode_json(body, "Invalid JSON payload received.")
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

/// Strict auth, for Channel and Cloud Identity alike: the principal whose bearer token the caller sent.
pub fn principal<'a>(
    g: &'a crate::world::google::GoogleWorld,
    caller: &crate::request::Caller,
) -> ApiResult<&'a crate::world::google::Principal> {
    let token = caller.bearer.as_deref().ok_or_else(|| {
        crate::error::ApiError::unauthenticated(
            "request had no `Authorization: Bearer` token (provmock runs with --auth strict)",
        )
        .with_reason("CREDENTIALS_MISSING")
    })?;
    g.principal(token).ok_or_else(|| {
        crate::error::ApiError::unauthenticated(
            "the bearer token is not known to provmock's fixtures",
        )
        .with_reason("ACCESS_TOKEN_INVALID")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_names_become_numbers_on_request() {
        let mut v = serde_json::json!({"cloudIdentityInfo": {"customerType": "TEAM"}, "metadata": {"operationType": "PROVISION_CLOUD_IDENTITY"}});
        enums_to_int(&mut v);
        assert_eq!(v["cloudIdentityInfo"]["customerType"], 2);
        assert_eq!(v["metadata"]["operationType"], 16);
    }
}
