//! `ApiError`: the one error type every service function returns, with Google's canonical codes, and one renderer
//! per family (Google JSON envelope, Yandex JSON, SCP `{"errors":[...]}`, gRPC status with details).
//!
//! Service code says *what* went wrong (code, message naming the value, optional reason and field violations); the
//! renderer decides how each family spells it on the wire.

use std::borrow::Cow;

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use prost::Message;
use serde_json::{Value, json};

use crate::family::Family;
use crate::proto::google::rpc as pb;

/// A client's value as error messages quote it: whole when short, else its first 120 characters and the length, so a
/// hostile megabyte-long value cannot make a megabyte-long error.
pub fn shown(value: &str) -> Cow<'_, str> {
    const KEEP: usize = 120;
    match value.char_indices().nth(KEEP) {
        None => Cow::Borrowed(value),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &value[..cut],
            value.chars().count()
        )),
    }
}

/// Google's canonical error codes (google.rpc.Code), shared by every family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    Ok = 0,
    Cancelled = 1,
    Unknown = 2,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    AlreadyExists = 6,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    OutOfRange = 11,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    DataLoss = 15,
    Unauthenticated = 16,
}

const ALL_CODES: [Code; 17] = [
    Code::Ok,
    Code::Cancelled,
    Code::Unknown,
    Code::InvalidArgument,
    Code::DeadlineExceeded,
    Code::NotFound,
    Code::AlreadyExists,
    Code::PermissionDenied,
    Code::ResourceExhausted,
    Code::FailedPrecondition,
    Code::Aborted,
    Code::OutOfRange,
    Code::Unimplemented,
    Code::Internal,
    Code::Unavailable,
    Code::DataLoss,
    Code::Unauthenticated,
];

impl Code {
    /// The name as Google's JSON `status` field and gRPC docs spell it.
    pub fn name(self) -> &'static str {
        match self {
            Code::Ok => "OK",
            Code::Cancelled => "CANCELLED",
            Code::Unknown => "UNKNOWN",
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Code::FailedPrecondition => "FAILED_PRECONDITION",
            Code::Aborted => "ABORTED",
            Code::OutOfRange => "OUT_OF_RANGE",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::Internal => "INTERNAL",
            Code::Unavailable => "UNAVAILABLE",
            Code::DataLoss => "DATA_LOSS",
            Code::Unauthenticated => "UNAUTHENTICATED",
        }
    }

    /// The HTTP status of the rpc code (the table in contracts/google.md §4).
    pub fn http_status(self) -> StatusCode {
        let n = match self {
            Code::Ok => 200,
            Code::Cancelled => 499,
            Code::Unknown | Code::Internal | Code::DataLoss => 500,
            Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound => 404,
            Code::AlreadyExists | Code::Aborted => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::Unimplemented => 501,
            Code::Unavailable => 503,
            Code::Unauthenticated => 401,
        };
        StatusCode::from_u16(n).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The code an HTTP status stands for (used when a fault rule names only a status).
    pub fn from_http_status(status: u16) -> Code {
        match status {
            200..=299 => Code::Ok,
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            409 => Code::AlreadyExists,
            429 => Code::ResourceExhausted,
            499 => Code::Cancelled,
            501 => Code::Unimplemented,
            503 => Code::Unavailable,
            504 => Code::DeadlineExceeded,
            402 | 405..=408 | 410..=428 | 430..=498 => Code::FailedPrecondition,
            _ => Code::Internal,
        }
    }

    pub fn from_i32(n: i32) -> Option<Code> {
        ALL_CODES.iter().copied().find(|c| *c as i32 == n)
    }

    /// Parses `NOT_FOUND`, `not_found`, `NotFound` or `5`.
    pub fn parse(s: &str) -> Option<Code> {
        if let Ok(n) = s.trim().parse::<i32>() {
            return Code::from_i32(n);
        }
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        ALL_CODES
            .iter()
            .copied()
            .find(|c| c.name().replace('_', "") == norm)
    }

    pub fn to_tonic(self) -> tonic::Code {
        tonic::Code::from_i32(self as i32)
    }
}

/// One problem with one request field (`google.rpc.BadRequest.FieldViolation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// One failed precondition (`google.rpc.PreconditionFailure.Violation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconditionViolation {
    pub kind: String,
    pub subject: String,
    pub description: String,
}

/// What every service function returns on failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.name())]
pub struct ApiError {
    pub code: Code,
    /// Says what was wrong and with which value.
    pub message: String,
    /// `ErrorInfo.reason`; defaults to the code's name.
    pub reason: Option<Cow<'static, str>>,
    pub violations: Vec<FieldViolation>,
    pub preconditions: Vec<PreconditionViolation>,
    /// Set only where the HTTP status is not the code's (413 for an oversized body, a fault with a raw status).
    pub http_status: Option<StatusCode>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            reason: None,
            violations: Vec::new(),
            preconditions: Vec::new(),
            http_status: None,
        }
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, message)
    }
    /// INVALID_ARGUMENT with a `BadRequest` field violation; the message names the field.
    pub fn invalid_field(field: &str, description: impl Into<String>) -> Self {
        let description = description.into();
        Self::new(
            Code::InvalidArgument,
            format!("invalid `{field}`: {description}"),
        )
        .with_violation(field, description)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(Code::AlreadyExists, message)
    }
    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self::new(Code::FailedPrecondition, message)
    }
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(Code::PermissionDenied, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, message)
    }
    pub fn unimplemented(message: impl Into<String>) -> Self {
        Self::new(Code::Unimplemented, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }

    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason = Some(reason.into());
        self
    }
    pub fn with_violation(
        mut self,
        field: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.violations.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
        self
    }
    pub fn with_precondition(
        mut self,
        kind: &str,
        subject: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        self.preconditions.push(PreconditionViolation {
            kind: kind.to_string(),
            subject: subject.into(),
            description: description.into(),
        });
        self
    }
    pub fn with_http_status(mut self, status: StatusCode) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn reason(&self) -> &str {
        self.reason.as_deref().unwrap_or(self.code.name())
    }

    pub fn http_status(&self) -> StatusCode {
        self.http_status.unwrap_or_else(|| self.code.http_status())
    }

    /// The details as proto3-JSON objects with `@type`, as Google's envelope and operation errors carry them.
    pub fn details_json(&self, family: Family) -> Vec<Value> {
        let mut out = vec![json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": self.reason(),
            "domain": family.error_domain(),
            "metadata": {},
        })];
        if !self.violations.is_empty() {
            let v: Vec<Value> = self
                .violations
                .iter()
                .map(|v| json!({"field": v.field, "description": v.description}))
                .collect();
            out.push(
                json!({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": v}),
            );
        }
        if !self.preconditions.is_empty() {
            let v: Vec<Value> = self
                .preconditions
                .iter()
                .map(
                    |v| json!({"type": v.kind, "subject": v.subject, "description": v.description}),
                )
                .collect();
            out.push(json!({"@type": "type.googleapis.com/google.rpc.PreconditionFailure", "violations": v}));
        }
        out
    }

    /// The error as a `google.rpc.Status` proto, details packed as `Any` (gRPC status details, operation errors).
    pub fn to_status_proto(&self, family: Family) -> pb::Status {
        let mut details = vec![any(
            "google.rpc.ErrorInfo",
            &pb::ErrorInfo {
                reason: self.reason().to_string(),
                domain: family.error_domain().to_string(),
                metadata: Default::default(),
            },
        )];
        if !self.violations.is_empty() {
            let field_violations = self
                .violations
                .iter()
                .map(|v| pb::bad_request::FieldViolation {
                    field: v.field.clone(),
                    description: v.description.clone(),
                    reason: String::new(),
                })
                .collect();
            details.push(any(
                "google.rpc.BadRequest",
                &pb::BadRequest { field_violations },
            ));
        }
        if !self.preconditions.is_empty() {
            let violations = self
                .preconditions
                .iter()
                .map(|v| pb::precondition_failure::Violation {
                    r#type: v.kind.clone(),
                    subject: v.subject.clone(),
                    description: v.description.clone(),
                })
                .collect();
            details.push(any(
                "google.rpc.PreconditionFailure",
                &pb::PreconditionFailure { violations },
            ));
        }
        pb::Status {
            code: self.code as i32,
            message: self.message.clone(),
            details,
        }
    }

    /// gRPC: code, message and `grpc-status-details-bin` carrying the `google.rpc.Status` with its details.
    pub fn to_tonic(&self, family: Family) -> tonic::Status {
        let status = self.to_status_proto(family);
        tonic::Status::with_details(
            self.code.to_tonic(),
            self.message.clone(),
            status.encode_to_vec().into(),
        )
    }

    /// The error as the caller's protocol carries it: a gRPC status for a gRPC call, else the family's REST format.
    pub fn respond(&self, family: Family, grpc: bool, request_id: Option<&str>) -> Response {
        if grpc {
            self.to_tonic(family).into_http::<axum::body::Body>()
        } else {
            self.render(family, request_id)
        }
    }

    /// Renders the error as the family's REST wire format.
    pub fn render(&self, family: Family, request_id: Option<&str>) -> Response {
        json_response(self.http_status(), &self.body_json(family, request_id))
    }

    /// The family's REST error body.
    pub fn body_json(&self, family: Family, request_id: Option<&str>) -> Value {
        let status = self.http_status();
        match family {
            Family::Scp => json!({"errors": [{
                "code": self.reason(),
                "title": status.canonical_reason().unwrap_or("Error"),
                "detail": self.message,
            }]}),
            Family::Yandex => json!({
                "code": self.code as i32,
                "message": self.message,
                "details": [{
                    "@type": "type.googleapis.com/google.rpc.RequestInfo",
                    "requestId": request_id.unwrap_or_default(),
                }],
            }),
            Family::Channel | Family::CloudIdentity | Family::Mock => json!({"error": {
                "code": status.as_u16(),
                "message": self.message,
                "status": self.code.name(),
                "details": self.details_json(family),
            }}),
        }
    }
}

/// Packs a message as `google.protobuf.Any` with Google's type URL prefix.
pub fn any<M: Message>(full_name: &str, msg: &M) -> pbjson_types::Any {
    pbjson_types::Any {
        type_url: format!("type.googleapis.com/{full_name}"),
        value: msg.encode_to_vec().into(),
    }
}

/// A JSON response with Google's content type (`application/json; charset=UTF-8`), used by every family.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    json_bytes_response(status, serde_json::to_vec(body).unwrap_or_default())
}

/// A response whose body is JSON already serialized.
pub fn json_bytes_response(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut resp = (status, bytes).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_the_documented_http_status() {
        let table = [
            (Code::Cancelled, 499),
            (Code::Unknown, 500),
            (Code::InvalidArgument, 400),
            (Code::DeadlineExceeded, 504),
            (Code::NotFound, 404),
            (Code::AlreadyExists, 409),
            (Code::PermissionDenied, 403),
            (Code::ResourceExhausted, 429),
            (Code::FailedPrecondition, 400),
            (Code::Aborted, 409),
            (Code::OutOfRange, 400),
            (Code::Unimplemented, 501),
            (Code::Internal, 500),
            (Code::Unavailable, 503),
            (Code::DataLoss, 500),
            (Code::Unauthenticated, 401),
        ];
        for (code, status) in table {
            assert_eq!(code.http_status().as_u16(), status, "{code:?}");
        }
    }

    #[test]
    fn code_parse_accepts_names_in_any_case_and_numbers() {
        assert_eq!(Code::parse("NOT_FOUND"), Some(Code::NotFound));
        assert_eq!(Code::parse("already_exists"), Some(Code::AlreadyExists));
        assert_eq!(
            Code::parse("PermissionDenied"),
            Some(Code::PermissionDenied)
        );
        assert_eq!(Code::parse("14"), Some(Code::Unavailable));
        assert_eq!(Code::parse("nope"), None);
    }

    #[test]
    fn grpc_status_carries_error_info_and_bad_request() {
        let err =
            ApiError::invalid_field("domain", "must not be empty").with_reason("INVALID_DOMAIN");
        let st = err.to_tonic(Family::Channel);
        assert_eq!(st.code(), tonic::Code::InvalidArgument);
        let decoded = pb::Status::decode(st.details()).expect("details decode");
        assert_eq!(decoded.details.len(), 2);
        let info = pb::ErrorInfo::decode(decoded.details[0].value.as_ref()).expect("ErrorInfo");
        assert_eq!(info.reason, "INVALID_DOMAIN");
        assert_eq!(info.domain, "cloudchannel.googleapis.com");
        assert_eq!(
            decoded.details[1].type_url,
            "type.googleapis.com/google.rpc.BadRequest"
        );
    }
}
