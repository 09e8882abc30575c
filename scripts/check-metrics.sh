#!/usr/bin/env bash
# Checks that every metric the alert rules and the Grafana dashboard use is
# exported by the real binaries: starts Redis, a local S3 server, the
# collector (Redis buffer, backups on), the simulator and an agent, lets
# traffic flow, takes a backup, scrapes both /metrics endpoints and runs
# scripts/lib/metric_names.py on the scrapes.
# Needs the debug binaries (cargo test --workspace builds them) and the
# tools scripts/test.sh installs. Usage: scripts/check-metrics.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN_DIR:-target/debug}
work=$(mktemp -d)
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap 'stack_stop; rm -rf "$work"' EXIT

read -r redis_port s3_port mqtt http agent_http beast < <(free_ports 6)
token=metrics-check-token-0123456789

redis-server --port "$redis_port" --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
stack_pids+=($!)
mkdir -p "$work/s3/backups"
target/tools/bin/s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key k --secret-key secret-key "$work/s3" >"$work/s3.log" 2>&1 &
stack_pids+=($!)

# The lowest rate limit allowed, so the unpaced back-fill below trips it
# (the simulated receiver stays far below it).
echo 'receiver_max_frames_per_s = 1000' >"$work/collector.toml"
AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=secret-key AWS_EC2_METADATA_DISABLED=true \
    "$bin/cloudradar-collector" --config "$work/collector.toml" --data-dir "$work/collector" \
    --http-listen "127.0.0.1:$http" --mqtt-listen "127.0.0.1:$mqtt" --allow-anonymous true \
    --redis-url "redis://127.0.0.1:$redis_port" \
    --backup-bucket backups --backup-endpoint "http://127.0.0.1:$s3_port" --backup-path-style true \
    --http-auth-tokens "$token" --http-public-read true >"$work/collector.log" 2>&1 &
stack_pids+=($!)
wait_http "http://127.0.0.1:$http/readyz"

start_sim_and_agents "$bin" "$work" 40 1 "$beast" "$mqtt" --http-listen "127.0.0.1:$agent_http"
wait_http "http://127.0.0.1:$agent_http/metrics"

# A Beast recording without its receiver clock (timestamps zeroed: a
# clocked file is timed by its clock, not stamped as read), back-filled
# with the agent's pacing off: stamped as read, 40,000 frames land in a
# second or two of reception time and the collector drops what is over
# its rate limit.
python3 - "$work/flood.beast" <<'EOF'
import sys
with open("../shared/data/long_flight.csv") as f, open(sys.argv[1], "wb") as out:
    for i, line in zip(range(40_000), f):
        raw = bytes.fromhex(line.strip().split(",")[1])
        raw = raw[:2] + bytes(6) + raw[8:]
        out.write(raw[:1] + raw[1:].replace(b"\x1a", b"\x1a\x1a"))
EOF
"$bin/cloudradar-agent" --receiver-id flood-1 --data-dir "$work/agent-flood" \
    --mqtt-url "mqtt://127.0.0.1:$mqtt" --input "file:$work/flood.beast:beast" \
    --file-max-frames-per-s 0 2>"$work/agent-flood.log" &
stack_pids+=($!)

# Traffic, one malformed batch (rejections by reason), a publish outside
# the receiver's own topics (ACL, connection closed), the API used (route
# latency), a backup taken, gauges refreshed.
sleep 6
# (The client id is the user name, as the gate requires; receivers of
# their own, so the simulated ones keep their sessions.)
mosquitto_pub -h 127.0.0.1 -p "$mqtt" -u bad-publisher -P x -i bad-publisher -q 1 \
    -t cloudradar/v1/bad-publisher/frames -m 'not a batch'
mosquitto_pub -h 127.0.0.1 -p "$mqtt" -u acl-trespasser -P x -i acl-trespasser -q 1 \
    -t cloudradar/v1/sim-2/frames -m 'not mine' 2>/dev/null || true
sleep 2
curl -sf "http://127.0.0.1:$http/api/v1/aircraft" >/dev/null
curl -sf -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$http/api/v1/admin/backup" >"$work/backup.json" \
    || { echo "backup failed:"; cat "$work/backup.json" "$work/collector.log"; exit 1; }
sleep 3
curl -sf "http://127.0.0.1:$http/metrics" >"$work/collector.metrics"
curl -sf "http://127.0.0.1:$agent_http/metrics" >"$work/agent.metrics"

echo "==> metric names used by rules and dashboard vs. live scrapes"
python3 scripts/lib/metric_names.py \
    --exposition "$work/collector.metrics" --exposition "$work/agent.metrics" \
    --rules deploy/observability/prometheus/rules/cloudradar.rules.yml \
    --dashboard deploy/observability/grafana/cloudradar.json
