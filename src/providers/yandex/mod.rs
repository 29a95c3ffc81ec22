//! Yandex Cloud IdP: users and userpools, operations, endpoint discovery and IAM tokens, over gRPC and REST.

pub mod discovery;
pub mod iam;
pub mod rest;
pub mod routes;
pub mod service;
