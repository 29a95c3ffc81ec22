//! Endpoint discovery (`ApiEndpointService`): every id points back at provmock, on the TLS listener by default
//! (the Python SDK talks TLS only), or on the plain port when TLS is off.

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::proto::yandex::cloud::endpoint as pb;

/// The ids the SDKs look up (`iam`, `operation` and `organization-manager` are required by the Python SDK), plus
/// common ones so other SDK clients can be built too.
const IDS: &[&str] = &[
    "iam",
    "operation",
    "organization-manager",
    "endpoint",
    "resource-manager",
    "resourcemanager",
    "compute",
    "vpc",
    "kms",
    "lockbox",
    "logging",
    "monitoring",
    "serverless-functions",
    "serverless-apigateway",
    "container-registry",
    "managed-kubernetes",
    "ydb",
    "storage",
    "certificate-manager",
    "dns",
    "iot-devices",
    "dataproc",
    "marketplace",
];

/// Where every endpoint points: provmock's public host and the TLS port (the plain one when TLS is off). Read by
/// the adapters from the configuration and the listeners, not the world, so discovery takes no lock.
pub fn address(app: &App) -> String {
    let l = app.listening();
    let host = app
        .config
        .public_host
        .clone()
        .unwrap_or_else(|| "localhost".to_string());
    format!("{host}:{}", l.tls_port.unwrap_or(l.plain_port))
}

pub fn list(addr: &str) -> pb::ListApiEndpointsResponse {
    let endpoints = IDS
        .iter()
        .map(|id| pb::ApiEndpoint {
            id: id.to_string(),
            address: addr.to_string(),
        })
        .collect();
    pb::ListApiEndpointsResponse {
        endpoints,
        next_page_token: String::new(),
    }
}

pub fn get(addr: &str, id: &str) -> ApiResult<pb::ApiEndpoint> {
    if IDS.contains(&id) {
        Ok(pb::ApiEndpoint {
            id: id.to_string(),
            address: addr.to_string(),
        })
    } else {
        Err(ApiError::not_found(format!(
            "api endpoint `{id}` not found"
        )))
    }
}
