//! Compiles bench/baseline/proto (our own minimal shapes) with protox, so no `protoc` is needed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(["proto/channel.proto", "proto/idp.proto"], ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(false)
        .build_transport(false)
        .compile_fds(fds)?;
    Ok(())
}
