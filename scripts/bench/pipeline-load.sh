#!/usr/bin/env bash
# Pipeline load benchmark (issue 6): redis-server + the release collector
# with Redis + a load generator publishing real frames (long_flight.csv) as
# many receivers, QoS 1, for a fixed time. Measures the sustained stored
# rate (cloudradar_collector_frames_stored_total), batch lag p50/p99
# (publish -> SQLite commit, cloudradar_collector_batch_lag_seconds), the
# Redis backlog, CPU per process and per collector thread, and the
# collector's peak RSS (VmHWM); prints a summary and the ratio to the
# 100,000 frames/s target. Everything runs on loopback and stops by itself.
#
# Settings (environment):
#   RATES       total offered frames/s, one run per value    (default 100000)
#   RECEIVERS   virtual receivers (MQTT connections)          (20)
#   BATCH       frames per batch                             (250)
#   DURATION    seconds of load per run                       (60)
#   WARMUP      seconds excluded from the measured window     (10)
#   DRAIN       seconds allowed after the load to empty Redis (60)
#   AOF         no | everysec (Redis persistence)             (no)
#   BUFFER      redis | embedded (no Redis: the in-memory queue) (redis)
#   QOS         0 | 1                                         (1)
#   PERF        1 = perf record the collector (cpu-clock, all threads) during the run
#   SHARED_SKY  1 = every receiver sends the same frames (cross-receiver de-dup merges them)
#   OUT         results folder          (target/bench/pipeline-<time>)
#   BIN         folder with cloudradar-collector and examples/loadgen
#               (default: $CARGO_TARGET_DIR/release or target/release; built if missing)
#
# Example: RATES="50000 75000 100000" DURATION=45 scripts/bench/pipeline-load.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

rates=${RATES:-100000}
receivers=${RECEIVERS:-20}
batch=${BATCH:-250}
duration=${DURATION:-60}
warmup=${WARMUP:-10}
drain=${DRAIN:-60}
aof=${AOF:-no}
buffer=${BUFFER:-redis}
qos=${QOS:-1}
out=${OUT:-target/bench/pipeline-$(date +%Y%m%d-%H%M%S)}
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release}

if [ ! -x "$bin/cloudradar-collector" ] || [ ! -x "$bin/examples/loadgen" ]; then
    echo "==> building the collector and the load generator (release)"
    cargo build --release --locked -p cloudradar-collector --bin cloudradar-collector --example loadgen
fi
command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap stack_stop EXIT INT TERM

run_one() {
    local total=$1 dir=$2
    local per_receiver redis_port mqtt_port http_port
    per_receiver=$(python3 -c "print($total / $receivers)")
    read -r redis_port mqtt_port http_port < <(free_ports 3)
    mkdir -p "$dir"
    local redis_pid="" buffer_args=() probe_redis=()
    if [ "$buffer" = redis ]; then
        local redis_args=(--port "$redis_port" --bind 127.0.0.1 --save '' --dir "$dir")
        if [ "$aof" = everysec ]; then
            redis_args+=(--appendonly yes --appendfsync everysec)
        else
            redis_args+=(--appendonly no)
        fi
        redis-server "${redis_args[@]}" >"$dir/redis.log" 2>&1 &
        redis_pid=$!
        stack_pids+=("$redis_pid")
        for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
        buffer_args=(--redis-url "redis://127.0.0.1:$redis_port")
        probe_redis=(--redis-port "$redis_port" --redis-pid "$redis_pid")
    fi
    RUST_LOG=${RUST_LOG:-info,rumqttd=warn} "$bin/cloudradar-collector" --data-dir "$dir/collector" \
        --http-listen "127.0.0.1:$http_port" --mqtt-listen "127.0.0.1:$mqtt_port" \
        --allow-anonymous true "${buffer_args[@]}" \
        2>"$dir/collector.log" &
    local collector_pid=$!
    stack_pids+=("$collector_pid")
    wait_http "http://127.0.0.1:$http_port/readyz" 150

    echo "==> run: $total frames/s offered = $receivers receivers x $per_receiver frames/s," \
        "batches of $batch, QoS $qos, ${duration}s, buffer $buffer, Redis AOF $aof  ($dir)"
    local extra=()
    [ "${SHARED_SKY:-0}" = 1 ] && extra+=(--shared-sky)
    "$bin/examples/loadgen" --port "$mqtt_port" --receivers "$receivers" --rate "$per_receiver" \
        --batch "$batch" --duration "$duration" --drain 5 --qos "$qos" "${extra[@]}" \
        --recording "$root/../shared/data/long_flight.csv" \
        >"$dir/loadgen.json" 2>"$dir/loadgen.log" &
    local loadgen_pid=$!
    stack_pids+=("$loadgen_pid")
    python3 scripts/bench/probe.py sample --http "$http_port" --pid "$collector_pid" \
        "${probe_redis[@]}" --loadgen-pid "$loadgen_pid" \
        --out "$dir/samples.jsonl" --seconds $((duration + drain + 10)) &
    local probe_pid=$!
    stack_pids+=("$probe_pid")
    if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
        # CPU profile of the collector (all threads) in the middle of the run.
        (sleep "$warmup"; perf record -e cpu-clock -F 499 -g -p "$collector_pid" -o "$dir/perf.data" \
            -- sleep $((duration - warmup - 5)) >/dev/null 2>&1) &
        stack_pids+=($!)
    fi
    wait "$loadgen_pid" || true

    # After the load: how long until everything the broker acknowledged is stored?
    local published stored t=0 drained=no
    published=$(python3 -c "import json;d=json.load(open('$dir/loadgen.json'));print(d['acked_frames'] if d['qos'] else d['published_frames'])" 2>/dev/null || echo 0)
    while [ "$t" -lt "$drain" ]; do
        stored=$(curl -fs "http://127.0.0.1:$http_port/metrics" | awk '/^cloudradar_collector_frames_stored_total/ {s+=$2} END {printf "%d", s}')
        if [ "${stored:-0}" -ge "$published" ]; then drained=yes; break; fi
        sleep 1
        t=$((t + 1))
    done
    echo "acknowledged by the broker $published frames; stored ${stored:-0}; drained after the load: $drained (${t}s)" | tee "$dir/drain.txt"
    kill "$probe_pid" 2>/dev/null || true
    wait "$probe_pid" 2>/dev/null || true

    python3 scripts/bench/probe.py report --samples "$dir/samples.jsonl" --from "$warmup" \
        --to "$duration" --offered "$total" --loadgen "$dir/loadgen.json" | tee "$dir/summary.txt"
    echo "drain after load                   $drained (${t}s)" | tee -a "$dir/summary.txt"
    grep -c -i " warn\| error" "$dir/collector.log" | xargs echo "collector warnings/errors logged:" | tee -a "$dir/summary.txt"

    if [ -f "$dir/perf.data" ]; then
        perf report -i "$dir/perf.data" --no-children --sort comm --stdio 2>/dev/null | grep -v '^#' | grep . >"$dir/perf-threads.txt" || true
        perf report -i "$dir/perf.data" --no-children --sort comm,dso,symbol --stdio -g none 2>/dev/null \
            | grep -v '^#' | grep . | head -80 >"$dir/perf-symbols.txt" || true
        echo "perf profile: $dir/perf-threads.txt, $dir/perf-symbols.txt"
    fi
    kill -TERM "$collector_pid" $redis_pid 2>/dev/null || true
    wait "$collector_pid" $redis_pid 2>/dev/null || true
}

for total in $rates; do
    run_one "$total" "$out/rate-$total-aof-$aof"
done

echo
echo "==> results"
printf '%-10s %-12s %-12s %-8s %-10s %-10s %-10s %-9s %-9s\n' offered published stored ratio lag_p50 lag_p99 xlen_max rss_MB drained
for total in $rates; do
    d="$out/rate-$total-aof-$aof"
    python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/samples.jsonl.summary.json"))
lg = s.get("loadgen", {})
drained = open(d + "/drain.txt").read().split("drained after the load: ")[1].strip()
print(f"{s.get('offered_frames_per_s', 0):<10,.0f} {lg.get('published_frames_per_s', 0):<12,.0f} "
      f"{s['stored_frames_per_s']:<12,} {s['ratio_to_target']:<8} {s.get('batch_lag_p50_s')!s:<10} "
      f"{s.get('batch_lag_p99_s')!s:<10} {s.get('redis_xlen_max')!s:<10} {s['collector_peak_rss_mb']:<9} {drained}")
PY
done
