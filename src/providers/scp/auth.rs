//! What SCP checks before it reads a request: the `Scp-API-Version` header and, in `--auth strict`, the HMAC
//! signature of the call. [`Signed`] carries both, parsed outside the lock, beside the request itself.

use std::time::Duration;

use super::signature::{self, SignedRequest};
use super::versions;
use crate::error::{ApiError, ApiResult};
use crate::providers::Ctx;

/// The authentication headers of a call (names matched case-insensitively by the adapter).
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub access_key: Option<String>,
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub client_type: Option<String>,
    pub account_id: Option<String>,
    /// The URL the client signed, rebuilt from scheme, Host, path and raw query.
    pub url: String,
    pub method: String,
    /// `--scp-skew`: how far `Scp-Timestamp` may be from provmock's clock.
    pub skew: Duration,
}

/// An SCP request parsed outside the lock, with what SCP checks first: the API version, then the signature. What
/// parsing the request found wrong (`req`) is answered only after both, as SCP always did.
pub struct Signed<Q> {
    pub api_version: Option<String>,
    pub credentials: Credentials,
    pub req: ApiResult<Q>,
}

/// A [`Signed`] request that passed: the version's `Warning` (for a deprecated one), who signed, the request.
pub struct Checked<Q> {
    pub warning: Option<String>,
    pub signer: Option<String>,
    pub req: Q,
}

impl<Q> Signed<Q> {
    /// Negotiates the version of `service` on the request's "now", authenticates, then gives the request.
    pub fn check(self, ctx: &Ctx<'_>, service: &'static str) -> ApiResult<Checked<Q>> {
        let negotiated = versions::negotiate(self.api_version.as_deref(), service, ctx.now)?;
        let signer = authenticate(ctx, &self.credentials)?;
        Ok(Checked {
            warning: negotiated.warning,
            signer,
            req: self.req?,
        })
    }
}

/// A body with the `Warning` header its API version asks for.
pub struct Versioned<T> {
    pub body: T,
    pub warning: Option<String>,
}

fn need(v: &Option<String>, name: &str) -> ApiResult<String> {
    v.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
        ApiError::unauthenticated(format!(
            "missing `{name}` header (provmock runs with --auth strict)"
        ))
        .with_reason("MISSING_AUTH_HEADER")
    })
}

/// Checks the HMAC signature in `--auth strict`; returns who signed (the access key's owner), if known.
pub fn authenticate(ctx: &Ctx<'_>, c: &Credentials) -> ApiResult<Option<String>> {
    let keys = &ctx.st.world.scp.access_keys;
    let owner = c
        .access_key
        .as_deref()
        .and_then(|k| keys.get(k))
        .map(|k| k.owner.clone());
    // A replayed request was verified when it first ran; its signature is not kept.
    if !ctx.strict() {
        return Ok(owner);
    }
    let access_key = need(&c.access_key, "Scp-AccessKey")?;
    let presented = need(&c.signature, "Scp-Signature")?;
    let timestamp = need(&c.timestamp, "Scp-Timestamp")?;
    let key = keys.get(&access_key).ok_or_else(|| {
        ApiError::unauthenticated(format!("unknown access key `{access_key}`"))
            .with_reason("UNKNOWN_ACCESS_KEY")
    })?;
    let secret = key.secret_key.as_deref().ok_or_else(|| {
        ApiError::unauthenticated(format!("access key `{access_key}` has no secret loaded"))
            .with_reason("UNKNOWN_ACCESS_KEY")
    })?;
    let millis: i64 = timestamp.trim().parse().map_err(|_| {
        ApiError::unauthenticated(format!(
            "Scp-Timestamp `{timestamp}` is not epoch milliseconds"
        ))
        .with_reason("INVALID_TIMESTAMP")
    })?;
    let now = ctx.now.timestamp_millis();
    let skew = c.skew.as_millis() as i64;
    if (now - millis).abs() > skew {
        return Err(ApiError::unauthenticated(format!(
            "Scp-Timestamp {millis} is {} s away from provmock's clock ({now}); the window is ±{} s",
            (now - millis).abs() / 1000,
            skew / 1000
        ))
        .with_reason("TIMESTAMP_OUT_OF_WINDOW"));
    }
    let r = SignedRequest {
        method: &c.method,
        url: &c.url,
        timestamp: &timestamp,
        access_key: &access_key,
        account_id: c.account_id.as_deref().unwrap_or(""),
        client_type: c.client_type.as_deref().unwrap_or("Openapi"),
    };
    if !signature::verify(secret, &r, &presented) {
        return Err(ApiError::unauthenticated(format!(
            "signature mismatch for access key `{access_key}`: the string signed was METHOD+URL+timestamp+access key+account id+client type with URL `{}`",
            c.url
        ))
        .with_reason("SIGNATURE_MISMATCH"));
    }
    Ok(Some(key.owner.clone()))
}
