//! The messages an operation keeps as its metadata or response, each declared once: its full proto name and its
//! prost type. Storing goes through the typed declaration (so a name cannot be paired with the wrong message), and
//! packing a stored message as a protobuf `Any` for gRPC looks its name up in the same list — the REST `@type`s
//! and the gRPC `type_url`s of both Google and Yandex operations come from here.

use std::marker::PhantomData;

use serde::Serialize;

use crate::error::any;
use crate::proto::google::cloud::channel::v1 as chpb;
use crate::proto::yandex::cloud::organizationmanager::v1::idp as ypb;
use crate::world::ops::AnyJson;

/// A message type operations store, by its full proto name.
pub struct Stored<M> {
    pub name: &'static str,
    message: PhantomData<fn() -> M>,
}

impl<M: Serialize> Stored<M> {
    const fn new(name: &'static str) -> Self {
        Stored {
            name,
            message: PhantomData,
        }
    }

    /// The message as stored: its proto3 JSON under this name.
    pub fn of(&self, msg: &M) -> AnyJson {
        AnyJson::of(self.name, msg)
    }
}

/// `google.protobuf.Empty`: stored as `{}`, packed as an empty `Any`.
pub const EMPTY: &str = "google.protobuf.Empty";

fn pack_as<M: prost::Message + serde::de::DeserializeOwned>(
    a: &AnyJson,
) -> Option<pbjson_types::Any> {
    let msg: M = serde_json::from_str(a.json()).ok()?;
    Some(any(&a.type_name, &msg))
}

macro_rules! stored {
    ($($(#[$doc:meta])* $konst:ident: $ty:ty = $name:literal;)*) => {
        $($(#[$doc])* pub const $konst: Stored<$ty> = Stored::new($name);)*

        /// Packs a stored message as a protobuf `Any`, by its type name (None for a name not declared here).
        pub fn pack(a: &AnyJson) -> Option<pbjson_types::Any> {
            match a.type_name.as_str() {
                $($name => pack_as::<$ty>(a),)*
                EMPTY => Some(any(EMPTY, &())),
                _ => None,
            }
        }

        /// Whether `name` is a message declared here (one [`pack`] knows).
        pub fn declared(name: &str) -> bool {
            matches!(name, $($name |)* EMPTY)
        }
    };
}

stored! {
    CHANNEL_OPERATION_METADATA: chpb::OperationMetadata = "google.cloud.channel.v1.OperationMetadata";
    CHANNEL_CUSTOMER: chpb::Customer = "google.cloud.channel.v1.Customer";
    CHANNEL_ENTITLEMENT: chpb::Entitlement = "google.cloud.channel.v1.Entitlement";
    CHANNEL_TRANSFER_ENTITLEMENTS: chpb::TransferEntitlementsResponse =
        "google.cloud.channel.v1.TransferEntitlementsResponse";
    YANDEX_USER: ypb::User = "yandex.cloud.organizationmanager.v1.idp.User";
    YANDEX_USERPOOL: ypb::Userpool = "yandex.cloud.organizationmanager.v1.idp.Userpool";
    YANDEX_CREATE_USER: ypb::CreateUserMetadata =
        "yandex.cloud.organizationmanager.v1.idp.CreateUserMetadata";
    YANDEX_UPDATE_USER: ypb::UpdateUserMetadata =
        "yandex.cloud.organizationmanager.v1.idp.UpdateUserMetadata";
    YANDEX_DELETE_USER: ypb::DeleteUserMetadata =
        "yandex.cloud.organizationmanager.v1.idp.DeleteUserMetadata";
    YANDEX_SUSPEND_USER: ypb::SuspendUserMetadata =
        "yandex.cloud.organizationmanager.v1.idp.SuspendUserMetadata";
    YANDEX_REACTIVATE_USER: ypb::ReactivateUserMetadata =
        "yandex.cloud.organizationmanager.v1.idp.ReactivateUserMetadata";
    YANDEX_CREATE_USERPOOL: ypb::CreateUserpoolMetadata =
        "yandex.cloud.organizationmanager.v1.idp.CreateUserpoolMetadata";
    YANDEX_DELETE_USERPOOL: ypb::DeleteUserpoolMetadata =
        "yandex.cloud.organizationmanager.v1.idp.DeleteUserpoolMetadata";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_messages_pack_under_their_name() {
        let a = YANDEX_CREATE_USER.of(&ypb::CreateUserMetadata {
            user_id: "aje1".into(),
        });
        let packed = pack(&a).expect("declared");
        assert_eq!(
            packed.type_url,
            "type.googleapis.com/yandex.cloud.organizationmanager.v1.idp.CreateUserMetadata"
        );
        assert_eq!(
            pack(&AnyJson::empty()).map(|p| p.type_url),
            Some("type.googleapis.com/google.protobuf.Empty".to_string())
        );
        assert!(
            pack(&AnyJson::new(
                "scp.AccountFactoryJob",
                serde_json::json!({})
            ))
            .is_none()
        );
    }
}
