#!/usr/bin/env bash
# Browser test of the dashboard: starts the collector (the dashboard embedded
# in it; basic auth configured with public read, as a public demo runs),
# the simulator with four overlapping receivers and one agent each, then
# drives Debian's headless Chromium through scripts/web/browser-test.mjs:
# aircraft on the map and in the table, details on click, the receivers
# page, history replay, a phone-sized layout, no external requests, no
# console errors. Then multilateration through that real pipeline:
# aircraft.json must list MLAT aircraft, and scripts/web/source-test.mjs
# checks that the dashboard outlines them and names their source.
# Then a second collector that accepts bearer tokens only (no basic users,
# no public read), driven through scripts/web/token-test.mjs: sign in with
# the token, aircraft on the map and in the table, the live stream read
# with fetch (EventSource cannot send the header) delivers updates.
# Last, scripts/web/source-test.mjs on the dev server's synthetic feed:
# multilaterated aircraft outlined, the details panel naming each source.
# Screenshots go to target/dashboard-screenshots/.
# Needs the debug binaries (cargo test --workspace builds them).
# Usage: scripts/check-dashboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN_DIR:-target/debug}
shots=target/dashboard-screenshots
work=$(mktemp -d)
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap 'stack_stop; rm -rf "$work"' EXIT

scripts/web/install-chromium.sh >/dev/null
# npm's cache stays inside the repository.
export npm_config_cache="$PWD/target/npm-cache"
if [ ! -d scripts/web/node_modules/playwright-core ]; then
    npm ci --prefix scripts/web --no-audit --no-fund --silent
fi

read -r mqtt http beast < <(free_ports 3)
"$bin/cloudradar-collector" --data-dir "$work/collector" \
    --http-listen "127.0.0.1:$http" --mqtt-listen "127.0.0.1:$mqtt" --allow-anonymous true \
    --http-basic-users "ops:dashboard-check-pw" --http-public-read true \
    >"$work/collector.log" 2>&1 &
stack_pids+=($!)
wait_http "http://127.0.0.1:$http/readyz"
# Four receivers with overlapping coverage, as the demo has, so that the
# aircraft without ADS-B are multilaterated.
start_sim_and_agents "$bin" "$work" 150 4 "$beast" "$mqtt"

# Let positions, flights and a first per-minute rate accumulate.
n=$(count_aircraft "http://127.0.0.1:$http/api/v1/aircraft" 20 100)
echo "==> $n aircraft with positions; running the browser test"
rm -rf "$shots"
node scripts/web/browser-test.mjs "http://127.0.0.1:$http" "$shots" sim-1,sim-2,sim-3,sim-4

# Multilateration through the real pipeline (agents' Beast timestamps,
# broker, collector): aircraft.json must show MLAT aircraft, and the
# dashboard must draw them as such.
mlat=$(count_aircraft "http://127.0.0.1:$http/data/aircraft.json" 1 200 'a.get("type") == "mlat" and "lat" in a')
echo "==> $mlat aircraft multilaterated (type mlat in /data/aircraft.json)"
if [ "$mlat" -lt 1 ]; then
    echo "FAIL: no multilaterated aircraft within 60 s from 4 receivers" >&2
    curl -fs "http://127.0.0.1:$http/metrics" | grep '^cloudradar_mlat' >&2 || true
    exit 1
fi
node scripts/web/source-test.mjs "$shots" "http://127.0.0.1:$http"

# Token-only collector: its own simulator and agent. The token is passed in
# the environment, never on a command line or in a URL.
token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
mkdir -p "$work/token"
read -r mqtt2 http2 beast2 < <(free_ports 3)
CLOUDRADAR_HTTP_AUTH_TOKENS=$token "$bin/cloudradar-collector" --data-dir "$work/token/collector" \
    --http-listen "127.0.0.1:$http2" --mqtt-listen "127.0.0.1:$mqtt2" --allow-anonymous true \
    >"$work/token/collector.log" 2>&1 &
stack_pids+=($!)
wait_http "http://127.0.0.1:$http2/readyz"
start_sim_and_agents "$bin" "$work/token" 40 1 "$beast2" "$mqtt2"
for _ in $(seq 1 100); do
    n=$(curl -fs -H @- "http://127.0.0.1:$http2/api/v1/aircraft" <<<"Authorization: Bearer $token" |
        python3 -c 'import json,sys; print(sum(1 for a in json.load(sys.stdin)["aircraft"] if "lat" in a))' || echo 0)
    if [ "$n" -ge 5 ]; then break; fi
    sleep 0.3
done
echo "==> token-only collector: $n aircraft with positions; running the token browser test"
DASHBOARD_TOKEN=$token node scripts/web/token-test.mjs "http://127.0.0.1:$http2" "$shots"
if grep -qF "$token" "$work/token/collector.log"; then
    echo "FAIL: the token appears in the collector log" >&2
    exit 1
fi
echo "==> position sources (MLAT outline, details source) on the synthetic feed"
node scripts/web/source-test.mjs "$shots"
