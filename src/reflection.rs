//! gRPC server reflection (v1 and v1alpha) over our descriptor set, answering each request on the open stream.
//!
//! Why our own and not tonic-reflection's server: that one ends the whole stream with a NOT_FOUND status when a
//! client asks for a symbol it does not know, where the reflection protocol answers an `ErrorResponse` message and
//! keeps the stream usable (grpcurl and grpcio-reflection's descriptor database rely on it). tonic-reflection's
//! generated message types and service traits are still what we serve.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::pin::Pin;
use std::sync::OnceLock;

use futures_util::Stream;
use prost::Message;
use prost_types::{DescriptorProto, FileDescriptorProto, FileDescriptorSet};

/// What a reflection request asks for, whatever the protocol version.
enum Ask {
    FileByFilename(String),
    FileContainingSymbol(String),
    FileContainingExtension(String, i32),
    AllExtensionNumbersOfType(String),
    ListServices,
}

/// The answer, whatever the protocol version.
enum Answer {
    Files(Vec<Vec<u8>>),
    ExtensionNumbers(String),
    Services(Vec<String>),
    Error(tonic::Code, String),
}

/// Every file we describe, the symbols each defines and what each imports.
struct Index {
    /// File name → (encoded `FileDescriptorProto`, its dependencies).
    files: BTreeMap<String, (Vec<u8>, Vec<String>)>,
    /// Fully qualified symbol (message, enum, service, method, field of a message) → file name.
    symbols: HashMap<String, String>,
    /// Fully qualified message names (the base types extension requests may name).
    messages: BTreeSet<String>,
    services: Vec<String>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut idx = Index {
            files: BTreeMap::new(),
            symbols: HashMap::new(),
            messages: BTreeSet::new(),
            services: Vec::new(),
        };
        for set in [
            crate::proto::DESCRIPTOR_SET,
            tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
            tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
        ] {
            let Ok(fds) = FileDescriptorSet::decode(set) else {
                continue;
            };
            for file in fds.file {
                idx.add(file);
            }
        }
        idx
    })
}

impl Index {
    fn add(&mut self, file: FileDescriptorProto) {
        let name = file.name().to_string();
        if self.files.contains_key(&name) {
            return;
        }
        let pkg = file.package().to_string();
        let prefix = if pkg.is_empty() {
            String::new()
        } else {
            format!("{pkg}.")
        };
        for m in &file.message_type {
            self.add_message(&prefix, m, &name);
        }
        for e in &file.enum_type {
            self.symbols
                .insert(format!("{prefix}{}", e.name()), name.clone());
        }
        for s in &file.service {
            let full = format!("{prefix}{}", s.name());
            for m in &s.method {
                self.symbols
                    .insert(format!("{full}.{}", m.name()), name.clone());
            }
            self.symbols.insert(full.clone(), name.clone());
            self.services.push(full);
        }
        let deps = file.dependency.clone();
        self.files.insert(name, (file.encode_to_vec(), deps));
    }

    fn add_message(&mut self, prefix: &str, m: &DescriptorProto, file: &str) {
        let full = format!("{prefix}{}", m.name());
        for f in &m.field {
            self.symbols
                .insert(format!("{full}.{}", f.name()), file.to_string());
        }
        for e in &m.enum_type {
            self.symbols
                .insert(format!("{full}.{}", e.name()), file.to_string());
        }
        let nested = format!("{full}.");
        for n in &m.nested_type {
            self.add_message(&nested, n, file);
        }
        self.messages.insert(full.clone());
        self.symbols.insert(full, file.to_string());
    }

    /// `file` and everything it imports, transitively, the file itself first.
    fn with_dependencies(&self, file: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut todo = vec![file.to_string()];
        while let Some(f) = todo.pop() {
            if !seen.insert(f.clone()) {
                continue;
            }
            if let Some((bytes, deps)) = self.files.get(&f) {
                out.push(bytes.clone());
                todo.extend(deps.iter().rev().cloned());
            }
        }
        out
    }

    fn answer(&self, ask: Ask) -> Answer {
        match ask {
            Ask::ListServices => Answer::Services(self.services.clone()),
            Ask::FileByFilename(f) if self.files.contains_key(&f) => {
                Answer::Files(self.with_dependencies(&f))
            }
            Ask::FileByFilename(f) => {
                Answer::Error(tonic::Code::NotFound, format!("file `{f}` not found"))
            }
            Ask::FileContainingSymbol(s) => {
                let symbol = s.trim_start_matches('.');
                match self.symbols.get(symbol) {
                    Some(file) => Answer::Files(self.with_dependencies(file)),
                    None => Answer::Error(tonic::Code::NotFound, format!("symbol `{s}` not found")),
                }
            }
            // Our protos declare no extensions.
            Ask::FileContainingExtension(t, n) => Answer::Error(
                tonic::Code::NotFound,
                format!("extension {n} of `{t}` not found"),
            ),
            Ask::AllExtensionNumbersOfType(t)
                if self.messages.contains(t.trim_start_matches('.')) =>
            {
                Answer::ExtensionNumbers(t)
            }
            Ask::AllExtensionNumbersOfType(t) => {
                Answer::Error(tonic::Code::NotFound, format!("type `{t}` not found"))
            }
        }
    }
}

type Responses<R> = Pin<Box<dyn Stream<Item = Result<R, tonic::Status>> + Send>>;

/// The same service for both protocol versions, whose generated types are alike but distinct.
macro_rules! reflection_version {
    ($module:ident, $name:ident, $($pb:ident)::+) => {
        pub mod $module {
            use super::{Answer, Ask, Responses, index};
            use futures_util::StreamExt;
            use $($pb)::+ as pb;
            use pb::server_reflection_request::MessageRequest as Q;
            use pb::server_reflection_response::MessageResponse as A;

            /// Server reflection over our descriptors, for this protocol version.
            #[derive(Clone, Copy, Default)]
            pub struct $name;

            fn respond(req: pb::ServerReflectionRequest) -> pb::ServerReflectionResponse {
                let ask = match req.message_request.clone() {
                    Some(Q::FileByFilename(f)) => Some(Ask::FileByFilename(f)),
                    Some(Q::FileContainingSymbol(s)) => Some(Ask::FileContainingSymbol(s)),
                    Some(Q::FileContainingExtension(e)) => {
                        Some(Ask::FileContainingExtension(e.containing_type, e.extension_number))
                    }
                    Some(Q::AllExtensionNumbersOfType(t)) => Some(Ask::AllExtensionNumbersOfType(t)),
                    Some(Q::ListServices(_)) => Some(Ask::ListServices),
                    None => None,
                };
                let answer = match ask {
                    Some(ask) => index().answer(ask),
                    None => Answer::Error(
                        tonic::Code::InvalidArgument,
                        "the request names nothing to look up".into(),
                    ),
                };
                let message = match answer {
                    Answer::Files(file_descriptor_proto) => {
                        A::FileDescriptorResponse(pb::FileDescriptorResponse { file_descriptor_proto })
                    }
                    Answer::ExtensionNumbers(base_type_name) => {
                        A::AllExtensionNumbersResponse(pb::ExtensionNumberResponse {
                            base_type_name,
                            extension_number: Vec::new(),
                        })
                    }
                    Answer::Services(names) => A::ListServicesResponse(pb::ListServiceResponse {
                        service: names
                            .into_iter()
                            .map(|name| pb::ServiceResponse { name })
                            .collect(),
                    }),
                    Answer::Error(code, error_message) => A::ErrorResponse(pb::ErrorResponse {
                        error_code: code as i32,
                        error_message,
                    }),
                };
                pb::ServerReflectionResponse {
                    valid_host: req.host.clone(),
                    original_request: Some(req),
                    message_response: Some(message),
                }
            }

            #[tonic::async_trait]
            impl pb::server_reflection_server::ServerReflection for $name {
                type ServerReflectionInfoStream = Responses<pb::ServerReflectionResponse>;

                async fn server_reflection_info(
                    &self,
                    request: tonic::Request<tonic::Streaming<pb::ServerReflectionRequest>>,
                ) -> Result<tonic::Response<Self::ServerReflectionInfoStream>, tonic::Status> {
                    let answers = request.into_inner().map(|req| req.map(respond));
                    Ok(tonic::Response::new(Box::pin(answers)))
                }
            }

            /// The tonic service to route.
            pub fn server() -> pb::server_reflection_server::ServerReflectionServer<$name> {
                pb::server_reflection_server::ServerReflectionServer::new($name)
            }
        }
    };
}

reflection_version!(v1, ReflectionV1, tonic_reflection::pb::v1);
reflection_version!(v1alpha, ReflectionV1alpha, tonic_reflection::pb::v1alpha);

pub use v1::server as server_v1;
pub use v1alpha::server as server_v1alpha;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_resolve_to_their_file_with_its_imports() {
        let idx = index();
        let Answer::Files(files) = idx.answer(Ask::FileContainingSymbol(
            "google.cloud.channel.v1.CloudChannelService".into(),
        )) else {
            panic!("the Channel service is described");
        };
        let names: Vec<String> = files
            .iter()
            .filter_map(|b| FileDescriptorProto::decode(b.as_slice()).ok())
            .map(|f| f.name().to_string())
            .collect();
        assert_eq!(names[0], "google/cloud/channel/v1/channel.proto");
        assert!(
            names
                .iter()
                .any(|n| n == "google/longrunning/operations.proto"),
            "{names:?}"
        );
        for symbol in [
            "google.cloud.channel.v1.Customer",
            "google.cloud.channel.v1.CloudChannelService.ImportCustomer",
            "yandex.cloud.organizationmanager.v1.idp.UserService",
            "grpc.reflection.v1.ServerReflection",
        ] {
            assert!(
                matches!(
                    idx.answer(Ask::FileContainingSymbol(symbol.into())),
                    Answer::Files(_)
                ),
                "{symbol}"
            );
        }
    }

    #[test]
    fn unknown_names_are_error_answers_not_stream_failures() {
        let idx = index();
        for ask in [
            Ask::FileContainingSymbol("no.such.Service".into()),
            Ask::FileByFilename("nope.proto".into()),
            Ask::FileContainingExtension("google.cloud.channel.v1.Customer".into(), 1000),
            Ask::AllExtensionNumbersOfType("no.such.Message".into()),
        ] {
            assert!(matches!(
                idx.answer(ask),
                Answer::Error(tonic::Code::NotFound, _)
            ));
        }
        let Answer::Services(services) = idx.answer(Ask::ListServices) else {
            panic!("services listed");
        };
        assert!(
            services
                .iter()
                .any(|s| s == "google.cloud.channel.v1.CloudChannelService")
        );
    }
}
