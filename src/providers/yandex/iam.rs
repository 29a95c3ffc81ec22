//! IAM tokens: `IamTokenService.Create` exchanges an OAuth token or a service-account JWT for a `t1.` IAM token that
//! expires on provmock's clock; and the bearer check every other Yandex call makes in `--auth strict`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;

use crate::error::{ApiError, ApiResult};
use crate::proto::yandex::cloud::iam::v1 as pb;
use crate::providers::Ctx;
use crate::world::google::sha256_hex;
use crate::world::yandex::IssuedToken;

/// guess: IAM tokens live 12 hours, as Yandex documents for real ones.
const TOKEN_LIFETIME_HOURS: i64 = 12;

/// A Yandex request parsed outside the lock. Yandex answers an unauthorized caller before a malformed request, so
/// what parsing found wrong waits here until [`Checked::authorize`] has checked the caller (what the `TryFrom`
/// itself fails with is answered before, as it always was).
pub struct Checked<Q>(pub ApiResult<Q>);

impl<Q> Checked<Q> {
    /// The caller's subject (see [`authorize`]), then the request or what was wrong with it.
    pub fn authorize(self, ctx: &Ctx<'_>) -> ApiResult<(String, Q)> {
        let subject = authorize(ctx)?;
        Ok((subject, self.0?))
    }
}

/// In strict mode the caller needs a fixture or issued, unexpired token. Returns the subject (for `created_by`).
pub fn authorize(ctx: &Ctx<'_>) -> ApiResult<String> {
    let caller = ctx.caller;
    let subject = caller
        .bearer
        .as_deref()
        .and_then(|t| ctx.st.world.yandex.subject_of(t, ctx.now));
    if !ctx.strict() {
        return Ok(subject.unwrap_or_default());
    }
    match (&caller.bearer, subject) {
        (None, _) => Err(ApiError::unauthenticated(
            "missing `authorization: Bearer <IAM token>` (provmock runs with --auth strict)",
        )),
        (Some(_), None) => Err(ApiError::unauthenticated(
            "the IAM token is unknown or expired",
        )),
        (Some(_), Some(s)) => Ok(s),
    }
}

/// The `kid` of a JWT's header, without verifying anything.
fn jwt_key_id(jwt: &str) -> Option<String> {
    let header = jwt.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("kid").and_then(|k| k.as_str()).map(str::to_string)
}

/// A `CreateIamToken` whose identity is there and within its length.
pub enum NewToken {
    OAuth(String),
    Jwt(String),
}

impl TryFrom<pb::CreateIamTokenRequest> for NewToken {
    type Error = ApiError;
    fn try_from(req: pb::CreateIamTokenRequest) -> ApiResult<NewToken> {
        use pb::create_iam_token_request::Identity;
        let identity = req.identity.ok_or_else(|| {
            ApiError::invalid_field(
                "identity",
                "one of yandex_passport_oauth_token or jwt is required",
            )
        })?;
        match identity {
            Identity::YandexPassportOauthToken(t) => {
                if t.is_empty() || t.chars().count() > 4000 {
                    return Err(ApiError::invalid_field(
                        "yandex_passport_oauth_token",
                        "must be 1-4000 characters",
                    ));
                }
                Ok(NewToken::OAuth(t))
            }
            Identity::Jwt(jwt) => {
                if jwt.is_empty() || jwt.chars().count() > 8000 {
                    return Err(ApiError::invalid_field("jwt", "must be 1-8000 characters"));
                }
                Ok(NewToken::Jwt(jwt))
            }
        }
    }
}

pub fn create_token(ctx: &mut Ctx<'_>, req: NewToken) -> ApiResult<pb::CreateIamTokenResponse> {
    let strict = ctx.strict();
    let st = &mut *ctx.st;
    let subject = match req {
        NewToken::OAuth(t) => match st.world.yandex.oauth_subject(&t) {
            Some(s) => s,
            None if strict => {
                return Err(ApiError::unauthenticated(
                    "the OAuth token is not known to provmock's fixtures",
                ));
            }
            None => "oauth-user".to_string(),
        },
        NewToken::Jwt(jwt) => {
            let kid = jwt_key_id(&jwt);
            match kid
                .as_deref()
                .and_then(|k| st.world.yandex.service_account_keys.get(k))
            {
                Some(k) => k.service_account_id.clone(),
                None if strict => {
                    return Err(ApiError::unauthenticated(format!(
                        "the JWT names key id {:?}, which is not a service account key in provmock's fixtures",
                        kid.unwrap_or_default()
                    )));
                }
                None => "service-account".to_string(),
            }
        }
    };
    let token = format!("t1.{}", st.ids.mixed_alnum(96));
    let expires_at = ctx.now + Duration::hours(TOKEN_LIFETIME_HOURS);
    let hash = sha256_hex(&token);
    st.world.yandex.issued.insert(
        hash.clone(),
        IssuedToken {
            token_sha256: hash,
            subject,
            expires_at,
        },
    );
    Ok(pb::CreateIamTokenResponse {
        iam_token: token,
        expires_at: Some(expires_at.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_key_id_is_read_from_the_header() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"PS256","kid":"ajekey"}"#);
        assert_eq!(
            jwt_key_id(&format!("{header}.e30.sig")).as_deref(),
            Some("ajekey")
        );
        assert_eq!(jwt_key_id("not-a-jwt"), None);
    }
}
