#!/usr/bin/env python3
"""Reads the collector's Parquet archive from S3 with two existing engines,
pyarrow (its S3 filesystem with an endpoint override) and DuckDB (its httpfs
extension), and writes what each read as CSV, one row a line, sorted, for
the archive tests to compare with SQLite: <engine>-positions.csv and
<engine>-receptions.csv and <engine>-flights.csv.

Usage: read_back.py --endpoint http://127.0.0.1:PORT --bucket B --prefix P --out DIR
Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
Prints one JSON line: rows per engine and the seconds each took.
"""

import argparse
import json
import os
import time
from urllib.parse import urlparse

COLUMNS = {
    "positions": ["icao24", "time_ms", "lat", "lon", "velocity", "heading", "vertrate",
                  "callsign", "baroaltitude", "geoaltitude", "receivers", "source",
                  "date", "hour"],
    "receptions": ["shard", "message_id", "time_ms", "icao24", "df", "raw", "receiver",
                   "rx_ms", "timestamp", "signal", "date", "hour"],
    "flights": ["shard", "flight_id", "icao24", "callsign", "firstseen", "lastseen",
                "firstseen_ms", "lastseen_ms", "date", "hour"],
}


def cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return str(v)


def write(path, rows):
    rows = sorted(rows, key=lambda r: tuple(repr(v) for v in r))
    with open(path, "w") as f:
        for r in rows:
            f.write(",".join(cell(v) for v in r) + "\n")
    return len(rows)


def normal(row, cols):
    """The Hive columns as pyarrow gives them: date a string, hour an int."""
    return tuple(str(v) if c == "date" else (int(v) if c == "hour" else v)
                 for c, v in zip(cols, row))


def with_pyarrow(args, table, key, secret):
    import pyarrow.dataset as ds
    from pyarrow import fs
    url = urlparse(args.endpoint)
    s3 = fs.S3FileSystem(access_key=key, secret_key=secret, region="us-east-1",
                         endpoint_override=url.netloc, scheme=url.scheme)
    # Listed explicitly rather than opened as a directory: pyarrow first
    # asks for the directory itself as an object, which s3s-fs (the tests'
    # server) answers with an error. Listing works the same on any S3.
    base = f"{args.bucket}/{args.prefix}/{table}"
    infos = s3.get_file_info(fs.FileSelector(base, recursive=True))
    files = [i.path for i in infos if i.type == fs.FileType.File and i.path.endswith(".parquet")]
    data = ds.dataset(files, filesystem=s3, format="parquet",
                      partitioning=ds.partitioning(flavor="hive"), partition_base_dir=base)
    cols = COLUMNS[table]
    got = data.to_table(columns=cols)
    return [normal(r, cols) for r in zip(*(got.column(c).to_pylist() for c in cols))]


def duckdb_on_s3(args, key, secret):
    """A DuckDB connection reading the endpoint through httpfs (from PyPI)."""
    import duckdb
    from duckdb_extensions import import_extension
    import_extension("httpfs")
    con = duckdb.connect()
    con.load_extension("httpfs")
    url = urlparse(args.endpoint)
    con.execute(f"""CREATE SECRET archive (TYPE s3, KEY_ID '{key}', SECRET '{secret}',
        ENDPOINT '{url.netloc}', URL_STYLE 'path', USE_SSL {str(url.scheme == 'https').lower()},
        REGION 'us-east-1')""")
    return con


def with_duckdb(args, table, key, secret):
    con = duckdb_on_s3(args, key, secret)
    cols = COLUMNS[table]
    glob = f"s3://{args.bucket}/{args.prefix}/{table}/*/*/*.parquet"
    q = f"SELECT {', '.join(cols)} FROM read_parquet('{glob}', hive_partitioning = true)"
    return [normal(r, cols) for r in con.execute(q).fetchall()]


def transmissions(args, key, secret):
    """Messages and transmissions (each once across shards) by DuckDB,
    with scripts/archive/transmissions.sql."""
    con = duckdb_on_s3(args, key, secret)
    sql = open(os.path.join(os.path.dirname(__file__), "transmissions.sql")).read()
    glob = f"s3://{args.bucket}/{args.prefix}/receptions/*/*/*.parquet"
    messages, count = con.execute(sql, {"receptions": glob}).fetchone()
    return {"messages": messages, "transmissions": count}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", required=True, help="S3 endpoint URL")
    p.add_argument("--bucket", required=True, help="the archive's bucket")
    p.add_argument("--prefix", required=True, help="the archive's key prefix")
    p.add_argument("--out", help="directory for the CSV files")
    p.add_argument("--transmissions", action="store_true",
                   help="instead: print messages and transmissions counted once across shards")
    args = p.parse_args()
    key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
    if args.transmissions:
        print(json.dumps(transmissions(args, key, secret)))
        return
    report = {}
    for name, read in [("pyarrow", with_pyarrow), ("duckdb", with_duckdb)]:
        for table in COLUMNS:
            started = time.monotonic()
            rows = read(args, table, key, secret)
            path = os.path.join(args.out, f"{name}-{table}.csv")
            report[f"{name} {table}"] = {"rows": write(path, rows),
                                         "seconds": round(time.monotonic() - started, 3)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
