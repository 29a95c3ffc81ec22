//! One test binary for provmock's behaviour over real sockets: `helpers` starts an in-process server on port 0,
//! each other module is one feature.

mod channel_errors;
mod channel_grpc;
mod channel_orders;
mod channel_rest;
mod cloudidentity;
mod control;
mod data_dir;
mod durability;
mod hardening;
mod helpers;
mod process;
mod roundtrip;
mod routes;
mod scp;
mod steering;
mod tls;
mod ui;
mod yandex;
