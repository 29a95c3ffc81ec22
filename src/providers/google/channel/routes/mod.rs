//! Cloud Channel's REST routes, declared once, a file per method group (as the service is split): each entry is
//! the method, the AIP-127 template (after the version, `v1` or `v1alpha1`), the RPC it stands for (also its gRPC
//! method, which fault rules and the journal name it by), whether it may change the world (reading an operation can
//! finish it, so those write), its REST handler — inline, over the helpers of [`bind`]; an RPC served on two paths
//! shares a named fn next to its entries — and the gRPC binding of its RPC (on the RPC's first route) over the same
//! service function. Adding an RPC is an entry in its group's file, its service function and its tests.
//!
//! The groups' paths do not overlap (no path is matched by two groups), so the order they are joined in changes no
//! lookup; inside a group, the entries of one path keep their order (a 405 lists its methods in that order).

use std::sync::LazyLock;

use crate::providers::Route;

pub mod bind;
mod catalog;
mod customers;
mod operations;
mod orders;
mod partner_links;

/// The table, joined once from the groups; looking a request up in it allocates nothing.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    [
        customers::ROUTES,
        operations::ROUTES,
        catalog::ROUTES,
        orders::ROUTES,
        partner_links::ROUTES,
    ]
    .concat()
});
