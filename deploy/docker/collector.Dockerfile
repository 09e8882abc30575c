# syntax=docker/dockerfile:1
# cloudradar-collector: MQTT broker (1883), HTTP API, /metrics, /healthz, /readyz (8080).
# Build from the repository root: docker build -f deploy/docker/collector.Dockerfile -t cloudradar-collector .
# Run read-only: docker run --read-only --tmpfs /tmp -v cloudradar-data:/data -p 1883:1883 -p 8080:8080 cloudradar-collector

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The registry and target caches survive between builds; the binary is copied
# out of the cache mount in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p cloudradar-collector \
    && install -D -m 0755 target/release/cloudradar-collector /out/cloudradar-collector

FROM debian:bookworm-slim
# ca-certificates: HTTPS to S3 for backups. curl: the HEALTHCHECK.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
# Fixed UID/GID 10001 so volume ownership and the pod securityContext agree.
RUN groupadd --system --gid 10001 cloudradar \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin cloudradar \
    && install -d -o 10001 -g 10001 -m 0750 /data
COPY --from=builder /out/cloudradar-collector /usr/local/bin/cloudradar-collector
# Everything the collector writes lives under /data (SQLite, state), so the
# root filesystem can be mounted read-only.
ENV CLOUDRADAR_DATA_DIR=/data \
    CLOUDRADAR_HTTP_LISTEN=0.0.0.0:8080 \
    CLOUDRADAR_MQTT_LISTEN=0.0.0.0:1883 \
    CLOUDRADAR_LOG_FORMAT=json
VOLUME ["/data"]
USER 10001:10001
EXPOSE 1883 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/cloudradar-collector"]
CMD ["serve"]
