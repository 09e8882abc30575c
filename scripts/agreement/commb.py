#!/usr/bin/env python3
"""Comm-B (DF20/21) agreement between `cloudradar-agent decode` and pyModeS.

Both decoders see every frame of a recording in order, each with its own
per-aircraft state: ours is the tracker inside the decode command, theirs
is `pyModeS.PipeDecoder` (which passes the aircraft's state as `known=` to
the BDS 5,0/6,0 disambiguation). For every DF20/21 frame our decoder
accepted (CRC/trust) we compare the register and the decoded fields.

Usage (pyModeS 3.6.1 in the repository venv that install.sh makes):
    cargo build -p cloudradar-agent
    target/debug/cloudradar-agent decode ../shared/data/long_flight.csv > /tmp/ours.jsonl
    target/venv/bin/python scripts/agreement/commb.py /tmp/ours.jsonl \
        [--show CLASS] [--examples N] [--header]

Prints the agreement and every difference, grouped into classes. `--show`
also prints pyModeS's per-aircraft state before each frame of the matching
classes (read from `PipeDecoder._state`, a private attribute of 3.6.1).
"""

import argparse
import collections
import json
import math
import sys

import pyModeS

# pyModeS field -> (our field, how to compare)
FIELDS = {
    "2,0": [("callsign", "flight", "str")],
    "4,0": [
        ("selected_altitude_mcp", "nav_altitude_mcp", "num"),
        ("selected_altitude_fms", "nav_altitude_fms", "num"),
        ("baro_pressure_setting", "nav_qnh", "qnh"),
    ],
    "5,0": [
        ("roll", "roll", "deg"),
        ("true_track", "track", "deg"),
        ("groundspeed", "gs", "num"),
        ("track_rate", "track_rate", "deg"),
        ("true_airspeed", "tas", "num"),
    ],
    "6,0": [
        ("magnetic_heading", "mag_heading", "deg"),
        ("indicated_airspeed", "ias", "num"),
        ("mach", "mach", "mach"),
        ("baro_vertical_rate", "baro_rate", "num"),
        ("inertial_vertical_rate", "geom_rate", "num"),
    ],
}
TOL = {"num": 0, "deg": 0.006, "qnh": 0.051, "mach": 0.0006}


def same(kind, a, b):
    if a is None or b is None:
        return a is None and b is None
    if kind == "str":
        return str(a).rstrip(" _#") == str(b).rstrip(" _#")
    return abs(float(a) - float(b)) <= TOL[kind] + 1e-9


def field_diffs(bds, ours, theirs):
    out = []
    for their_key, our_key, kind in FIELDS.get(bds, []):
        if not same(kind, ours.get(our_key), theirs.get(their_key)):
            out.append(f"{their_key}: ours {ours.get(our_key)} theirs {theirs.get(their_key)}")
    return out


def classify(ours, theirs):
    """A class name for the difference, or None when they agree."""
    ob, tb = ours.get("bds"), theirs.get("bds")
    oc = ours.get("bds_candidates") or ([ob] if ob else [])
    tc = theirs.get("bds_candidates") or ([tb] if tb else [])
    if ob == tb:
        d = field_diffs(ob, ours, theirs) if ob else []
        return None if not d else f"fields {ob}"
    if ob is None and ours.get("bds_candidates") and set(oc) == set(tc):
        scoring = {"groundspeed", "track", "tas", "heading", "ias", "mach"}
        if scoring & set(theirs.get("_known", {})):
            return f"ours ambiguous {'/'.join(oc)}, theirs {tb} scored on state we lack"
        return f"ours ambiguous {'/'.join(oc)}, theirs candidates[0] {tb} (no state)"
    if set(oc) != set(tc):
        extra = sorted(set(oc) - set(tc))
        missing = sorted(set(tc) - set(oc))
        parts = []
        if extra:
            parts.append("only ours " + "/".join(extra))
        if missing:
            parts.append("only theirs " + "/".join(missing))
        return "candidates: " + ", ".join(parts)
    return f"same candidates {'/'.join(tc)}, ours {ob} theirs {tb}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours", help="JSON lines from `cloudradar-agent decode`")
    ap.add_argument("--examples", type=int, default=2)
    ap.add_argument("--header", action="store_true", help="print altitude/squawk differences")
    ap.add_argument("--show", help="print every frame of classes containing this text")
    args = ap.parse_args()

    pipe = pyModeS.PipeDecoder()
    total = agree = 0
    header_total = header_agree = header_shown = 0
    classes = collections.Counter()
    examples = collections.defaultdict(list)
    with open(args.ours) as f:
        for line in f:
            ours = json.loads(line)
            ts = ours.get("timestamp")
            ts = ts if isinstance(ts, float) else None
            raw = ours["raw"].upper()
            state = dict(pipe._state.get(ours.get("hex", "").upper(), {}))
            theirs = pipe.decode(raw, timestamp=ts)
            theirs["_known"] = state
            if ours.get("df") not in (20, 21) or ours.get("crc") == "bad":
                continue
            total += 1
            c = classify(ours, theirs)
            if c is None:
                agree += 1
            else:
                classes[c] += 1
                if len(examples[c]) < args.examples or (args.show and args.show in c):
                    examples[c].append((ours, theirs))
            # The header: altitude (DF20) or squawk (DF21).
            header_total += 1
            if ours["df"] == 20:
                oa = ours.get("alt_baro")
                ta = theirs.get("altitude")
                # We print "ground" when FS says so, as readsb does; pyModeS
                # prints the altitude code, often 0 (None) on the surface.
                ok = oa == ta or oa == "ground"
                header_agree += ok
                ac = (int(ours["raw"][:8], 16)) & 0x1FFF
                if not ok and ta is None and ac & 0x40:
                    classes["header: metric altitude (M=1), ours in feet, pyModeS None"] += 1
            else:
                header_agree += ours.get("squawk") == theirs.get("squawk")
            if args.header and header_total - header_agree > header_shown:
                header_shown += 1
                print("header:", ours["raw"], ours.get("alt_baro"), ours.get("squawk"),
                      theirs.get("altitude"), theirs.get("squawk"))

    pct = 100.0 * agree / total if total else math.nan
    print(f"DF20/21 frames compared: {total}")
    print(f"BDS register and fields agree: {agree} ({pct:.3f} %)")
    if header_total:
        print(f"header altitude/squawk agree: {header_agree} of {header_total}")
    print(f"pyModeS PipeDecoder stats: {pipe.stats}")
    for c, n in classes.most_common():
        print(f"{n:7d}  {c}")
        for ours, theirs in examples[c]:
            keep = {k: v for k, v in theirs.items() if k not in ("df", "icao", "crc_valid", "_known")}
            print(f"           {ours['raw']} ours bds={ours.get('bds')} "
                  f"cands={ours.get('bds_candidates')} theirs={keep}")
            if args.show and args.show in c:
                print(f"             their state before: {theirs['_known']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
