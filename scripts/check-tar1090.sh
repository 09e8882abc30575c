#!/usr/bin/env bash
# tar1090, the web UI readsb users run, against a live collector in
# headless Chromium (scripts/web/tar1090-test.mjs): it must centre on the
# configured site (receiver.json) and never show an aircraft with an ADS-B
# position as Mode S. tar1090 comes from ../shared/third-party/ (GPL-2.0,
# unmodified) and is extracted into target/, never into the repository.
# The site is set away from the simulated receivers, so centring on their
# centroid or on tar1090's default (near New York) fails.
# Needs the debug binaries (cargo test --workspace builds them).
# Usage: scripts/check-tar1090.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN_DIR:-target/debug}
shots=target/tar1090-screenshots
work=$(mktemp -d)
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap 'stack_stop; rm -rf "$work"' EXIT

archives=(../shared/third-party/tar1090-*.tar.gz)
archive=${archives[0]}
if [ ! -f "$archive" ]; then
    echo "FAIL: no tar1090 archive in ../shared/third-party/" >&2
    exit 1
fi
html=target/third-party/tar1090/html
if [ ! -f "$html/index.html" ]; then
    mkdir -p target/third-party
    tar -xzf "$archive" -C target/third-party
fi

scripts/web/install-chromium.sh >/dev/null
export npm_config_cache="$PWD/target/npm-cache"
if [ ! -d scripts/web/node_modules/playwright-core ]; then
    npm ci --prefix scripts/web --no-audit --no-fund --silent
fi

# The simulator's airport is 52.3086,4.7639; the site is 40 km south-east.
site_lat=52.0
site_lon=5.0
read -r mqtt http beast < <(free_ports 3)
"$bin/cloudradar-collector" --data-dir "$work/collector" \
    --http-listen "127.0.0.1:$http" --mqtt-listen "127.0.0.1:$mqtt" --allow-anonymous true \
    --site-lat "$site_lat" --site-lon "$site_lon" \
    >"$work/collector.log" 2>&1 &
stack_pids+=($!)
wait_http "http://127.0.0.1:$http/readyz"
start_sim_and_agents "$bin" "$work" 150 2 "$beast" "$mqtt"

n=$(count_aircraft "http://127.0.0.1:$http/data/aircraft.json" 20 100)
echo "==> $n aircraft with positions; running tar1090"
node scripts/web/tar1090-test.mjs "http://127.0.0.1:$http" "$html" "$site_lat" "$site_lon" "$shots"
