#!/usr/bin/env bash
# Runs every fuzz target for a while (default 60 s each) with a seed corpus
# made from the real recordings. Needs cargo-fuzz (installed when missing);
# the stable toolchain is used with RUSTC_BOOTSTRAP=1 for the sanitizer flags.
# Usage: scripts/fuzz.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
data=../shared/data
corpus=fuzz/corpus
mkdir -p "$corpus"/{beast_stream,avr_stream,csv_line,decode_frame,wire_batch,done_message,mqtt_url}
# Seeds: slices of the recordings in each target's format.
head -c 4000 "$data/lax-messages.txt" > "$corpus/avr_stream/lax"
head -n 50 "$data/long_flight.csv" | tail -n 1 > "$corpus/csv_line/one"
python3 - "$data/long_flight.csv" "$corpus" <<'PY'
import sys
lines = [l.strip().split(",")[1] for l in open(sys.argv[1]).readlines()[:200]]
open(sys.argv[2] + "/beast_stream/long_flight", "wb").write(b"".join(bytes.fromhex(h).replace(b"\x1a", b"\x1a\x1a").replace(b"\x1a\x1a", b"\x1a", 1) for h in lines))
open(sys.argv[2] + "/decode_frame/long_flight", "wb").write(b"".join(bytes.fromhex(h[18:]).ljust(14, b"\0") for h in lines))
PY
# Real batches in both wire versions (without them the fuzzer never gets
# past the header checks).
cargo run -q -p cloudradar-shared --example wire_seeds -- "$data/long_flight.csv" "$corpus/wire_batch"
# A confirmation of batches 1-3 and 7.
printf 'CRD\x01\x02\x01\x02\x07\x00' >"$corpus/done_message/seed"
# Broker URLs in each form the parser reads.
printf 'mqtts://b:8883' >"$corpus/mqtt_url/mqtts"
printf 'mqtt://[::1]:1884/' >"$corpus/mqtt_url/ipv6"
printf 'broker.local' >"$corpus/mqtt_url/bare"
for t in beast_stream avr_stream csv_line decode_frame wire_batch done_message mqtt_url; do
    echo "==> $t for ${secs}s"
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs")
done
