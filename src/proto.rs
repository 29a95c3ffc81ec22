//! Generated protobuf types (prost), gRPC services (tonic) and their proto3 JSON mapping (pbjson), all from our own
//! minimal `.proto` files under `proto/`. Nothing here is hand-written but the module tree and `timestamp.rs`
//! (`google.protobuf.Timestamp` with Google's JSON form).
#![allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all)]

/// The encoded `FileDescriptorSet` of every proto we serve, for gRPC server reflection.
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptor.bin"));

mod timestamp;
pub use timestamp::Timestamp;

macro_rules! proto_module {
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file, ".rs"));
        include!(concat!(env!("OUT_DIR"), "/", $file, ".serde.rs"));
    };
}

pub mod google {
    pub mod r#type {
        proto_module!("google.r#type");
    }
    pub mod rpc {
        proto_module!("google.rpc");
    }
    pub mod longrunning {
        proto_module!("google.longrunning");
    }
    pub mod cloud {
        pub mod channel {
            pub mod v1 {
                proto_module!("google.cloud.channel.v1");
            }
        }
    }
}

pub mod yandex {
    pub mod cloud {
        pub mod access {
            proto_module!("yandex.cloud.access");
        }
        pub mod operation {
            proto_module!("yandex.cloud.operation");
        }
        pub mod endpoint {
            proto_module!("yandex.cloud.endpoint");
        }
        pub mod iam {
            pub mod v1 {
                proto_module!("yandex.cloud.iam.v1");
            }
        }
        pub mod organizationmanager {
            pub mod v1 {
                pub mod idp {
                    proto_module!("yandex.cloud.organizationmanager.v1.idp");
                }
            }
        }
    }
}
