# syntax=docker/dockerfile:1
# cloudradar-sim: simulated receivers serving Beast on 30005-30008 (deploy/docker/sim.toml).
# Build from the repository root: docker build -f deploy/docker/sim.Dockerfile -t cloudradar-sim .

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p cloudradar-sim \
    && install -D -m 0755 target/release/cloudradar-sim /out/cloudradar-sim

FROM debian:bookworm-slim
# Fixed UID/GID 10001, like the other CloudRadar images. /data is only used
# when a scenario writes ground truth (`truth = "/data/truth.jsonl"`).
RUN groupadd --system --gid 10001 cloudradar \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin cloudradar \
    && install -d -o 10001 -g 10001 -m 0750 /data
COPY --from=builder /out/cloudradar-sim /usr/local/bin/cloudradar-sim
COPY deploy/docker/sim.toml /etc/cloudradar/sim.toml
ENV CLOUDRADAR_SIM_CONFIG=/etc/cloudradar/sim.toml
VOLUME ["/data"]
USER 10001:10001
EXPOSE 30005 30006 30007 30008
# The simulator has no HTTP endpoint; healthy means the first Beast port
# accepts connections (bash's /dev/tcp, no extra packages).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/30005"]
ENTRYPOINT ["/usr/local/bin/cloudradar-sim"]
