#!/usr/bin/env bash
# One-command demo: builds CloudRadar, then runs a collector (embedded MQTT
# broker; Redis if redis-server is installed, else the embedded buffer;
# SQLite in ./.demo), a simulator with several receivers and a few hundred
# aircraft, and one agent per receiver. Prints the URLs; Ctrl-C stops all.
#
# Settings (environment): DEMO_AIRCRAFT (300), DEMO_RECEIVERS (3),
# DEMO_HTTP (127.0.0.1:8080), DEMO_MQTT_PORT (1883), DEMO_BEAST_BASE (30005).
set -euo pipefail
cd "$(dirname "$0")/.."

aircraft=${DEMO_AIRCRAFT:-300}
receivers=${DEMO_RECEIVERS:-3}
http=${DEMO_HTTP:-127.0.0.1:8080}
mqtt_port=${DEMO_MQTT_PORT:-1883}
beast_base=${DEMO_BEAST_BASE:-30005}
dir=.demo

echo "==> building (release; the first build takes several minutes)"
cargo build --release --locked --bins
bin=target/release

mkdir -p "$dir"
pids=()
cleanup() {
    echo
    echo "==> stopping"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

redis_args=()
if command -v redis-server >/dev/null 2>&1; then
    redis_port=$((mqtt_port + 4000))
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly yes --dir "$dir" >"$dir/redis.log" 2>&1 &
    pids+=($!)
    redis_args=(--redis-url "redis://127.0.0.1:$redis_port")
    echo "==> Redis on 127.0.0.1:$redis_port"
else
    echo "==> redis-server not installed: using the embedded buffer"
fi

"$bin/cloudradar-collector" --data-dir "$dir/collector" --http-listen "$http" \
    --mqtt-listen "127.0.0.1:$mqtt_port" --allow-anonymous true "${redis_args[@]}" \
    2>"$dir/collector.log" &
pids+=($!)

"$bin/cloudradar-sim" --aircraft "$aircraft" --receivers "$receivers" \
    --beast-port-base "$beast_base" 2>"$dir/sim.log" >"$dir/sim.out" &
pids+=($!)

# Wait for the collector and the simulator's servers.
for _ in $(seq 1 100); do
    if curl -fs "http://$http/readyz" >/dev/null 2>&1 && [ -s "$dir/sim.out" ]; then break; fi
    sleep 0.2
done

for i in $(seq 1 "$receivers"); do
    port=$((beast_base + i - 1))
    # The simulator prints "receiver sim-N at LAT,LON: ..."; the agent reports that position.
    pos=$(awk -v id="sim-$i" '$2 == id { sub(":", "", $4); print $4 }' "$dir/sim.out")
    "$bin/cloudradar-agent" --receiver-id "sim-$i" --data-dir "$dir/agent-$i" \
        --mqtt-url "mqtt://127.0.0.1:$mqtt_port" --input "tcp:127.0.0.1:$port:beast" \
        --lat "${pos%,*}" --lon "${pos#*,}" \
        2>"$dir/agent-$i.log" &
    pids+=($!)
done

cat <<MSG

CloudRadar demo is running ($aircraft aircraft, $receivers receivers).
  Live aircraft (readsb format): http://$http/data/aircraft.json
  API:                           http://$http/api/v1/aircraft   /api/v1/receivers   /api/v1/stats
  Metrics:                       http://$http/metrics
  Logs and data:                 $dir/
Press Ctrl-C to stop.
MSG
wait
