//! Samsung Cloud Platform: Cloud Control's account factory (`POST /v1/accounts`) with HMAC signatures and API
//! versions, and the Organization account reads clients poll until an account is ACTIVE.

pub mod accounts;
pub mod auth;
pub mod routes;
pub mod service;
pub mod signature;
pub mod versions;
