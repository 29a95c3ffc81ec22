//! Google Cloud Channel: customers, import, provisionCloudIdentity, checkCloudIdentityAccountsExist, operations;
//! the catalog, entitlements and their transfers, and channel partner links.

pub mod catalog;
pub mod filter;
pub mod orders;
pub mod partner_links;
pub mod routes;
pub mod service;
