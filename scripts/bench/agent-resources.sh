#!/usr/bin/env bash
# Resource figures for cloudradar-agent (issue 5 targets: CPU, resident
# memory, upstream bytes). Builds the release binary, starts Mosquitto on a
# free port, runs the agent on a recording publishing to it, waits until
# every batch is acknowledged, then prints:
#   - CPU seconds per 100k frames (user + system, /proc/<pid>/stat),
#   - peak resident memory (VmHWM, /proc/<pid>/status),
#   - upstream bytes per frame and as a share of the raw Beast input bytes
#     (cloudradar_agent_upstream_bytes_total / frames_in_total from /metrics;
#     the wire payload, without MQTT or TLS framing),
#   - with --rate: the share of one core while frames arrive at that rate.
#
# Modes:
#   default      file input at full speed (CSV keeps the recorded times, so
#                reduce mode thins as it would live)
#   --rate N     the recording served as Beast over TCP at N frames/s (the
#                agent's tcp input, as from readsb on port 30005)
# Options: --reduce-ms N (reduce_interval_ms, default 0 = full rate),
#          --recording PATH (default shared/data/long_flight.csv; CSV only).
# Needs: cargo, mosquitto, python3, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
rate=0
reduce=0
recording=${RECORDING:-../shared/data/long_flight.csv}
[ -f "$recording" ] || recording=/work/shared/data/long_flight.csv
while [ $# -gt 0 ]; do
    case $1 in
    --rate) rate=$2; shift 2 ;;
    --reduce-ms) reduce=$2; shift 2 ;;
    --recording) recording=$2; shift 2 ;;
    *) echo "usage: $0 [--rate N] [--reduce-ms N] [--recording file.csv]" >&2; exit 2 ;;
    esac
done

target=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cloudradar-agent
bin="$target/release/cloudradar-agent"

work=$(mktemp -d)
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap 'stack_stop; rm -rf "$work"' EXIT
read -r mqtt http beast closed < <(free_ports 4)

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
stack_pids+=($!)

# Frames in the recording and their size as escaped Beast (what a receiver sends).
read -r lines beast_bytes < <(python3 - "$recording" <<'PY'
import sys
n = size = 0
for line in open(sys.argv[1]):
    if "," not in line:
        continue
    raw = bytes.fromhex(line.strip().split(",", 1)[1])
    n += 1
    size += 1 + len(raw[1:]) + raw[1:].count(0x1A)
print(n, size)
PY
)

feeder=
t0=0 t1=0 c0=0 c1=0
if [ "$rate" -gt 0 ]; then
    # Serves the recording as Beast at `rate` frames/s to the first client, then exits.
    python3 - "$recording" "$beast" "$rate" >"$work/feeder.log" 2>&1 <<'PY' &
import socket, sys, time
path, port, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
frames = []
for line in open(path):
    if "," in line:
        raw = bytes.fromhex(line.strip().split(",", 1)[1])
        frames.append(b"\x1a" + raw[1:].replace(b"\x1a", b"\x1a\x1a"))
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(1)
conn, _ = srv.accept()
start = time.monotonic()
step = max(1, rate // 100)  # 10 ms slices
for i in range(0, len(frames), step):
    due = start + i / rate
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    conn.sendall(b"".join(frames[i:i + step]))
print("sent", len(frames), "in", round(time.monotonic() - start, 2), "s", flush=True)
time.sleep(1)
conn.close()
PY
    feeder=$!
    stack_pids+=("$feeder")
    input="tcp:127.0.0.1:$beast:beast"
else
    input="file:$recording:csv"
fi

# The second input never connects, so the agent keeps running (and /proc
# readable) after the recording ends; its reconnects back off to 60 s.
"$bin" --receiver-id bench --data-dir "$work/agent" \
    --mqtt-url "mqtt://127.0.0.1:$mqtt" --http-listen "127.0.0.1:$http" \
    --input "$input" --input "tcp:127.0.0.1:$closed:beast" \
    --dedup-window-ms 0 --reduce-interval-ms "$reduce" \
    2>"$work/agent.log" &
agent=$!
stack_pids+=("$agent")
wait_http "http://127.0.0.1:$http/healthz"

metric() { # sum of a metric's series in the last scrape
    awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.0f\n", s }' "$work/metrics"
}
scrape() { curl -fs "http://127.0.0.1:$http/metrics" >"$work/metrics"; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$agent/stat"; }
tck=$(getconf CLK_TCK)

# Rate mode: CPU while frames arrive (from the first frame to the feeder's end).
if [ -n "$feeder" ]; then
    for _ in $(seq 1 100); do scrape; [ "$(metric cloudradar_agent_frames_in_total)" -gt 0 ] && break; sleep 0.1; done
    t0=$(date +%s.%N); c0=$(cpu_ticks)
    wait "$feeder" || true
    t1=$(date +%s.%N); c1=$(cpu_ticks)
fi

# Done when every frame is in and every batch built is acknowledged.
for _ in $(seq 1 600); do
    scrape
    in=$(metric cloudradar_agent_frames_in_total)
    built=$(metric cloudradar_agent_batches_total)
    acked=$(metric cloudradar_agent_batches_published_total)
    if [ "$in" -ge "$lines" ] && [ "$built" -gt 0 ] && [ "$acked" -ge "$built" ]; then
        sleep 1; scrape
        [ "$(metric cloudradar_agent_batches_total)" = "$built" ] && break
    fi
    sleep 0.5
done
if [ "$in" -lt "$lines" ] || [ "$acked" -lt "$built" ]; then
    echo "agent did not finish (in $in of $lines, acked $acked of $built)" >&2
    tail "$work/agent.log" >&2
    exit 1
fi

ticks=$(cpu_ticks)
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$agent/status")
up=$(metric cloudradar_agent_upstream_bytes_total)
accepted=$(metric cloudradar_agent_frames_accepted_total)
reduced=$(metric cloudradar_agent_frames_reduced_total)

mode="file replay at full speed"
[ -n "$feeder" ] && mode="Beast over TCP at $rate frames/s"
python3 - <<PY
ticks, tck, frames = $ticks, $tck, $in
print(f"recording            $recording ($lines frames, {$beast_bytes:,} Beast bytes)")
print(f"mode                 $mode, reduce_interval_ms = $reduce")
print(f"frames in/accepted   {frames:,} / {$accepted:,} (reduced {$reduced:,})")
print(f"CPU                  {ticks / tck:.2f} s total, {ticks / tck / frames * 1e5:.3f} s per 100k frames")
print(f"peak RSS             {$hwm / 1024:.1f} MiB (VmHWM)")
print(f"upstream             {$up:,} bytes: {$up / frames:.2f} bytes/frame, {100 * $up / $beast_bytes:.1f}% of the raw Beast bytes")
if "$feeder":
    wall = $t1 - $t0
    print(f"while feeding        {($c1 - $c0) / tck:.2f} s CPU in {wall:.1f} s = {100 * ($c1 - $c0) / tck / wall:.1f}% of one core")
PY
