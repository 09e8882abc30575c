# Starting a CloudRadar stack from the shell: free ports, waiting for HTTP,
# and a simulator with one agent per simulated receiver. Sourced by
# scripts/demo.sh and the check-*.sh scripts; started processes are
# recorded in `stack_pids` and stopped by `stack_stop`.

stack_pids=()

stack_stop() {
    for pid in "${stack_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

# free_ports <n>: n distinct free TCP ports on loopback, on one line (all
# held open until chosen, so none is handed out twice).
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# wait_http <url> [tries of 0.2 s]: until the URL answers 2xx.
wait_http() {
    local url=$1 tries=${2:-150}
    for _ in $(seq 1 "$tries"); do
        if curl -fs "$url" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "no answer from $url" >&2
    return 1
}

# count_aircraft <url> <at least> <tries> [python condition on `a`]
# Polls an aircraft list (the API's or readsb's aircraft.json) every 0.3 s
# until at least that many aircraft meet the condition (default: those
# with a position), at most <tries> times; prints the last count.
count_aircraft() {
    local url=$1 want=$2 tries=$3 cond=${4:-'"lat" in a'} n=0
    for _ in $(seq 1 "$tries"); do
        n=$(curl -fs "$url" | python3 -c "import json,sys; print(sum(1 for a in json.load(sys.stdin)['aircraft'] if $cond))" || echo 0)
        if [ "$n" -ge "$want" ]; then break; fi
        sleep 0.3
    done
    echo "$n"
}

# start_sim_and_agents <bin> <dir> <aircraft> <receivers> <beast_base> <mqtt_port> [agent args...]
# Runs the simulator (receiver sim-N serves Beast on beast_base+N-1) and
# one agent per receiver, each reporting the receiver's simulated position.
start_sim_and_agents() {
    local bin=$1 dir=$2 aircraft=$3 receivers=$4 beast_base=$5 mqtt_port=$6
    shift 6
    "$bin/cloudradar-sim" --aircraft "$aircraft" --receivers "$receivers" \
        --beast-port-base "$beast_base" 2>"$dir/sim.log" >"$dir/sim.out" &
    stack_pids+=($!)
    for _ in $(seq 1 100); do
        if [ "$(grep -c '^receiver ' "$dir/sim.out" 2>/dev/null)" -ge "$receivers" ]; then break; fi
        sleep 0.1
    done
    local i port pos height
    for i in $(seq 1 "$receivers"); do
        port=$((beast_base + i - 1))
        # The simulator prints "receiver sim-N at LAT,LON height METRES: ...";
        # the agent reports that position and antenna height.
        pos=$(awk -v id="sim-$i" '$2 == id { print $4 }' "$dir/sim.out")
        height=$(awk -v id="sim-$i" '$2 == id { sub(":", "", $6); print $6 }' "$dir/sim.out")
        "$bin/cloudradar-agent" --receiver-id "sim-$i" --data-dir "$dir/agent-$i" \
            --mqtt-url "mqtt://127.0.0.1:$mqtt_port" --input "tcp:127.0.0.1:$port:beast" \
            --lat "${pos%,*}" --lon "${pos#*,}" --alt-m "$height" "$@" \
            2>"$dir/agent-$i.log" &
        stack_pids+=($!)
    done
}
