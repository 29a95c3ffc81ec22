//! Cloud Channel's customer side, once, for REST and gRPC alike: each method takes a [`Ctx`](crate::providers::Ctx)
//! and its request parsed from the proto (`TryFrom`, at the edge; names are `providers::google::names`), and
//! returns the response proto or an `ApiError`. The files:
//! - `customers.rs`: list, get, create, patch and delete a customer;
//! - `cloud_identity.rs`: import (where import decides ALREADY_EXISTS), provisionCloudIdentity and
//!   checkCloudIdentityAccountsExist;
//! - `validate.rs`: what a customer's data must satisfy;
//! - `access.rs`: strict auth by reseller account, and whether a parent exists.
//!
//! A customer renders to its proto in `world::messages::customer_proto`, which finishing an operation uses too.

mod access;
mod cloud_identity;
mod customers;
mod validate;

pub use crate::providers::google::names::Parent;
pub(crate) use crate::providers::google::names::{account_of, parse_customer_name, valid_id};
pub use access::accounts_of_caller;
pub(crate) use access::{authorize, check_parent_exists};
pub use cloud_identity::{
    check_cloud_identity_accounts_exist, import_customer, provision_cloud_identity,
};
pub use customers::{
    create_customer, delete_customer, get_customer, list_customers, update_customer,
};
