# provmock: multi-stage build, small non-root runtime image.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
COPY fixtures ./fixtures
COPY src ./src
RUN cargo build --release --locked && strip target/release/provmock

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --no-create-home provmock
COPY --from=build /src/target/release/provmock /usr/local/bin/provmock
USER provmock
ENV PROVMOCK_HOST=0.0.0.0 \
    PROVMOCK_PORT=8080 \
    PROVMOCK_TLS_PORT=8443
EXPOSE 8080 8443
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["provmock", "healthcheck"]
ENTRYPOINT ["provmock"]
CMD ["--host", "0.0.0.0"]
