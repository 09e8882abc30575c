#!/usr/bin/env bash
# Upstream bytes of cloudradar-agent on live traffic (issue 5 target: at
# most 25 % of the raw Beast bytes at full rate). The recordings in
# shared/data are slow (a few dozen frames/s), so their 12 MHz timestamps
# jump by millions of ticks between frames; a busy receiver's do not. Here
# the simulator serves one receiver's Beast stream at the rate its traffic
# makes, a counting relay measures the Beast bytes on the wire, and the
# agent (full rate by default) publishes to Mosquitto; the script prints
# Beast bytes in, upstream bytes out (the wire payload,
# cloudradar_agent_upstream_bytes_total) and their ratio.
# Usage: scripts/bench/agent-upstream-live.sh [--aircraft N] [--seconds S] [--reduce-ms N]
# Needs: cargo, mosquitto, python3, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
aircraft=800
seconds=60
reduce=0
while [ $# -gt 0 ]; do
    case $1 in
    --aircraft) aircraft=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --reduce-ms) reduce=$2; shift 2 ;;
    *) echo "usage: $0 [--aircraft N] [--seconds S] [--reduce-ms N]" >&2; exit 2 ;;
    esac
done
target=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p cloudradar-agent -p cloudradar-sim
bin="$target/release"
work=$(mktemp -d)
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap 'stack_stop; rm -rf "$work"' EXIT
read -r mqtt http beast relay < <(free_ports 4)

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
stack_pids+=($!)
"$bin/cloudradar-sim" --aircraft "$aircraft" --receivers 1 --beast-port-base "$beast" \
    >"$work/sim.out" 2>"$work/sim.log" &
stack_pids+=($!)
for _ in $(seq 1 300); do grep -q '^receiver ' "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
# Relay: receiver -> agent, counting bytes into $work/beast-bytes every second.
python3 - "$beast" "$relay" "$work/beast-bytes" <<'PY' &
import asyncio, sys
up, port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
total = 0
async def pipe(reader, writer):
    global total
    while data := await reader.read(65536):
        total += len(data)
        writer.write(data)
        await writer.drain()
async def serve(r, w):
    while True:
        try:
            ur, _ = await asyncio.open_connection("127.0.0.1", up)
            break
        except OSError:
            await asyncio.sleep(0.1)
    await pipe(ur, w)
async def report():
    while True:
        await asyncio.sleep(1)
        open(out, "w").write(str(total))
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    await asyncio.gather(server.serve_forever(), report())
asyncio.run(main())
PY
stack_pids+=($!)
"$bin/cloudradar-agent" --receiver-id live --data-dir "$work/agent" \
    --mqtt-url "mqtt://127.0.0.1:$mqtt" --http-listen "127.0.0.1:$http" \
    --input "tcp:127.0.0.1:$relay:beast" --reduce-interval-ms "$reduce" 2>"$work/agent.log" &
stack_pids+=($!)
wait_http "http://127.0.0.1:$http/healthz"
metric() { curl -fs "http://127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
sleep 10 # traffic comes into range, the first batches settle
b0=$(cat "$work/beast-bytes"); u0=$(metric cloudradar_agent_upstream_bytes_total)
f0=$(metric cloudradar_agent_frames_accepted_total)
sleep "$seconds"
b1=$(cat "$work/beast-bytes"); u1=$(metric cloudradar_agent_upstream_bytes_total)
f1=$(metric cloudradar_agent_frames_accepted_total)
python3 - <<PY
beast, up, frames, secs = $b1 - $b0, $u1 - $u0, $f1 - $f0, $seconds
print(f"simulator, $aircraft aircraft, one receiver, {secs} s, reduce_interval_ms = $reduce")
print(f"Beast in     {beast:,} bytes, {frames / secs:,.0f} frames/s accepted, {beast / max(frames, 1):.2f} bytes/frame")
print(f"upstream     {up:,} bytes: {up / max(frames, 1):.2f} bytes/frame = {100 * up / max(beast, 1):.1f}% of the Beast bytes")
PY
