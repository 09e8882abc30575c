#!/usr/bin/env bash
# One-command demo: builds CloudRadar, then runs a collector (embedded MQTT
# broker; Redis if redis-server is installed, else the embedded buffer;
# SQLite in ./.demo), a simulator with several receivers and a few hundred
# aircraft, and one agent per receiver. Prints the URLs; Ctrl-C stops all.
# The four default receivers (one at the airport, three on a 60 km ring)
# all hear the central area, as multilateration needs.
#
# Settings (environment): DEMO_AIRCRAFT (300), DEMO_RECEIVERS (4),
# DEMO_HTTP (127.0.0.1:8080), DEMO_MQTT_PORT (1883), DEMO_BEAST_BASE (30005).
set -euo pipefail
cd "$(dirname "$0")/.."

aircraft=${DEMO_AIRCRAFT:-300}
receivers=${DEMO_RECEIVERS:-4}
http=${DEMO_HTTP:-127.0.0.1:8080}
mqtt_port=${DEMO_MQTT_PORT:-1883}
beast_base=${DEMO_BEAST_BASE:-30005}
dir=.demo

echo "==> building (release; the first build takes several minutes)"
cargo build --release --locked --bins
bin=${CARGO_TARGET_DIR:-target}/release

mkdir -p "$dir"
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
cleanup() {
    echo
    echo "==> stopping"
    stack_stop
}
trap cleanup EXIT INT TERM

redis_args=()
if command -v redis-server >/dev/null 2>&1; then
    redis_port=$((mqtt_port + 4000))
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly yes --dir "$dir" >"$dir/redis.log" 2>&1 &
    stack_pids+=($!)
    redis_args=(--redis-url "redis://127.0.0.1:$redis_port")
    echo "==> Redis on 127.0.0.1:$redis_port"
else
    echo "==> redis-server not installed: using the embedded buffer"
fi

"$bin/cloudradar-collector" --data-dir "$dir/collector" --http-listen "$http" \
    --mqtt-listen "127.0.0.1:$mqtt_port" --allow-anonymous true "${redis_args[@]}" \
    2>"$dir/collector.log" &
stack_pids+=($!)
wait_http "http://$http/readyz" 100
start_sim_and_agents "$bin" "$dir" "$aircraft" "$receivers" "$beast_base" "$mqtt_port"

cat <<MSG

CloudRadar demo is running ($aircraft aircraft, $receivers receivers).
  Dashboard:                     http://$http/
  Live aircraft (readsb format): http://$http/data/aircraft.json
  API:                           http://$http/api/v1/aircraft   /api/v1/receivers   /api/v1/stats
  Metrics:                       http://$http/metrics
  Logs and data:                 $dir/
Press Ctrl-C to stop.
MSG
wait
