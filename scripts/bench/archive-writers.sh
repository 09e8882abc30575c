#!/usr/bin/env bash
# What the archive's part writers cost alone (issue 20), on a database
# `scripts/bench/archive.sh` ingested (OUT/ingested.sqlite): no S3, no
# ledger, so no row is changed and two builds can take turns on the same
# file (opening it migrates an older schema: a build with an older schema
# needs its own copy).
#
# The load generator's sky runs faster than real, so most of its positions
# fail the speed check. This script first copies the database with its
# positions (and their flights) repeated under shifted addresses until
# they reach the real-speed bound (POSITIONS_PER_S, 7,500/s: 0.075 per
# frame of the recordings at 100,000 frames/s), then writes every hour of
# every table RUNS times with the release `archive_write` example.
#
# Prints: rows per table, the median CPU seconds (user + system) of the
# runs, and the share of one core that is at the ingest's rate (the
# database's receptions over DURATION seconds).
#
# Usage: scripts/bench/archive-writers.sh OUT/ingested.sqlite
# Settings (environment): DURATION (60, as archive.sh ingested),
# POSITIONS_PER_S (7500), RUNS (5), BIN (target/release).
set -euo pipefail
cd "$(dirname "$0")/../.."
ingested=${1:?usage: $0 OUT/ingested.sqlite}
duration=${DURATION:-60}
positions_per_s=${POSITIONS_PER_S:-7500}
runs=${RUNS:-5}
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release}
work=$(dirname "$ingested")

if [ ! -x "$bin/examples/archive_write" ]; then
    echo "==> building archive_write (release)"
    cargo build --release --locked -p cloudradar-collector --example archive_write
fi

echo "==> positions at $positions_per_s/s: $work/real-speed.sqlite"
python3 - "$ingested" "$work/real-speed.sqlite" "$positions_per_s" "$duration" <<'PY'
import shutil, sqlite3, sys
src, dst, per_s, duration = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
shutil.copy(src, dst)
db = sqlite3.connect(dst)
have = db.execute("SELECT count(*) FROM positions").fetchone()[0]
copies = max(1, round(per_s * duration / max(have, 1)))
for table in ("positions", "flights"):
    cols = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
    shifted = ", ".join("(icao + ?1 * 65537) % 16777216" if c == "icao" else c for c in cols)
    db.execute(f"CREATE TEMP TABLE base_{table} AS SELECT * FROM {table}")
    for k in range(1, copies):
        db.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {shifted} FROM base_{table}", (k,))
# The writer's tally, as if the copies had been inserted by it.
db.execute("""UPDATE archive_hours SET
    max_rowid = (SELECT max(rowid) FROM positions WHERE time_ms / 3600000 = hour),
    rows = (SELECT count(*) FROM positions WHERE time_ms / 3600000 = hour)
    WHERE tbl = 'positions'""")
db.commit()
print(f"positions {have:,} x {copies} = {have * copies:,}")
PY

echo "==> archive_write, $runs runs"
python3 - "$bin/examples/archive_write" "$work/real-speed.sqlite" "$work/writers-out" "$runs" "$duration" <<'PY'
import json, os, resource, statistics, subprocess, sys
exe, db, out, runs, duration = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
cpu, report = [], None
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run([exe, "--database", db, "--out", out], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    report = json.loads(p.stdout)
for table, r in report.items():
    print(f"{table:<12} {r['rows']:>12,} rows {r['bytes']:>14,} bytes")
median = statistics.median(cpu)
print(f"CPU s per run: {', '.join(f'{c:.2f}' for c in cpu)} (median {median:.2f})")
print(f"share of one core for {duration:.0f} s of traffic: {100 * median / duration:.1f} % (target <= 5 %)")
PY
