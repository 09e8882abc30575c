#!/usr/bin/env bash
# Parquet archive benchmark (issue 20): what archiving costs and what it
# saves, at the 100,000 frames/s design load.
#
# 1. Ingest: the release collector (embedded broker and queue) takes
#    real frames (long_flight.csv, each virtual receiver its own part of
#    the recording) from the load generator at RATE frames/s for DURATION s.
# 2. Archive: the collector is stopped and `cloudradar-collector archive
#    --all` writes every position to a local S3 server (s3s-fs); its CPU
#    time (user + system) and the Parquet bytes are measured. The
#    database as ingested is kept as OUT/ingested.sqlite, for timing the
#    archive pass of two builds on copies of the same data.
# 3. Sizes: SQLite bytes per position (the positions table and its three
#    indexes, from SQLite's dbstat) against Parquet bytes per position.
# 4. Queries: DuckDB over HOURS hours (a day by default) of positions at
#    the larger of the measured and the real-speed position rate (the
#    archived sample repeated with shifted addresses and times,
#    hive-partitioned, on local disk): "every position of one aircraft
#    on one day" and "positions per hour over a day", timed (scaled
#    linearly to 24 hours when HOURS is not 24).
#
# Prints: positions/s at RATE, archive CPU seconds per million positions,
# the share of one core archiving takes at RATE (target <= 5 %), bytes
# per position in SQLite and Parquet (target Parquet <= 25 % of SQLite),
# and the DuckDB times.
#
# Settings (environment): RATE (100000), DURATION (60), RECEIVERS (20),
# HOURS (24), OUT (target/bench/archive-<time>), BIN (target/release).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
rate=${RATE:-100000}
duration=${DURATION:-60}
receivers=${RECEIVERS:-20}
hours=${HOURS:-24}
out=${OUT:-target/bench/archive-$(date +%Y%m%d-%H%M%S)}
bin=${BIN:-${CARGO_TARGET_DIR:-target}/release}

if [ ! -x "$bin/cloudradar-collector" ] || [ ! -x "$bin/examples/loadgen" ]; then
    echo "==> building the collector and the load generator (release)"
    cargo build --release --locked -p cloudradar-collector --bin cloudradar-collector --example loadgen
fi
# shellcheck source=scripts/lib/install.sh
source scripts/lib/install.sh
cargo_tool s3s-fs s3s-fs@0.14.1 --features binary
python_venv duckdb==1.4.4
# shellcheck source=scripts/lib/stack.sh
source scripts/lib/stack.sh
trap stack_stop EXIT INT TERM
mkdir -p "$out/s3/history"
out=$(cd "$out" && pwd)
read -r mqtt_port http_port s3_port < <(free_ports 3)

echo "==> 1. ingest: $rate frames/s for ${duration}s ($out)"
RUST_LOG=info,rumqttd=warn "$bin/cloudradar-collector" --data-dir "$out/collector" \
    --http-listen "127.0.0.1:$http_port" --mqtt-listen "127.0.0.1:$mqtt_port" \
    --allow-anonymous true 2>"$out/collector.log" &
collector_pid=$!
stack_pids+=("$collector_pid")
wait_http "http://127.0.0.1:$http_port/readyz" 150
per_receiver=$(python3 -c "print($rate / $receivers)")
"$bin/examples/loadgen" --port "$mqtt_port" --receivers "$receivers" --rate "$per_receiver" \
    --duration "$duration" --drain 30 --recording "$root/../shared/data/long_flight.csv" \
    >"$out/loadgen.json" 2>"$out/loadgen.log"
stored() {
    curl -fs "http://127.0.0.1:$http_port/metrics" \
        | awk '/^cloudradar_collector_frames_stored_total/ {s+=$2} END {printf "%d", s}'
}
acked=$(python3 -c "import json;print(json.load(open('$out/loadgen.json'))['acked_frames'])")
for _ in $(seq 1 120); do [ "$(stored)" -ge "$acked" ] && break; sleep 1; done
frames=$(stored)
kill -TERM "$collector_pid"; wait "$collector_pid" 2>/dev/null || true
# The ingested database as it was before archiving, so archive passes of
# two builds can be timed on copies of the same data.
cp "$out/collector/cloudradar.sqlite" "$out/ingested.sqlite"

echo "==> 2. archive --all to s3s-fs"
target/tools/bin/s3s-fs --host 127.0.0.1 --port "$s3_port" --access-key k --secret-key secret-key \
    "$out/s3" >/dev/null 2>&1 &
stack_pids+=($!)
wait_http "http://127.0.0.1:$s3_port/" 50 || true
python3 - "$bin/cloudradar-collector" "$out" "$s3_port" >"$out/archive.json" <<'PY'
import json, os, resource, subprocess, sys, time
collector, out, port = sys.argv[1:]
env = dict(os.environ, AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="secret-key",
           AWS_EC2_METADATA_DISABLED="true", RUST_LOG="warn")
started = time.monotonic()
p = subprocess.run([collector, "--data-dir", f"{out}/collector", "--backup-bucket", "history",
                    "--backup-endpoint", f"http://127.0.0.1:{port}", "--backup-path-style", "true",
                    "--archive", "true", "archive", "--all"],
                   env=env, capture_output=True, text=True, check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
report = json.loads(p.stdout)
report["wall_s"] = round(time.monotonic() - started, 3)
report["cpu_s"] = round(r.ru_utime + r.ru_stime, 3)
print(json.dumps(report))
PY

echo "==> 3. sizes, 4. DuckDB"
target/venv/bin/python - "$out" "$rate" "$duration" "$frames" "$hours" "$root" <<'PY' | tee "$out/summary.txt"
import glob, json, os, sqlite3, sys, time
import duckdb
out, rate, duration, frames, hours = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
root = sys.argv[6]
a = json.load(open(f"{out}/archive.json"))
db = sqlite3.connect(f"{out}/collector/cloudradar.sqlite")
def count(t):
    return db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
def pages(names):
    return db.execute(f"SELECT sum(pgsize) FROM dbstat WHERE name IN {names}").fetchone()[0]
def parquet_bytes(table):
    return sum(os.path.getsize(f) for f in glob.glob(f"{out}/s3/history/archive/{table}/*/*/*.parquet"))
positions, receptions, flights = count("positions"), count("receptions"), count("flights")
assert a["rows"] == positions + receptions + flights, (a, positions, receptions, flights)
# Every position message of the recording stored as a position: the most
# positions per frame a sky at real speed gives (the load generator's sky
# runs faster than real, so most of its positions fail the speed check).
pos_msgs = 0
total = 0
for line in open(os.path.join(root, "..", "shared", "data", "long_flight.csv")):
    msg = line.strip().split(",")[1][18:]
    total += 1
    if int(msg[0:2], 16) >> 3 in (17, 18) and len(msg) == 28:
        tc = int(msg[8:10], 16) >> 3
        pos_msgs += 5 <= tc <= 18 or 20 <= tc <= 22
bound = pos_msgs / total
traffic_s = frames / rate
w = 56
print(f"{'frames stored, receptions, positions':<{w}} {frames:,}, {receptions:,}, {positions:,}")
print(f"{'archive --all: rows, bytes, CPU s, wall s':<{w}} {a['rows']:,}, {a['bytes']:,}, {a['cpu_s']}, {a['wall_s']}")
print(f"{'archive CPU per million rows':<{w}} {a['cpu_s'] / a['rows'] * 1e6:.2f} s")
print(f"{'archiving share of one core at ' + format(rate, ',') + ' frames/s':<{w}} {100 * a['cpu_s'] / traffic_s:.1f} % (target <= 5 %)")
print(f"{'  positions at real speed (<= ' + format(bound, '.3f') + ' per frame)':<{w}} {bound * rate:,.0f} positions/s")
for table, idx in [("positions", ("positions", "positions_icao_time", "positions_time", "positions_area")),
                   ("receptions", ("receptions", "receptions_message", "receptions_time"))]:
    n = count(table)
    sq, pq = pages(idx) / n, parquet_bytes(table) / n
    print(f"{table + ': SQLite / Parquet bytes per row':<{w}} {sq:.1f} / {pq:.1f} ({100 * pq / sq:.1f} %; target <= 25 %)")
msg_bytes = pages(("messages", "messages_time")) / receptions
print(f"{'  (messages, per reception, in SQLite besides)':<{w}} {msg_bytes:.1f}")
pos_rate = max(positions / traffic_s, bound * rate)
# HOURS at the larger of the measured position rate and the real-speed
# bound: the sample repeated `replicas` times per window (addresses
# shifted, so each replica is other aircraft) and `copies` windows on
# make one hour, sorted by time once; every hour of the day is that hour
# with its times shifted, written as its own Hive partition (no sort of
# the whole day).
src = glob.glob(f"{out}/s3/history/archive/positions/*/*/*.parquet")
con = duckdb.connect()
con.execute(f"CREATE TABLE sample AS SELECT * EXCLUDE (time, time_ms), time_ms - min(time_ms) OVER () AS t FROM read_parquet({src!r})")
n = con.execute("SELECT count(*) FROM sample").fetchone()[0]
replicas = max(1, round(pos_rate * duration / n))
span_ms = max(1, int(duration * 1000))
copies = int(3600 / duration)
day_dir = f"{out}/day"
day_start_ms = 1798761600000  # 2027-01-01T00:00Z
started = time.monotonic()
con.execute(f"""CREATE TABLE one_hour AS
    SELECT s.* EXCLUDE (t, icao24),
           lpad(lower(hex((('0x' || s.icao24)::INTEGER + k * 65537) % 16777216)), 6, '0') AS icao24,
           c * {span_ms} + s.t AS t
    FROM sample s, range({copies}) w(c), range({replicas}) r(k)
    WHERE c * {span_ms} + s.t < 3600000 ORDER BY t""")
per_hour = con.execute("SELECT count(*) FROM one_hour").fetchone()[0]
for h in range(hours):
    at = day_start_ms + h * 3_600_000
    date = time.strftime("%Y-%m-%d", time.gmtime(at / 1000))
    os.makedirs(f"{day_dir}/date={date}/hour={h % 24}", exist_ok=True)
    con.execute(f"""COPY (SELECT * EXCLUDE (t), {at} + t AS time_ms, ({at} + t) // 1000 AS time FROM one_hour)
        TO '{day_dir}/date={date}/hour={h % 24}/positions.parquet' (FORMAT parquet, COMPRESSION zstd)""")
gen_s = time.monotonic() - started
total = per_hour * hours
size = sum(os.path.getsize(f) for f in glob.glob(f"{day_dir}/*/*/*.parquet"))
print(f"{'DuckDB data: hours, positions/s, positions, bytes':<{w}} {hours}, {total / 3600 / hours:,.0f}, {total:,}, {size:,} (made in {gen_s:.0f} s)")
icao = con.execute("SELECT icao24 FROM sample GROUP BY icao24 ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
glob_day = f"{day_dir}/*/*/*.parquet"
def timed(sql):
    best = None
    for _ in range(3):
        t = time.monotonic()
        res = con.execute(sql).fetchall()
        best = min(best or 1e9, time.monotonic() - t)
    return best, res
t1, r1 = timed(f"SELECT count(*) FROM read_parquet('{glob_day}', hive_partitioning = true) WHERE icao24 = '{icao}'")
t2, r2 = timed(f"SELECT hour, count(*) FROM read_parquet('{glob_day}', hive_partitioning = true) GROUP BY hour ORDER BY hour")
scale = 24 / hours
print(f"{'DuckDB: one aircraft, ' + str(hours) + ' h (' + format(r1[0][0], ',') + ' rows)':<{w}} {t1:.3f} s  -> a day: ~{t1 * scale:.1f} s")
print(f"{'DuckDB: positions per hour, ' + str(hours) + ' h':<{w}} {t2:.3f} s  -> a day: ~{t2 * scale:.1f} s")
print(f"{'(DuckDB threads, machine cores)':<{w}} {con.execute('SELECT current_setting(' + repr('threads') + ')').fetchone()[0]}, {os.cpu_count()}")
PY
