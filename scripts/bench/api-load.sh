#!/usr/bin/env bash
# API load benchmark (issue 7): a release collector (Redis buffer when
# redis-server is installed) fed by the simulator (AIRCRAFT aircraft,
# RECEIVERS receivers, one real agent each), then a fixed request rate for
# DURATION seconds against /api/v1/aircraft, /data/aircraft.json and one history
# query, reporting p50/p99/max latency, the achieved rate and the response
# size. The collector keeps ingesting the live feed during the load (the
# honest case); the ingest rate and CPU during each run are reported too.
# Everything runs on loopback and stops by itself.
#
# Load tool: oha (`cargo install oha --locked --root target/tools`, open
# loop at -q RATE with latency correction) when found in target/tools/bin
# or PATH, else wrk (Debian package) with scripts/bench/rate.lua pacing
# its connections to about RATE requests/s.
#
# Settings (environment):
#   AIRCRAFT (5000)  RECEIVERS (2)  RATE (500)  DURATION (30 s per endpoint)  CONNS (10)
#   MIN_AIRCRAFT     wait until this many aircraft are live (default 95% of AIRCRAFT)
#   TOOL             oha | wrk (default: oha if installed)
#   OUT              results folder (target/bench/api-<time>)
#   BIN              folder with the release binaries (built if missing)
#   PATHS            endpoints to load (default below)
set -euo pipefail
cd "$(dirname "$0")/../.."

aircraft=${AIRCRAFT:-5000}
receivers=${RECEIVERS:-2}
rate=${RATE:-500}
seconds=${DURATION:-30}
conns=${CONNS:-10}
min_aircraft=${MIN_AIRCRAFT:-$((aircraft * 95 / 100))}
out=${OUT:-target/bench/api-$(date +%Y%m%d-%H%M%S)}
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release}
paths=${PATHS:-/api/v1/aircraft /data/aircraft.json /api/v1/positions?limit=1000}

tool=${TOOL:-}
oha=$(command -v oha || true)
[ -z "$oha" ] && [ -x target/tools/bin/oha ] && oha=target/tools/bin/oha
if [ -z "$tool" ]; then
    if [ -n "$oha" ]; then tool=oha; else tool=wrk; fi
fi
if [ "$tool" = wrk ] && ! command -v wrk >/dev/null; then
    echo "neither oha nor wrk found: apt-get install wrk, or cargo install oha --locked --root target/tools" >&2
    exit 1
fi

if [ ! -x "$bin/cloudradar-collector" ] || [ ! -x "$bin/cloudradar-sim" ] || [ ! -x "$bin/cloudradar-agent" ]; then
    echo "==> building (release)"
    cargo build --release --locked --bins
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap stack_stop EXIT INT TERM

read -r redis_port mqtt_port http_port beast_base < <(free_ports 4)
# The simulator takes beast_base + i and AVR ports 1000 higher: check they are free.
beast_base=$(python3 - "$receivers" <<'PY'
import socket, sys
n = int(sys.argv[1])
for base in range(36000, 60000, 37):
    socks = []
    try:
        for p in [base + i for i in range(n)] + [base + 1000 + i for i in range(n)]:
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
    except OSError:
        continue
    print(base); break
PY
)

redis_args=()
if command -v redis-server >/dev/null; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$out" \
        >"$out/redis.log" 2>&1 &
    stack_pids+=($!)
    redis_args=(--redis-url "redis://127.0.0.1:$redis_port")
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
RUST_LOG=${RUST_LOG:-info,rumqttd=warn} "$bin/cloudradar-collector" --data-dir "$out/collector" \
    --http-listen "127.0.0.1:$http_port" --mqtt-listen "127.0.0.1:$mqtt_port" \
    --allow-anonymous true "${redis_args[@]}" 2>"$out/collector.log" &
collector_pid=$!
stack_pids+=("$collector_pid")
wait_http "http://127.0.0.1:$http_port/readyz" 150
start_sim_and_agents "$bin" "$out" "$aircraft" "$receivers" "$beast_base" "$mqtt_port"

base="http://127.0.0.1:$http_port"
live() { curl -fs "$base/metrics" | awk '/^cloudradar_collector_aircraft_live / {printf "%d", $2}'; }
echo "==> waiting for $min_aircraft live aircraft (simulator: $aircraft aircraft, $receivers receivers)"
n=0
for i in $(seq 1 180); do
    n=$(live || echo 0)
    [ "${n:-0}" -ge "$min_aircraft" ] && break
    [ $((i % 10)) = 0 ] && echo "    ${i}s: ${n:-0} live"
    sleep 1
done
echo "    $n aircraft live"
# History needs some stored positions: give the store a few more seconds.
sleep 5

python3 scripts/bench/probe.py sample --http "$http_port" --pid "$collector_pid" \
    --out "$out/samples.jsonl" --seconds 100000 &
probe_pid=$!
stack_pids+=("$probe_pid")
t_start=$(date +%s.%N)

summary="$out/summary.txt"
{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); tool: $tool; rate target: $rate req/s; ${seconds}s per endpoint; $conns connections"
    echo "collector: $n live aircraft, simulator $aircraft aircraft x $receivers receivers (agents + Redis), ingest keeps running"
    printf '%-36s %9s %9s %9s %9s %9s %9s %11s %8s %7s\n' endpoint "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" errors "body bytes" "gzip B" "ingest"
} | tee "$summary"

for path in $paths; do
    url="$base$path"
    size=$(curl -fs -o "$out/body.tmp" -w '%{size_download}' "$url")
    gz=$(gzip -c "$out/body.tmp" | wc -c)
    t0=$(python3 -c "import time;print(time.time()-$t_start)")
    name=$(echo "$path" | tr '/?=&' '____')
    if [ "$tool" = oha ]; then
        "$oha" -z "${seconds}s" -q "$rate" -c "$conns" --latency-correction --no-tui \
            --output-format json "$url" >"$out/oha$name.json" 2>"$out/oha$name.log" || true
        line=$(python3 - "$out/oha$name.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["summary"], d["latencyPercentiles"]
errs = sum(d.get("errorDistribution", {}).values())
ok = sum(v for k, v in d.get("statusCodeDistribution", {}).items() if k.startswith("2"))
ms = lambda v: 1000 * (v or 0)
print(f'{s["requestsPerSec"]:.1f} {ms(p["p50"]):.2f} {ms(p["p90"]):.2f} {ms(p["p99"]):.2f} {ms(s["slowest"]):.2f} {errs} {ok}')
PY
)
    else
        WRK_RATE=$rate WRK_CONNS=$conns wrk -t 2 -c "$conns" -d "${seconds}s" --timeout 10s \
            -s scripts/bench/rate.lua --latency "$url" >"$out/wrk$name.txt" 2>&1 || true
        line=$(python3 - "$out/wrk$name.txt" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    if l.startswith("WRK_JSON "):
        d = json.loads(l[9:])
        print(f'{d["rate"]:.1f} {d["p50_ms"]:.2f} {d["p90_ms"]:.2f} {d["p99_ms"]:.2f} {d["max_ms"]:.2f} {d["errors"]} {d["requests"]}')
PY
)
    fi
    t1=$(python3 -c "import time;print(time.time()-$t_start)")
    sleep 1
    # Ingest rate and CPU over the same window.
    python3 scripts/bench/probe.py report --samples "$out/samples.jsonl" --from "$t0" --to "$t1" \
        >"$out/probe$name.txt" 2>&1 || true
    ingest=$(python3 -c "import json;print(json.load(open('$out/samples.jsonl.summary.json'))['stored_frames_per_s'])" 2>/dev/null || echo "?")
    cp "$out/samples.jsonl.summary.json" "$out/probe$name.json" 2>/dev/null || true
    read -r r p50 p90 p99 max errs _ <<<"${line:-? ? ? ? ? ? ?}"
    printf '%-36s %9s %9s %9s %9s %9s %9s %11s %8s %7s\n' "$path" "$r" "$p50" "$p90" "$p99" "$max" "$errs" "$size" "$gz" "${ingest}/s" | tee -a "$summary"
done
rm -f "$out/body.tmp"
echo "collector CPU during each run: $out/probe_*.txt ; raw tool output in $out"
grep -h "CPU %\|peak RSS" "$out"/probe_*.txt | sed 's/^/  /' | tee -a "$summary"
echo "target: /api/v1/aircraft p99 < 20 ms at 500 req/s with 5,000 aircraft" | tee -a "$summary"
