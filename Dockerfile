# provmock: multi-stage build. The runtime image holds the stripped binary, the shared libraries it links against
# (from Debian's libc6 and libgcc-s1, with their copyright files) and a passwd entry for the non-root user; no shell,
# no package manager.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY proto ./proto
COPY fixtures ./fixtures
COPY src ./src
# The dist profile (Cargo.toml): full LTO, the smallest code and idle RSS. CI builds with PROFILE=release to save
# minutes of serial LTO; the image is assembled the same way.
ARG PROFILE=dist
RUN cargo build --profile "$PROFILE" --locked && strip "target/$PROFILE/provmock" && cp "target/$PROFILE/provmock" /provmock

# The runtime's root file system, assembled under /out: exactly the libraries `ldd` names.
FROM debian:bookworm-slim AS rootfs
COPY --from=build /provmock /out/usr/local/bin/provmock
RUN set -eu; \
    bin=/out/usr/local/bin/provmock; \
    if ldd "$bin" | grep -q 'not found'; then ldd "$bin"; exit 1; fi; \
    libs=$(ldd "$bin" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }'); \
    for lib in $libs; do cp --parents -L "$lib" /out/; done; \
    for pkg in $(dpkg -S $libs | cut -d: -f1 | sort -u); do \
      mkdir -p "/out/usr/share/doc/$pkg"; cp "/usr/share/doc/$pkg/copyright" "/out/usr/share/doc/$pkg/"; \
    done; \
    mkdir -p /out/etc; mkdir -m 1777 /out/tmp; \
    echo 'provmock:x:10001:10001:provmock:/nonexistent:/usr/sbin/nologin' > /out/etc/passwd; \
    echo 'provmock:x:10001:' > /out/etc/group; \
    chroot /out /usr/local/bin/provmock --version

FROM scratch
COPY --from=rootfs /out/ /
USER 10001:10001
ENV PATH=/usr/local/bin \
    PROVMOCK_HOST=0.0.0.0 \
    PROVMOCK_PORT=8080 \
    PROVMOCK_TLS_PORT=8443
EXPOSE 8080 8443
# Asks PROVMOCK_HOST:PROVMOCK_PORT: change the port with PROVMOCK_PORT (not a --port argument) so that it follows.
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["/usr/local/bin/provmock", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/provmock"]
