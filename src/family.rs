//! The API families provmock serves, and how a request path tells which one it is for (errors for unknown routes,
//! oversized bodies and faults come out in the family's own format). For REST this is the cheap first pick: the
//! request is then matched against that family's route table (`providers/<family>/routes.rs`, Channel's `routes/`),
//! and `tests/api/routes.rs` checks every route's path picks its own family.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Google Cloud Channel (`cloudchannel.googleapis.com`).
    Channel,
    /// Google Cloud Identity user invitations (`cloudidentity.googleapis.com`).
    #[serde(rename = "cloudidentity")]
    CloudIdentity,
    /// Samsung Cloud Platform Cloud Control and Organization.
    Scp,
    /// Yandex Cloud IdP, operations, discovery and IAM.
    Yandex,
    /// provmock's own `/_mock/` control plane.
    Mock,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Channel,
        Family::CloudIdentity,
        Family::Scp,
        Family::Yandex,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Channel => "channel",
            Family::CloudIdentity => "cloudidentity",
            Family::Scp => "scp",
            Family::Yandex => "yandex",
            Family::Mock => "mock",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL
            .into_iter()
            .chain([Family::Mock])
            .find(|f| f.name().eq_ignore_ascii_case(s.trim()))
    }

    /// `ErrorInfo.domain` for errors of this family.
    pub fn error_domain(self) -> &'static str {
        match self {
            Family::Channel => "cloudchannel.googleapis.com",
            Family::CloudIdentity => "cloudidentity.googleapis.com",
            Family::Scp => "scp.samsungsdscloud.com",
            Family::Yandex => "api.cloud.yandex.net",
            Family::Mock => "provmock",
        }
    }

    /// The family a REST path belongs to. Paths nobody serves count as Channel's (Google's envelope is the most
    /// widely understood error format).
    pub fn of_path(path: &str) -> Family {
        let mut segs = path.trim_start_matches('/').split('/');
        let first = segs.next().unwrap_or("");
        let second = segs.next();
        match first {
            "_mock" => Family::Mock,
            "organization-manager" | "operations" | "endpoints" | "iam" => Family::Yandex,
            "" => Family::Scp,
            "v1" | "v1alpha1" | "v1beta1" => match second {
                Some("customers") => Family::CloudIdentity,
                Some("organization-accounts") => Family::Scp,
                // `/v1/accounts` and its custom-verb forms (`/v1/accounts:foo`) are SCP's account factory; Channel's
                // paths always go deeper (`/v1/accounts/{a}/…`).
                Some(s)
                    if (s == "accounts" || s.starts_with("accounts:")) && segs.next().is_none() =>
                {
                    Family::Scp
                }
                Some(s) if s.starts_with("customers") => Family::CloudIdentity,
                _ => Family::Channel,
            },
            _ => Family::Channel,
        }
    }

    /// The family of a request: by its gRPC method path, or its REST path.
    pub fn of_request(path: &str, grpc: bool) -> Family {
        if grpc {
            Family::of_grpc_path(path)
        } else {
            Family::of_path(path)
        }
    }

    /// The family of a gRPC method path (`/package.Service/Method`).
    pub fn of_grpc_path(path: &str) -> Family {
        if path.starts_with("/yandex.") {
            Family::Yandex
        } else {
            Family::Channel
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_their_family() {
        assert_eq!(
            Family::of_path("/v1/accounts/A1/customers"),
            Family::Channel
        );
        assert_eq!(Family::of_path("/v1/accounts"), Family::Scp);
        assert_eq!(Family::of_path("/v1/accounts:foo"), Family::Scp);
        assert_eq!(
            Family::of_path("/v1/accounts/A1:checkCloudIdentityAccountsExist"),
            Family::Channel
        );
        assert_eq!(Family::of_path("/v1/organization-accounts/x"), Family::Scp);
        assert_eq!(
            Family::of_path("/v1/customers/C0/userinvitations"),
            Family::CloudIdentity
        );
        assert_eq!(Family::of_path("/v1alpha1/operations/x"), Family::Channel);
        assert_eq!(Family::of_path("/operations/abc"), Family::Yandex);
        assert_eq!(Family::of_path("/_mock/health"), Family::Mock);
        assert_eq!(Family::of_path("/"), Family::Scp);
    }
}
