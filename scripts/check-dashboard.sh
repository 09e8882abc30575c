#!/usr/bin/env bash
# Browser test of the dashboard: starts the collector (the dashboard embedded
# in it; basic auth configured with public read, as a public demo runs),
# the simulator with three receivers and one agent each, then drives
# Debian's headless Chromium through scripts/web/browser-test.mjs: aircraft
# on the map and in the table, details on click, the receivers page, history
# replay, a phone-sized layout, no external requests, no console errors.
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
start_sim_and_agents "$bin" "$work" 150 3 "$beast" "$mqtt"

# Let positions, flights and a first per-minute rate accumulate.
for _ in $(seq 1 100); do
    n=$(curl -fs "http://127.0.0.1:$http/api/v1/aircraft" | python3 -c 'import json,sys; print(sum(1 for a in json.load(sys.stdin)["aircraft"] if "lat" in a))')
    if [ "$n" -ge 20 ]; then break; fi
    sleep 0.3
done
echo "==> $n aircraft with positions; running the browser test"
rm -rf "$shots"
node scripts/web/browser-test.mjs "http://127.0.0.1:$http" "$shots" sim-1,sim-2,sim-3
