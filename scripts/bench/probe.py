#!/usr/bin/env python3
"""Samples a running collector once a second and summarises a load run.

  probe.py sample --http PORT --pid PID [--redis-port P --redis-pid PID]
                  [--loadgen-pid PID] --out FILE --seconds N
      Appends one JSON object per second to FILE: selected collector
      metrics (counters, gauges, histogram buckets), the Redis stream
      length, CPU ticks of the collector (per thread), Redis and the load
      generator, and the collector's VmRSS/VmHWM.

  probe.py report --samples FILE --from T0 --to T1 [--target 100000]
                  [--offered R] [--loadgen FILE]
      Prints a summary of the window [T0, T1] (seconds since the first
      sample): stored frames/s, batch lag p50/p99 (from the histogram's
      bucket deltas, interpolated as Prometheus' histogram_quantile does),
      SQLite commit and processing p50/p99, Redis backlog, CPU per process
      and per collector thread, peak RSS, and the ratio to the target.
      Also writes the summary as JSON next to the samples (FILE.summary.json).

Standard library only.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

HZ = os.sysconf("SC_CLK_TCK")
METRIC = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
WANTED = (
    "cloudradar_collector_frames_stored_total",
    "cloudradar_collector_batches_stored_total",
    "cloudradar_collector_batches_received_total",
    "cloudradar_collector_batches_duplicate_total",
    "cloudradar_collector_batches_rejected_total",
    "cloudradar_collector_sqlite_commits_total",
    "cloudradar_collector_queue_batches",
    "cloudradar_collector_redis_stream_length",
    "cloudradar_collector_redis_backpressure",
    "cloudradar_collector_redis_pending",
    "cloudradar_collector_aircraft_live",
    "cloudradar_collector_batch_lag_seconds",
    "cloudradar_collector_sqlite_commit_seconds",
    "cloudradar_collector_process_seconds",
    "cloudradar_collector_dedup_entries",
)


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = METRIC.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if base not in WANTED:
            continue
        try:
            v = float(value)
        except ValueError:
            continue
        if name.endswith("_bucket"):
            le = re.search(r'le="([^"]+)"', labels).group(1)
            out.setdefault(base + "_bucket", {})[le] = v
        else:
            # Sum over labels (e.g. per-receiver counters).
            out[name] = out.get(name, 0.0) + v
    return out


def proc_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def thread_ticks(pid):
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
            comm = raw[raw.index("(") + 1:raw.rindex(")")]
            fields = raw.rsplit(")", 1)[1].split()
            out[f"{comm}/{tid}"] = int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return out


def mem(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS", "VmHWM")):
                    k, v = line.split(":")
                    out[k] = int(v.split()[0])  # kB
    except OSError:
        pass
    return out


def xlen(port):
    try:
        r = subprocess.run(["redis-cli", "-p", str(port), "XLEN", "cloudradar:batches"],
                           capture_output=True, text=True, timeout=5)
        return int(r.stdout.strip())
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


def sample(a):
    t0 = time.time()
    with open(a.out, "a") as out:
        for i in range(int(a.seconds)):
            target = t0 + i
            delay = target - time.time()
            if delay > 0:
                time.sleep(delay)
            s = {"t": round(time.time() - t0, 3)}
            try:
                s["m"] = scrape(a.http)
            except Exception as e:  # noqa: BLE001 - a missed scrape is recorded, not fatal
                s["scrape_error"] = str(e)
            s["cpu"] = {"collector": proc_ticks(a.pid)}
            if a.redis_pid:
                s["cpu"]["redis"] = proc_ticks(a.redis_pid)
            if a.loadgen_pid:
                s["cpu"]["loadgen"] = proc_ticks(a.loadgen_pid)
            s["threads"] = thread_ticks(a.pid)
            s["mem"] = mem(a.pid)
            if a.redis_port:
                s["xlen"] = xlen(a.redis_port)
            out.write(json.dumps(s) + "\n")
            out.flush()
            if proc_ticks(a.pid) is None:
                break


def quantile(q, b0, b1):
    """histogram_quantile over the bucket deltas b1 - b0 (dicts le -> count)."""
    les = sorted((float("inf") if k == "+Inf" else float(k), k) for k in b1)
    counts = [(le, b1[k] - (b0 or {}).get(k, 0.0)) for le, k in les]
    total = counts[-1][1] if counts else 0
    if total <= 0:
        return None
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in counts:
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * (rank - prev_c) / max(c - prev_c, 1e-12)
        prev_le, prev_c = le, c
    return prev_le


def nearest(samples, t):
    return min(samples, key=lambda s: abs(s["t"] - t))


def report(a):
    samples = [json.loads(l) for l in open(a.samples) if l.strip()]
    samples = [s for s in samples if "m" in s]
    if len(samples) < 2:
        print("not enough samples", file=sys.stderr)
        return 1
    s0, s1 = nearest(samples, a.t_from), nearest(samples, a.to)
    dt = s1["t"] - s0["t"]
    m0, m1 = s0["m"], s1["m"]

    def rate(name):
        return (m1.get(name, 0) - m0.get(name, 0)) / dt if dt > 0 else 0

    stored = rate("cloudradar_collector_frames_stored_total")
    window = [s for s in samples if s0["t"] <= s["t"] <= s1["t"]]
    xl = [s.get("xlen") for s in window if s.get("xlen") is not None]
    half = len(xl) // 2
    summary = {
        "window_s": round(dt, 1),
        "stored_frames_per_s": round(stored),
        "stored_batches_per_s": round(rate("cloudradar_collector_batches_stored_total"), 1),
        "received_batches_per_s": round(rate("cloudradar_collector_batches_received_total"), 1),
        "sqlite_commits_per_s": round(rate("cloudradar_collector_sqlite_commits_total"), 1),
        "duplicate_batches": m1.get("cloudradar_collector_batches_duplicate_total", 0),
        "rejected_batches": m1.get("cloudradar_collector_batches_rejected_total", 0),
        "aircraft_live": m1.get("cloudradar_collector_aircraft_live"),
    }
    if a.offered:
        summary["offered_frames_per_s"] = a.offered
        summary["stored_over_offered"] = round(stored / a.offered, 3)
    summary["target_frames_per_s"] = a.target
    summary["ratio_to_target"] = round(stored / a.target, 3)
    for name, key in (("cloudradar_collector_batch_lag_seconds", "batch_lag"),
                      ("cloudradar_collector_sqlite_commit_seconds", "sqlite_commit"),
                      ("cloudradar_collector_process_seconds", "process")):
        b0, b1 = m0.get(name + "_bucket"), m1.get(name + "_bucket")
        if b1:
            for q in (0.5, 0.99):
                v = quantile(q, b0, b1)
                summary[f"{key}_p{int(q * 100)}_s"] = None if v is None else round(v, 4)
    if xl:
        summary["redis_xlen_start"] = xl[0]
        summary["redis_xlen_end"] = xl[-1]
        summary["redis_xlen_max"] = max(xl)
        # Growth over the second half of the window, entries/s (0 = bounded).
        if half > 1:
            tail = [s for s in window if s.get("xlen") is not None][half:]
            summary["redis_xlen_growth_per_s"] = round(
                (tail[-1]["xlen"] - tail[0]["xlen"]) / max(tail[-1]["t"] - tail[0]["t"], 1e-9), 1)
    summary["backpressure_seen"] = any(
        s["m"].get("cloudradar_collector_redis_backpressure", 0) > 0 for s in window)
    cpu = {}
    for proc in ("collector", "redis", "loadgen"):
        c0, c1 = s0["cpu"].get(proc), s1["cpu"].get(proc)
        if c0 is not None and c1 is not None:
            cpu[proc] = round(100 * (c1 - c0) / HZ / dt, 1)
    summary["cpu_percent_of_one_core"] = cpu
    # Per-thread CPU of the collector, grouped by thread name.
    threads = {}
    for k, v in s1["threads"].items():
        name = k.split("/")[0]
        d = v - s0["threads"].get(k, 0)
        threads[name] = threads.get(name, 0) + d
    summary["collector_threads_cpu_percent"] = {
        k: round(100 * v / HZ / dt, 1)
        for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v > 0
    }
    hwm = max((s["mem"].get("VmHWM", 0) for s in samples), default=0)
    summary["collector_peak_rss_mb"] = round(hwm / 1024, 1)
    summary["collector_rss_end_mb"] = round(samples[-1]["mem"].get("VmRSS", 0) / 1024, 1)
    if a.loadgen and os.path.exists(a.loadgen):
        try:
            lg = json.loads(open(a.loadgen).read().strip().splitlines()[-1])
            summary["loadgen"] = lg
        except (ValueError, IndexError):
            pass
    with open(a.samples + ".summary.json", "w") as f:
        json.dump(summary, f, indent=1)
    w = 34
    print(f"{'window (s)':<{w}} {summary['window_s']}")
    if a.offered:
        print(f"{'offered frames/s':<{w}} {a.offered:,.0f}")
    if a.loadgen and "loadgen" in summary:
        print(f"{'published frames/s (loadgen)':<{w}} {summary['loadgen']['published_frames_per_s']:,.0f}")
    print(f"{'stored frames/s (SQLite committed)':<{w}} {stored:,.0f}")
    print(f"{'ratio to {:,} frames/s target'.format(a.target):<{w}} {summary['ratio_to_target']}")
    print(f"{'stored batches/s, commits/s':<{w}} {summary['stored_batches_per_s']}, {summary['sqlite_commits_per_s']}")
    for key in ("batch_lag", "sqlite_commit", "process"):
        if f"{key}_p50_s" in summary:
            print(f"{key + ' p50 / p99 (s)':<{w}} {summary[key + '_p50_s']} / {summary[key + '_p99_s']}")
    if xl:
        print(f"{'Redis XLEN start/end/max':<{w}} {xl[0]} / {xl[-1]} / {max(xl)}"
              f"  (growth {summary.get('redis_xlen_growth_per_s', 'n/a')} entries/s)")
    print(f"{'backpressure seen':<{w}} {summary['backpressure_seen']}")
    print(f"{'CPU % of one core':<{w}} " + ", ".join(f"{k} {v}" for k, v in cpu.items())
          + f"  (machine: {os.cpu_count()} cores = {100 * os.cpu_count()}%)")
    top = list(summary["collector_threads_cpu_percent"].items())[:8]
    print(f"{'collector threads (CPU %)':<{w}} " + ", ".join(f"{k} {v}" for k, v in top))
    print(f"{'collector peak RSS (VmHWM)':<{w}} {summary['collector_peak_rss_mb']} MB")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--http", type=int, required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--redis-port", type=int)
    s.add_argument("--redis-pid", type=int)
    s.add_argument("--loadgen-pid", type=int)
    s.add_argument("--out", required=True)
    s.add_argument("--seconds", type=float, required=True)
    r = sub.add_parser("report")
    r.add_argument("--samples", required=True)
    r.add_argument("--from", dest="t_from", type=float, required=True)
    r.add_argument("--to", type=float, required=True)
    r.add_argument("--target", type=float, default=100000)
    r.add_argument("--offered", type=float)
    r.add_argument("--loadgen")
    a = p.parse_args()
    if a.cmd == "sample":
        sample(a)
        return 0
    return report(a)


if __name__ == "__main__":
    sys.exit(main())
