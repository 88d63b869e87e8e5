# Build: everything C (SQLite, libpq, OpenSSL) is compiled from bundled sources, so
# the runtime image needs no database client libraries.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/smp-aftercare

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app --create-home smp
WORKDIR /app
COPY --from=build /src/target/release/smp-aftercare /usr/local/bin/smp-aftercare
COPY config ./config
RUN mkdir -p /app/data && chown smp:smp /app/data
USER smp
ENV SMP__SERVER__HOST=0.0.0.0
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["smp-aftercare"]
CMD ["serve"]
