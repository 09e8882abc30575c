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
# loop at -q RATE with --latency-correction, so a slow answer does not hide
# the requests that should have been sent meanwhile) when found in
# target/tools/bin or PATH, else wrk (Debian package) with
# scripts/bench/rate.lua pacing its connections to about RATE requests/s.
# With oha each endpoint runs once per KEEPALIVE mode: `on` (CONNS
# connections reused) and `off` (--disable-keepalive: a new TCP connection
# per request, as many independent clients would do).
#
# Before the endpoints, one window of DURATION seconds without HTTP load
# (`(no load)`) gives the baseline for the ingest rate and the SQLite
# commit latency; each row reports commit p50/p99 and the collector's CPU
# over its own window, so the cost of a history query to ingest shows.
#
# Settings (environment):
#   AIRCRAFT (5000)  RECEIVERS (2)  RATE (500)  DURATION (30 s per endpoint)  CONNS (10)
#   MIN_AIRCRAFT     wait until this many aircraft are live (default 95% of AIRCRAFT)
#   TOOL             oha | wrk (default: oha if installed)
#   OUT              results folder (target/bench/api-<time>)
#   BIN              folder with the release binaries (built if missing)
#   PATHS            endpoints to load (default below)
#   KEEPALIVE        "on off" (default), "on" or "off" (oha only)
#   MAX_HISTORY      the collector's http_max_history_queries (its default when unset)
#   GZIP             1: send Accept-Encoding: gzip (oha only)
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
keepalive=${KEEPALIVE:-on off}
collector_args=()
[ -n "${MAX_HISTORY:-}" ] && collector_args+=(--http-max-history-queries "$MAX_HISTORY")
oha_headers=()
[ "${GZIP:-0}" = 1 ] && oha_headers+=(-H "Accept-Encoding: gzip")

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
    --allow-anonymous true "${redis_args[@]}" "${collector_args[@]}" 2>"$out/collector.log" &
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
    echo "load average before: $(cut -d" " -f1-3 /proc/loadavg) (other work on the machine)"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); tool: $tool; rate target: $rate req/s; ${seconds}s per run; $conns connections (keep-alive on)"
    echo "collector: $n live aircraft, simulator $aircraft aircraft x $receivers receivers (agents + Redis), ingest keeps running; max history queries: ${MAX_HISTORY:-default}"
    printf '%-40s %4s %8s %8s %8s %8s %8s %7s %6s %10s %8s %9s %9s %6s\n' endpoint ka "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" errors "503" "body B" "ingest" "commit50" "commit99" "CPU%"
} | tee "$summary"

# probe_window <name> <t0> <t1>: the ingest rate, commit p50/p99 (ms) and
# collector CPU over that window, on one line.
probe_window() {
    python3 scripts/bench/probe.py report --samples "$out/samples.jsonl" --from "$2" --to "$3" \
        >"$out/probe$1.txt" 2>&1 || true
    cp "$out/samples.jsonl.summary.json" "$out/probe$1.json" 2>/dev/null || true
    python3 - "$out/probe$1.json" <<'PY' 2>/dev/null || echo "? ? ? ?"
import json, sys
d = json.load(open(sys.argv[1]))
ms = lambda v: "?" if v is None else f"{1000 * v:.1f}"
print(f'{d["stored_frames_per_s"]}/s {ms(d.get("sqlite_commit_p50_s"))} {ms(d.get("sqlite_commit_p99_s"))} {d["cpu_percent_of_one_core"].get("collector", "?")}')
PY
}
now_s() { python3 -c "import time;print(time.time()-$t_start)"; }

# Baseline: ingest only.
t0=$(now_s)
sleep "$seconds"
t1=$(now_s)
sleep 1
read -r ingest c50 c99 cpu <<<"$(probe_window _baseline "$t0" "$t1")"
printf '%-40s %4s %8s %8s %8s %8s %8s %7s %6s %10s %8s %9s %9s %6s\n' "(no load)" - - - - - - - - - "$ingest" "$c50" "$c99" "$cpu" | tee -a "$summary"

modes=$keepalive
[ "$tool" = oha ] || modes=on
for path in $paths; do
  for ka in $modes; do
    url="$base$path"
    size=$(curl -fs -o "$out/body.tmp" -w '%{size_download}' "$url" || echo "?")
    t0=$(now_s)
    name=$(echo "$path" | tr '/?=&' '____')_$ka
    if [ "$tool" = oha ]; then
        ka_args=()
        [ "$ka" = off ] && ka_args=(--disable-keepalive)
        "$oha" -z "${seconds}s" -q "$rate" -c "$conns" --latency-correction --no-tui \
            "${ka_args[@]}" "${oha_headers[@]}" \
            --output-format json "$url" >"$out/oha$name.json" 2>"$out/oha$name.log" || true
        line=$(python3 - "$out/oha$name.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["summary"], d["latencyPercentiles"]
errs = sum(d.get("errorDistribution", {}).values())
codes = d.get("statusCodeDistribution", {})
busy = sum(v for k, v in codes.items() if k == "503")
ms = lambda v: 1000 * (v or 0)
print(f'{s["requestsPerSec"]:.1f} {ms(p["p50"]):.2f} {ms(p["p90"]):.2f} {ms(p["p99"]):.2f} {ms(s["slowest"]):.2f} {errs} {busy}')
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
        print(f'{d["rate"]:.1f} {d["p50_ms"]:.2f} {d["p90_ms"]:.2f} {d["p99_ms"]:.2f} {d["max_ms"]:.2f} {d["errors"]} ?')
PY
)
    fi
    t1=$(now_s)
    sleep 1
    read -r ingest c50 c99 cpu <<<"$(probe_window "$name" "$t0" "$t1")"
    read -r r p50 p90 p99 max errs busy <<<"${line:-? ? ? ? ? ? ?}"
    printf '%-40s %4s %8s %8s %8s %8s %8s %7s %6s %10s %8s %9s %9s %6s\n' "$path" "$ka" "$r" "$p50" "$p90" "$p99" "$max" "$errs" "$busy" "$size" "$ingest" "$c50" "$c99" "$cpu" | tee -a "$summary"
  done
done
rm -f "$out/body.tmp"
echo "(commit50/99: SQLite commit p50/p99 in ms; CPU%: collector, % of one core; 503: refused as busy)" | tee -a "$summary"
echo "details per run: $out/probe_*.txt ; raw tool output in $out"
grep -h "peak RSS" "$out"/probe_*.txt | tail -1 | sed 's/^/  /' | tee -a "$summary"
echo "target: /api/v1/aircraft p99 < 20 ms at 500 req/s with 5,000 aircraft" | tee -a "$summary"
