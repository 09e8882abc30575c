#!/usr/bin/env bash
# Backup and restore times for a database of a given size (default 1 GB):
# builds a collector database of realistic rows (positions, messages,
# receptions) with SQLite itself, then times `cloudradar-collector backup`
# to a local S3 server (s3s-fs, from target/tools) and `restore --latest`
# into an empty directory, and checks the row counts match.
# Usage: scripts/bench/backup-restore.sh [size-MB] (BIN_DIR=target/release by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mb=${1:-1000}
bin=${BIN_DIR:-target/release}
[ -x "$bin/cloudradar-collector" ] || cargo build --release --locked -p cloudradar-collector
# shellcheck source=scripts/lib/install.sh
source scripts/lib/install.sh
cargo_tool s3s-fs s3s-fs@0.14.1 --features binary
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
work=$(mktemp -d -p "${TMPDIR:-/tmp}")
trap 'stack_stop; rm -rf "$work"' EXIT
read -r s3_port < <(free_ports 1)
mkdir -p "$work/s3/backups" "$work/source"
target/tools/bin/s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key k --secret-key secret-key "$work/s3" >/dev/null 2>&1 &
stack_pids+=($!)

echo "==> building a ${size_mb} MB database"
# The collector creates the schema (migrations); SQLite fills it.
python3 - "$work/source/cloudradar.sqlite" "$size_mb" "$bin/cloudradar-collector" "$work/source" <<'PY'
import os, sqlite3, subprocess, sys, time
db, size_mb, collector, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
# Let the collector create and migrate the database, then stop it.
p = subprocess.Popen([collector, "--data-dir", data, "--http-listen", "127.0.0.1:0", "--mqtt-listen", "127.0.0.1:0"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    if os.path.exists(db):
        time.sleep(1.0)
        break
    time.sleep(0.1)
p.terminate(); p.wait()
c = sqlite3.connect(db)
c.execute("PRAGMA journal_mode=WAL")
step = 500_000
rows = 0
while os.path.getsize(db) < size_mb * 1_000_000:
    c.execute("""WITH RECURSIVE n(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM n WHERE x < ?)
      INSERT INTO positions (icao, time_ms, lat, lon, alt_baro, gs, track, receivers)
      SELECT x % 5000, 1795600000000 + x * 100, 50 + (random() % 1000) / 1000.0,
             5 + (random() % 1000) / 1000.0, x % 40000, 450.5, x % 360, 1 FROM n""", (rows + 1, rows + step))
    c.execute("""WITH RECURSIVE n(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM n WHERE x < ?)
      INSERT INTO messages (id, time_ms, icao, df, raw, receivers)
      SELECT x, 1795600000000 + x * 10, x % 5000, 17, randomblob(14), 1 FROM n""", (rows + 1, rows + step // 5))
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    rows += step
print(f"rows: {rows} positions, {rows // 5} messages; {os.path.getsize(db) / 1e6:.0f} MB")
PY

export AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=secret-key AWS_EC2_METADATA_DISABLED=true
args=(--backup-bucket backups --backup-endpoint "http://127.0.0.1:$s3_port" --backup-path-style true)
echo "==> backup"
start=$(date +%s%N)
"$bin/cloudradar-collector" --data-dir "$work/source" "${args[@]}" backup >"$work/backup.json"
backup_ms=$((($(date +%s%N) - start) / 1000000))
echo "==> restore into an empty directory"
start=$(date +%s%N)
"$bin/cloudradar-collector" --data-dir "$work/restored" "${args[@]}" restore --latest >"$work/restore.json"
restore_ms=$((($(date +%s%N) - start) / 1000000))
count() { python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('SELECT (SELECT count(*) FROM positions), (SELECT count(*) FROM messages)').fetchone())" "$1"; }
a=$(count "$work/source/cloudradar.sqlite"); b=$(count "$work/restored/cloudradar.sqlite")
[ "$a" = "$b" ] || { echo "row counts differ: $a vs $b"; exit 1; }
python3 - "$work/backup.json" "$backup_ms" "$restore_ms" "$a" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"database {r['raw_bytes'] / 1e6:.0f} MB, uploaded {r['bytes'] / 1e6:.0f} MB (zstd), rows {sys.argv[4]}")
print(f"backup  {int(sys.argv[2]) / 1000:.1f} s (snapshot + compression + multipart upload)")
print(f"restore {int(sys.argv[3]) / 1000:.1f} s (download + SHA-256 + decompression + integrity check)")
PY
