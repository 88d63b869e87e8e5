# The service's image, used by the trial stack (docker-compose.yml). Everything C
# (SQLite, libpq, OpenSSL) is compiled from bundled sources, so the runtime image
# needs no database client libraries.
#
# Dependencies are compiled in a layer of their own (cargo-chef): it is rebuilt only
# when Cargo.toml, Cargo.lock or .cargo/config.toml change, not on every source edit.
# The Rust image matches Cargo.toml's rust-version; .dockerignore keeps target/ and
# data/ (client data, the VAPID key) out of the build context.

FROM rust:1.88-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.67
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
# The bundled SQLite's compile-time options (LIBSQLITE3_FLAGS) live here: the cached
# dependencies must be built with them.
COPY .cargo ./.cargo
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin smp-aftercare \
 && strip target/release/smp-aftercare

FROM debian:12.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app --create-home smp
WORKDIR /app
COPY --from=build /src/target/release/smp-aftercare /usr/local/bin/smp-aftercare
COPY config ./config
RUN mkdir -p /app/data && chown smp:smp /app/data
USER smp
# config/ and data/ are read relative to the working directory, /app.
ENV SMP__SERVER__HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["smp-aftercare"]
CMD ["serve"]
