#!/usr/bin/env python3
"""Position agreement between `cloudradar-agent decode` and pyModeS 3.6.

For every DF17/18 position frame of a recording, compares the position our
decoder printed with the one pyModeS gives, and reports how many of the
frames pyModeS resolves we resolve too, how many within --tolerance metres,
and the largest distance.

Two ways to get pyModeS's positions:
- with --lat/--lon (a receiver position), each frame on its own:
  `pyModeS.decode(msg, reference=(lat, lon))` for airborne frames and
  `surface_ref=(lat, lon)` for surface ones. Our decoder gets the same
  reference.
- without, pyModeS's own tracker (`PipeDecoder`) with the recording's
  timestamps (CSV recordings only: AVR `*hex;` lines carry no time); its
  position for a frame is then the reference for that frame's single
  decode. Surface frames: `surface_ref` of the --surface-airports airport
  whose decode lands within 10 km of it.

Usage (from the repository root, with the repository venv):

    target/venv/bin/python scripts/agreement/positions.py \\
        --agent target/debug/cloudradar-agent --format avr \\
        --lat 33.9425 --lon -118.408 ../shared/data/lax-messages.txt
    target/venv/bin/python scripts/agreement/positions.py \\
        --agent target/debug/cloudradar-agent --format csv \\
        --surface-airports LFBO,EHAM ../shared/data/long_flight.csv
"""

import argparse
import json
import math
import subprocess
import sys

import pyModeS

AIRBORNE = set(range(9, 19)) | set(range(20, 23))
SURFACE = set(range(5, 9))
# Aerodrome reference points (AIP France, AIP Netherlands).
AIRPORTS = {"LFBO": (43.6294, 1.3678), "EHAM": (52.3086, 4.7639)}


def frames(path, fmt):
    """(hex, unix time or None) for every frame line, in file order."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if fmt == "avr":
                out.append((line.lstrip("*@<").rstrip(";").lower(), None))
            else:
                t, beast = line.split(",")
                # 1a, type, 6-byte timestamp, 1-byte signal, then the message.
                out.append((beast[18:].lower(), float(t)))
    return out


def ours(agent, path, fmt, ref):
    cmd = [agent, "decode", "--format", fmt]
    if ref:
        cmd += ["--lat", str(ref[0]), "--lon", str(ref[1])]
    cmd.append(path)
    run = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return [json.loads(line) for line in run.stdout.splitlines()]


def distance_m(a, b):
    la1, la2 = math.radians(a[0]), math.radians(b[0])
    dlat = la2 - la1
    dlon = math.radians(b[1] - a[1])
    h = math.sin(dlat / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(h)))


def pymodes_positions(recording, ref, airports):
    """index -> (kind, (lat, lon)) for every frame pyModeS resolves, and
    index -> kind for every CRC-valid DF17/18 position frame."""
    candidates = {}
    for i, (hexmsg, _) in enumerate(recording):
        if len(hexmsg) != 28 or int(hexmsg[:2], 16) >> 3 not in (17, 18):
            continue
        tc = int(hexmsg[8:10], 16) >> 3
        kind = "airborne" if tc in AIRBORNE else "surface" if tc in SURFACE else None
        if kind:
            candidates[i] = kind
    resolved = {}
    if ref:
        for i, kind in list(candidates.items()):
            if kind == "airborne":
                d = pyModeS.decode(recording[i][0], reference=ref)
            else:
                d = pyModeS.decode(recording[i][0], surface_ref=ref)
            if not d.get("crc_valid"):
                del candidates[i]
                continue
            if d.get("latitude") is not None:
                resolved[i] = (d["latitude"], d["longitude"])
    else:
        # PipeDecoder's own positions lag the frame they are printed for
        # (up to ~1 km here), but lie well within 180 NM of it: as a
        # per-frame reference they give pyModeS's exact local decode.
        idx = list(candidates)
        batch = pyModeS.decode(
            [recording[i][0] for i in idx], timestamps=[recording[i][1] for i in idx]
        )
        for i, d in zip(idx, batch):
            if not d.get("crc_valid"):
                del candidates[i]
                continue
            if candidates[i] == "airborne" and d.get("latitude") is not None:
                r = (d["latitude"], d["longitude"])
                e = pyModeS.decode(recording[i][0], reference=r)
                resolved[i] = (e["latitude"], e["longitude"])
            elif candidates[i] == "surface" and airports:
                # The airport whose 45 NM surface cell holds the aircraft:
                # the decoded position lies within a few km of it.
                for code in airports:
                    e = pyModeS.decode(recording[i][0], surface_ref=code)
                    pos = (e.get("latitude"), e.get("longitude"))
                    if pos[0] is not None and distance_m(pos, airports[code]) < 10_000:
                        resolved[i] = pos
                        break
    return candidates, resolved


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agent", required=True, help="cloudradar-agent binary")
    p.add_argument("--format", choices=["avr", "csv"], required=True)
    p.add_argument("--lat", type=float)
    p.add_argument("--lon", type=float)
    p.add_argument("--tolerance", type=float, default=100.0, help="metres")
    p.add_argument("--show", type=int, default=5, help="disagreements to print")
    p.add_argument(
        "--surface-airports",
        help="without --lat/--lon: ICAO codes whose 45 NM cells hold the surface traffic",
    )
    p.add_argument(
        "--agent-without-reference",
        action="store_true",
        help="run our decoder without --lat/--lon (pyModeS still gets them)",
    )
    p.add_argument("recording")
    a = p.parse_args()
    ref = (a.lat, a.lon) if a.lat is not None and a.lon is not None else None
    if ref is None and a.format == "avr":
        sys.exit("AVR *hex; lines have no times: pass --lat/--lon")

    recording = frames(a.recording, a.format)
    lines = ours(a.agent, a.recording, a.format, None if a.agent_without_reference else ref)
    if len(lines) != len(recording):
        sys.exit(f"{len(lines)} output lines for {len(recording)} frames")
    for i, (hexmsg, _) in enumerate(recording):
        if lines[i]["raw"] != hexmsg:
            sys.exit(f"line {i + 1}: ours {lines[i]['raw']} vs {hexmsg}")

    airports = {}
    for code in a.surface_airports.split(",") if a.surface_airports else []:
        airports[code] = AIRPORTS[code]
    candidates, theirs = pymodes_positions(recording, ref, airports)
    mode = f"reference {ref}" if ref else "PipeDecoder positions as references"
    if a.agent_without_reference:
        mode += "; ours without a reference"
    print(f"{a.recording}: pyModeS {pyModeS.__version__}, {mode}")
    for kind in ("airborne", "surface"):
        frames_k = [i for i, k in candidates.items() if k == kind]
        mine = {i for i in frames_k if "lat" in lines[i]}
        both = [i for i in frames_k if i in theirs and i in mine]
        only_theirs = [i for i in frames_k if i in theirs and i not in mine]
        only_mine = [i for i in frames_k if i not in theirs and i in mine]
        dist = {
            i: distance_m(theirs[i], (lines[i]["lat"], lines[i]["lon"])) for i in both
        }
        close = sum(1 for d in dist.values() if d <= a.tolerance)
        n = sum(1 for i in frames_k if i in theirs)
        share = 100.0 * close / n if n else 100.0
        worst = max(dist.values(), default=0.0)
        print(
            f"  {kind}: {len(frames_k)} CRC-valid frames; pyModeS {n}, ours {len(mine)}; "
            f"both {len(both)}, within {a.tolerance:.0f} m {close} ({share:.2f} % of pyModeS); "
            f"max distance {worst:.1f} m; only pyModeS {len(only_theirs)}, only ours {len(only_mine)}"
        )
        far = sorted((i for i in both if dist[i] > a.tolerance), key=lambda i: -dist[i])
        for i in far[: a.show]:
            print(
                f"    line {i + 1} {recording[i][0]}: ours {lines[i]['lat']},{lines[i]['lon']} "
                f"pyModeS {theirs[i][0]:.6f},{theirs[i][1]:.6f} ({dist[i]:.0f} m)"
            )
        for i in only_theirs[: a.show]:
            print(f"    line {i + 1} {recording[i][0]}: only pyModeS {theirs[i]}")


if __name__ == "__main__":
    main()
