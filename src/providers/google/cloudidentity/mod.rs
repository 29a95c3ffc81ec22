//! Google Cloud Identity: `customers.userinvitations` (get, list, isInvitableUser, send, cancel) over REST.

pub mod filter;
pub mod routes;
pub mod service;
