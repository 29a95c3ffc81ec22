//! Google Cloud Channel: customers, import, provisionCloudIdentity, checkCloudIdentityAccountsExist, operations.

pub mod filter;
pub mod grpc;
pub mod rest;
pub mod service;
