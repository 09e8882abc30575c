#!/usr/bin/env bash
# Delivery latency of cloudradar-agent (issue 5 target: frame in to broker
# ack under 500 ms at p99 with default batching). Builds release binaries,
# starts Mosquitto and the simulator (one receiver, Beast over TCP, as
# readsb on 30005), runs the agent with its default batching against it
# for a while, then prints quantiles of the agent's
# `cloudradar_agent_delivery_seconds` histogram: seconds from a batch's oldest frame being accepted to the
# broker's PubAck (so every frame of the batch waited at most that long).
# Usage: scripts/bench/agent-latency.sh [--aircraft N] [--seconds S]
# Needs: cargo, mosquitto, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
aircraft=800
seconds=60
while [ $# -gt 0 ]; do
    case $1 in
    --aircraft) aircraft=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--aircraft N] [--seconds S]" >&2; exit 2 ;;
    esac
done

target=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cloudradar-agent -p cloudradar-sim
bin="$target/release"

work=$(mktemp -d)
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap 'stack_stop; rm -rf "$work"' EXIT
read -r mqtt http beast < <(free_ports 3)

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
stack_pids+=($!)
start_sim_and_agents "$bin" "$work" "$aircraft" 1 "$beast" "$mqtt" \
    --http-listen "127.0.0.1:$http"
wait_http "http://127.0.0.1:$http/healthz"

metric() { # a metric line's value from the agent's /metrics
    curl -fs "http://127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
sleep 5 # the simulator's receivers come into range, the batcher settles
start_frames=$(metric 'cloudradar_agent_frames_accepted_total')
sleep "$seconds"
frames=$(metric 'cloudradar_agent_frames_accepted_total')
curl -fs "http://127.0.0.1:$http/metrics" >"$work/metrics"
echo "agent delivery latency, default batching, $aircraft aircraft, ${seconds} s"
echo "frames/s accepted: $(awk -v a="$start_frames" -v b="$frames" -v s="$seconds" 'BEGIN { printf "%.0f", (b - a) / s }')"
# Quantiles from the histogram's buckets, interpolated linearly inside a
# bucket (as Prometheus' histogram_quantile does; probe.py's quantile).
python3 - "$work/metrics" <<'PY'
import re, sys
sys.path.insert(0, "scripts/bench")
from probe import quantile
buckets = {}
for line in open(sys.argv[1]):
    m = re.match(r'cloudradar_agent_delivery_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
    if m:
        buckets[m.group(1)] = float(m.group(2))
print(f"batches acknowledged: {buckets.get('+Inf', 0):.0f}")
print("  ".join(f"p{int(q * 100)} {quantile(q, None, buckets) * 1000:.0f} ms" for q in (0.5, 0.9, 0.99)))
PY
