#!/usr/bin/env bash
# Soak: runs the whole system (Redis, collector with the Redis buffer,
# simulator, one agent per receiver, a client polling the API and holding
# the live stream open) and samples the resident memory and the open file
# descriptors of every process. Fails when one of them keeps growing.
#
# Growth rule, per process: the first 40 % of the run is warm-up (caches
# fill, aircraft come into range); the rest is split in two halves, and the
# run fails when the second half's peak exceeds the first half's by more
# than SOAK_RSS_PCT percent and SOAK_RSS_MB MiB (memory; both must hold),
# or by more than SOAK_FDS descriptors. A leak of a few MiB an hour needs
# hours to show: CI runs minutes, operators run hours by hand.
#
# Usage: scripts/soak.sh [--minutes N] [--aircraft N] [--receivers N] [--speed X]
# Environment: BIN_DIR (default target/debug), SOAK_RSS_PCT (25),
# SOAK_RSS_MB (16), SOAK_FDS (16), SOAK_SAMPLES_CSV (where to keep the
# samples; default a temporary file that is printed on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=3
aircraft=150
receivers=3
speed=4
while [ $# -gt 0 ]; do
    case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --aircraft) aircraft=$2; shift 2 ;;
    --receivers) receivers=$2; shift 2 ;;
    --speed) speed=$2; shift 2 ;;
    *) echo "usage: $0 [--minutes N] [--aircraft N] [--receivers N] [--speed X]" >&2; exit 2 ;;
    esac
done
bin=${BIN_DIR:-target/debug}
work=$(mktemp -d)
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap 'stack_stop; rm -rf "$work"' EXIT
samples=${SOAK_SAMPLES_CSV:-$work/samples.csv}

read -r redis_port mqtt http beast < <(free_ports 4)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
stack_pids+=($!)
names=("redis")
"$bin/cloudradar-collector" --data-dir "$work/collector" --http-listen "127.0.0.1:$http" \
    --mqtt-listen "127.0.0.1:$mqtt" --allow-anonymous true \
    --redis-url "redis://127.0.0.1:$redis_port" 2>"$work/collector.log" &
stack_pids+=($!)
names+=("collector")
wait_http "http://127.0.0.1:$http/readyz" 300

# The simulator at `speed` times real time, so traffic churns (aircraft
# arrive, land and leave) within a CI-sized run.
sim_args=(--speed "$speed")
"$bin/cloudradar-sim" --aircraft "$aircraft" --receivers "$receivers" --beast-port-base "$beast" \
    "${sim_args[@]}" 2>"$work/sim.log" >"$work/sim.out" &
stack_pids+=($!)
names+=("sim")
for _ in $(seq 1 100); do
    [ "$(grep -c '^receiver ' "$work/sim.out" 2>/dev/null)" -ge "$receivers" ] && break
    sleep 0.1
done
for i in $(seq 1 "$receivers"); do
    "$bin/cloudradar-agent" --receiver-id "sim-$i" --data-dir "$work/agent-$i" \
        --mqtt-url "mqtt://127.0.0.1:$mqtt" --input "tcp:127.0.0.1:$((beast + i - 1)):beast" \
        2>"$work/agent-$i.log" &
    stack_pids+=($!)
    names+=("agent-$i")
done

# API clients: a poller (new connection each time, as browsers and tar1090
# do) and a live stream held open, so connection handling is soaked too.
(
    while true; do
        for path in /api/v1/aircraft /data/aircraft.json /api/v1/receivers /api/v1/stats /metrics; do
            curl -fs -o /dev/null "http://127.0.0.1:$http$path" || true
        done
        sleep 0.5
    done
) &
stack_pids+=($!)
curl -fsN "http://127.0.0.1:$http/api/v1/stream" >/dev/null 2>&1 &
stack_pids+=($!)

pids=("${stack_pids[@]:0:$((2 + 1 + receivers))}")
sample() { # name pid -> "rss_kib fds"
    local rss fds
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$2/status" 2>/dev/null || echo 0)
    fds=$(find "/proc/$2/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    echo "${rss:-0} $fds"
}

echo "==> soaking for $minutes min ($aircraft aircraft, $receivers receivers, ${speed}x time)"
echo "t_s,process,rss_kib,fds" >"$samples"
end=$((SECONDS + minutes * 60))
start=$SECONDS
while [ $SECONDS -lt $end ]; do
    for k in "${!pids[@]}"; do
        if ! kill -0 "${pids[$k]}" 2>/dev/null; then
            echo "soak: ${names[$k]} (pid ${pids[$k]}) died" >&2
            tail -20 "$work/${names[$k]}.log" 2>/dev/null >&2 || true
            exit 1
        fi
        read -r rss fds < <(sample "${names[$k]}" "${pids[$k]}")
        echo "$((SECONDS - start)),${names[$k]},$rss,$fds" >>"$samples"
    done
    sleep 5
done

# Data must have flowed the whole time, or the soak proved nothing.
curl -fs "http://127.0.0.1:$http/api/v1/stats" >"$work/stats.json"
python3 - "$work/stats.json" <<'PY'
import json, sys
totals = json.load(open(sys.argv[1]))["totals"]
print(f"stored: {totals['receptions']} receptions, {totals['positions']} positions, {totals['flights']} flights")
if totals["receptions"] == 0 or totals["positions"] == 0:
    sys.exit("soak: nothing was stored")
PY
echo "==> samples: $samples"
python3 - "$samples" "${SOAK_RSS_PCT:-25}" "${SOAK_RSS_MB:-16}" "${SOAK_FDS:-16}" <<'PY'
import csv, sys
path, pct, mb, fds_limit = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rows = list(csv.DictReader(open(path)))
if not rows:
    sys.exit("soak: no samples")
last = max(int(r["t_s"]) for r in rows)
warm = 0.4 * last
mid = warm + (last - warm) / 2
failed = False
print(f"{'process':<10} {'rss MiB first':>14} {'second':>8} {'fds first':>10} {'second':>7}")
for name in dict.fromkeys(r["process"] for r in rows):
    mine = [r for r in rows if r["process"] == name]
    a = [r for r in mine if warm <= int(r["t_s"]) < mid]
    b = [r for r in mine if int(r["t_s"]) >= mid]
    if not a or not b:
        sys.exit(f"soak: too few samples for {name}; run longer")
    rss_a = max(int(r["rss_kib"]) for r in a) / 1024
    rss_b = max(int(r["rss_kib"]) for r in b) / 1024
    fd_a = max(int(r["fds"]) for r in a)
    fd_b = max(int(r["fds"]) for r in b)
    grew_rss = rss_b > rss_a * (1 + pct / 100) and rss_b - rss_a > mb
    grew_fds = fd_b - fd_a > fds_limit
    flag = "  <-- GROWING" if grew_rss or grew_fds else ""
    print(f"{name:<10} {rss_a:>14.1f} {rss_b:>8.1f} {fd_a:>10} {fd_b:>7}{flag}")
    failed |= grew_rss or grew_fds
if failed:
    sys.exit("soak: a process kept growing (rule: see scripts/soak.sh)")
print("soak: no growth")
PY
