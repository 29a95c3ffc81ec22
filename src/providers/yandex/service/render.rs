//! Rendering a Yandex operation from its record: the REST JSON (`operation_json`) and the gRPC proto
//! (`operation_proto`); and the empty response of deletes and status changes.

use serde_json::json;

use crate::proto::google::rpc as rpcpb;
use crate::proto::yandex::cloud::operation as oppb;
use crate::providers::google::proto_json;
use crate::world::messages::ts;
use crate::world::ops::{AnyJson, Operation};
use crate::world::stored;

pub(super) fn empty() -> AnyJson {
    AnyJson::empty()
}

/// The REST JSON of a Yandex operation: the proto3 JSON of `operation.Operation`, with its `Any` fields inlined
/// under `@type` as Yandex's REST gateway writes them — rendered straight from the record (packing the messages as
/// protobuf only to unpack them again cost a create a tenth of its time).
pub fn operation_json(op: &Operation) -> serde_json::Value {
    use serde_json::{Map, Value};
    let inline = |a: &AnyJson| {
        let mut v = Map::new();
        v.insert(
            "@type".into(),
            format!("type.googleapis.com/{}", a.type_name).into(),
        );
        v.extend(a.fields());
        Value::Object(v)
    };
    let mut o = Map::new();
    // proto3 JSON leaves out empty strings.
    for (key, text) in [
        ("id", &op.name),
        ("description", &op.description),
        ("createdBy", &op.created_by),
    ] {
        if !text.is_empty() {
            o.insert(key.into(), text.as_str().into());
        }
    }
    o.insert("createdAt".into(), proto_json(&ts(op.created_at)));
    o.insert("modifiedAt".into(), proto_json(&ts(op.modified_at)));
    // guess: Yandex's REST gateway always shows `done`, also when false (proto3 JSON would omit it).
    o.insert("done".into(), op.done.into());
    if let Some(m) = op
        .metadata
        .as_ref()
        .filter(|m| stored::declared(&m.type_name))
    {
        o.insert("metadata".into(), inline(m));
    }
    if op.done {
        if let Some(e) = &op.error {
            let err = e.to_api_error();
            o.insert(
                "error".into(),
                json!({"code": err.code as i32, "message": err.message, "details": []}),
            );
        } else {
            let response = match &op.response {
                Some(r) => inline(r),
                None => proto_json(&crate::error::any(stored::EMPTY, &())),
            };
            o.insert("response".into(), response);
        }
    }
    Value::Object(o)
}

pub fn operation_proto(op: &Operation) -> oppb::Operation {
    let result = if !op.done {
        None
    } else if let Some(e) = &op.error {
        let err = e.to_api_error();
        Some(oppb::operation::Result::Error(rpcpb::Status {
            code: err.code as i32,
            message: err.message,
            details: vec![],
        }))
    } else {
        Some(oppb::operation::Result::Response(
            op.response
                .as_ref()
                .and_then(stored::pack)
                .unwrap_or_else(|| crate::error::any(stored::EMPTY, &())),
        ))
    };
    oppb::Operation {
        id: op.name.clone(),
        description: op.description.clone(),
        created_at: Some(ts(op.created_at)),
        created_by: op.created_by.clone(),
        modified_at: Some(ts(op.modified_at)),
        done: op.done,
        metadata: op.metadata.as_ref().and_then(stored::pack),
        result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::family::Family;
    use crate::proto::yandex::cloud::organizationmanager::v1::idp as pb;
    use crate::providers::yandex::service::users::CREATE_USER_KIND;
    use crate::world::messages::user_proto;
    use crate::world::yandex::{User, UserProfile, UserStatus};
    use chrono::{TimeZone, Utc};

    /// The rendering `operation_json` replaced: the operation as a proto, as pbjson writes it, with its `Any`s
    /// inlined afterwards — the reference the direct rendering must agree with.
    fn through_the_proto(op: &Operation) -> serde_json::Value {
        let mut o = proto_json(&operation_proto(op))
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (key, stored) in [("metadata", &op.metadata), ("response", &op.response)] {
            if o.contains_key(key)
                && let Some(a) = stored
            {
                let mut v = serde_json::Map::new();
                v.insert(
                    "@type".into(),
                    format!("type.googleapis.com/{}", a.type_name).into(),
                );
                v.extend(a.fields());
                o.insert(key.into(), serde_json::Value::Object(v));
            }
        }
        o.insert("done".into(), op.done.into());
        if let (Some(e), true) = (&op.error, o.contains_key("error")) {
            let err = e.to_api_error();
            o.insert(
                "error".into(),
                json!({"code": err.code as i32, "message": err.message, "details": []}),
            );
        }
        serde_json::Value::Object(o)
    }

    #[test]
    fn operations_render_as_through_their_proto() {
        let now = Utc
            .timestamp_opt(1_700_000_000, 123_000_000)
            .single()
            .expect("time");
        let user = User {
            id: "aje00000000000000001".into(),
            userpool_id: "ek0provmockpool00001".into(),
            status: UserStatus::Active,
            profile: UserProfile {
                username: "ivan@provmock.idp.yandexcloud.net".into(),
                full_name: "Ivan Petrov".into(),
                ..Default::default()
            },
            created_at: now,
            updated_at: now,
            password_created_at: Some(now),
            start_suspended: false,
        };
        let mut pending = Operation::new(
            "idp00000000000000001".into(),
            Family::Yandex,
            CREATE_USER_KIND,
            now,
        );
        pending.description = "Create user".into();
        pending.metadata = Some(stored::YANDEX_CREATE_USER.of(&pb::CreateUserMetadata {
            user_id: user.id.clone(),
        }));
        let mut done = pending.clone();
        done.done = true;
        done.created_by = "ajeprincipal".into();
        done.response = Some(stored::YANDEX_USER.of(&user_proto(&user)));
        let mut failed = pending.clone();
        failed.done = true;
        failed.error = Some((&ApiError::not_found("no such user")).into());
        let mut bare = Operation::new(
            "idp00000000000000002".into(),
            Family::Yandex,
            "yandex.deleteUser",
            now,
        );
        bare.done = true;
        let mut emptied = bare.clone();
        emptied.response = Some(AnyJson::empty());
        for op in [pending, done, failed, bare, emptied] {
            assert_eq!(operation_json(&op), through_the_proto(&op), "{op:?}");
        }
    }
}
