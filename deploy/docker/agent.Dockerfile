# syntax=docker/dockerfile:1
# cloudradar-agent for container hosts; /metrics and /healthz on 9273.
# Build from the repository root: docker build -f deploy/docker/agent.Dockerfile -t cloudradar-agent .
# Run: docker run -v agent-data:/data -e CLOUDRADAR_MQTT_URL=mqtt://collector:1883 \
#        -e CLOUDRADAR_INPUTS=tcp:readsb:30005:beast cloudradar-agent
# A serial receiver needs --device /dev/ttyUSB0 and --group-add dialout.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p cloudradar-agent \
    && install -D -m 0755 target/release/cloudradar-agent /out/cloudradar-agent

FROM debian:bookworm-slim
# curl: the HEALTHCHECK.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
# Fixed UID/GID 10001 so volume ownership matches across hosts.
RUN groupadd --system --gid 10001 cloudradar \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin cloudradar \
    && install -d -o 10001 -g 10001 -m 0750 /data
COPY --from=builder /out/cloudradar-agent /usr/local/bin/cloudradar-agent
# Spool, receiver id and batch sequence live under /data; mount a config at
# /etc/cloudradar/agent.toml or use CLOUDRADAR_* variables.
ENV CLOUDRADAR_DATA_DIR=/data \
    CLOUDRADAR_HTTP_LISTEN=0.0.0.0:9273 \
    CLOUDRADAR_LOG_FORMAT=json
VOLUME ["/data"]
USER 10001:10001
EXPOSE 9273
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:9273/healthz"]
ENTRYPOINT ["/usr/local/bin/cloudradar-agent"]
CMD ["run"]
