#!/usr/bin/env bash
# Multilateration benchmark (issue 18) against the simulator's truth:
# collector/examples/mlat_bench.rs runs deploy/docker/sim-mlat.toml (six
# receivers about 100 km apart, own 12 MHz clocks, 15 % Mode S-only
# aircraft) through two collector processors, with and without the
# engine, and scores every fix of a Mode S-only aircraft.
#
# Variants: the scenario's mixed clocks with 6, 5 and 4 receivers, every
# receiver of the dump1090 class, every receiver of the Beast class.
# Prints one JSON line per variant (median/RMS/p95 2D error in metres for
# aircraft heard by at least 4 receivers, share tracked within 30 s, CPU
# per 100 multilaterated aircraft as a percentage of one core).
#
# Settings (environment): SECONDS_SIM (600), BIN (target/release/examples).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${SECONDS_SIM:-600}
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release/examples}
if [ ! -x "$bin/mlat_bench" ]; then
    cargo build --release --locked -p cloudradar-collector --example mlat_bench
fi
for variant in "--receivers 6" "--receivers 5" "--receivers 4" "--clock dump1090" "--clock beast"; do
    # shellcheck disable=SC2086 # the variant is two words on purpose
    "$bin/mlat_bench" --seconds "$seconds" $variant
done
