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
# frame of the recordings at 100,000 frames/s), then, RUNS times in turn:
# every hour of the receptions read back from SQLite (the release
# `archive_write` example), the same receptions through the spool
# (`archive_spool`: the batches are loaded first, and only the spool's own
# thread is timed), and the positions and flights read back.
#
# Prints: rows and bytes per table, the median CPU seconds (user + system)
# of each, the spool's CPU over the read-back's pair by pair, and the
# archive's share of one core at the ingest's rate (the database's
# receptions over DURATION seconds) with receptions read back and spooled.
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

if [ ! -x "$bin/examples/archive_write" ] || [ ! -x "$bin/examples/archive_spool" ]; then
    echo "==> building archive_write and archive_spool (release)"
    cargo build --release --locked -p cloudradar-collector --example archive_write --example archive_spool
fi

echo "==> positions at $positions_per_s/s: $work/real-speed.sqlite"
python3 - "$ingested" "$work/real-speed.sqlite" "$positions_per_s" "$duration" <<'PY'
import os, shutil, sqlite3, sys
src, dst, per_s, duration = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
# A write-ahead log left beside an older copy would be read as this one's.
for stale in (dst + "-wal", dst + "-shm"):
    if os.path.exists(stale):
        os.remove(stale)
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

echo "==> receptions read back (archive_write) and spooled (archive_spool), $runs pairs"
python3 - "$bin/examples" "$work/real-speed.sqlite" "$work/writers-out" "$runs" "$duration" <<'PY'
import json, os, resource, statistics, subprocess, sys
bin, db, out, runs, duration = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])

def cpu_of(args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(args, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, json.loads(p.stdout)

write = lambda table: [f"{bin}/archive_write", "--database", db, "--out", out, "--table", table]
spool = [f"{bin}/archive_spool", "--database", db, "--out", os.path.join(out, "spool")]
back, spooled, others, ratios = [], [], [], []
for _ in range(runs):
    b, report = cpu_of(write("receptions"))
    # The spool's own CPU (its thread), without loading the batches.
    _, s = cpu_of(spool)
    o, rest = cpu_of(write("positions,flights"))
    back.append(b); spooled.append(s["cpu_s"]); others.append(o); ratios.append(s["cpu_s"] / b)
    report.update(rest)
for table, r in report.items():
    print(f"{table:<12} {r['rows']:>12,} rows {r['bytes']:>14,} bytes")
print(f"spooled receptions: {s['rows']:,} rows {s['bytes']:,} bytes")
med = statistics.median
print(f"receptions read back, CPU s: {', '.join(f'{c:.2f}' for c in back)} (median {med(back):.2f})")
print(f"receptions spooled, CPU s:   {', '.join(f'{c:.2f}' for c in spooled)} (median {med(spooled):.2f})")
print(f"spooled / read back, per pair: median {med(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})")
print(f"positions and flights read back, CPU s: median {med(others):.2f}")
for name, total in [("read back", med(back) + med(others)), ("spooled", med(spooled) + med(others))]:
    print(f"archive with receptions {name}: {total:.2f} s = {100 * total / duration:.1f} % of one core "
          f"for {duration:.0f} s of traffic (target <= 5 %)")
PY
