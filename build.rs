//! Compiles our own minimal `.proto` files (under `proto/`) with protox, so no `protoc` binary is needed, then
//! generates prost messages, tonic clients and pbjson serde impls (the proto3 JSON mapping) from one descriptor set.
//! The descriptor set is also embedded for gRPC server reflection.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let mut protos = Vec::new();
    collect(PathBuf::from("proto"), &mut protos)?;
    protos.sort();
    println!("cargo:rerun-if-changed=proto");

    let fds = protox::compile(&protos, ["proto"])?;
    let bytes = prost::Message::encode_to_vec(&fds);
    fs::write(out.join("descriptor.bin"), &bytes)?;

    // No server traits: provmock serves its RPCs from the route tables (`providers::binding`), and answers the
    // ones it declares (for reflection) but does not serve with UNIMPLEMENTED from the router.
    tonic_prost_build::configure()
        .build_server(false)
        .build_client(true)
        .build_transport(false)
        .compile_well_known_types(true)
        // Our own Timestamp (Google's JSON form); the longest extern path wins in prost and pbjson alike.
        .extern_path(".google.protobuf.Timestamp", "crate::proto::Timestamp")
        .extern_path(".google.protobuf", "::pbjson_types")
        .compile_fds(fds)?;

    pbjson_build::Builder::new()
        .register_descriptors(&bytes)?
        .extern_path(".google.protobuf.Timestamp", "crate::proto::Timestamp")
        .extern_path(".google.protobuf", "::pbjson_types")
        .build(&[".google", ".yandex"])?;
    Ok(())
}

fn collect(dir: PathBuf, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
