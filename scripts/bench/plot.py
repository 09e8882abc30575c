#!/usr/bin/env python3
"""Draws docs/img/pipeline-throughput.svg from the pipeline figures in
docs/performance.md (offered vs stored frames/s and p99 batch lag, before
and after the batched-commit and de-duplication fixes). Standard library
only: the SVG is written by hand.

Usage: scripts/bench/plot.py [out.svg]
"""
import sys

# (offered, stored, p99 lag s) from scripts/bench/pipeline-load.sh, 2026-11-25.
BEFORE = [(50_000, 49_842, 0.010), (100_000, 99_708, 0.034), (150_000, 149_568, 0.044), (200_000, 189_920, 2.48)]
AFTER = [(100_000, 99_900, 0.010), (200_000, 199_333, 0.023), (300_000, 299_225, 0.058)]

W, H, L, R, T, B = 640, 360, 70, 70, 40, 50
XMAX, YMAX, LAGMAX = 320_000, 320_000, 3.0


def x(v):
    return L + (W - L - R) * v / XMAX


def y(v):
    return H - B - (H - T - B) * v / YMAX


def ylag(v):
    return H - B - (H - T - B) * v / LAGMAX


def line(points, fx, fy, colour, dash=""):
    d = " ".join(f"{fx(a):.1f},{fy(b):.1f}" for a, b in points)
    dots = "".join(f'<circle cx="{fx(a):.1f}" cy="{fy(b):.1f}" r="3" fill="{colour}"/>' for a, b in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2" {dash} points="{d}"/>{dots}'


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "docs/img/pipeline-throughput.svg"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{W/2}" y="20" text-anchor="middle" font-size="14">Collector pipeline on 2 cores: stored vs offered frames/s, p99 lag</text>']
    for v in range(0, XMAX + 1, 50_000):
        parts.append(f'<line x1="{x(v):.1f}" y1="{T}" x2="{x(v):.1f}" y2="{H-B}" stroke="#eee"/>')
        parts.append(f'<text x="{x(v):.1f}" y="{H-B+16}" text-anchor="middle">{v//1000}k</text>')
    for v in range(0, YMAX + 1, 100_000):
        parts.append(f'<text x="{L-6}" y="{y(v)+4:.1f}" text-anchor="end">{v//1000}k</text>')
    for v in (0, 1, 2, 3):
        parts.append(f'<text x="{W-R+6}" y="{ylag(v)+4:.1f}">{v} s</text>')
    parts.append(f'<line x1="{x(100_000):.1f}" y1="{T}" x2="{x(100_000):.1f}" y2="{H-B}" stroke="#999" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{x(100_000)+4:.1f}" y="{H-B-6}" fill="#666">100k target</text>')
    parts.append(f'<text x="{W/2}" y="{H-12}" text-anchor="middle">offered frames/s (20 receivers, 250-frame batches, Redis)</text>')
    parts.append(line([(o, s) for o, s, _ in BEFORE], x, y, "#d62728", 'stroke-dasharray="5 3"'))
    parts.append(line([(o, s) for o, s, _ in AFTER], x, y, "#1f77b4"))
    parts.append(line([(o, l) for o, _, l in BEFORE], x, ylag, "#ff9896", 'stroke-dasharray="2 3"'))
    parts.append(line([(o, l) for o, _, l in AFTER], x, ylag, "#aec7e8", 'stroke-dasharray="2 3"'))
    legend = [("#1f77b4", "stored frames/s, after"), ("#d62728", "stored frames/s, before"),
              ("#aec7e8", "p99 lag (right axis), after"), ("#ff9896", "p99 lag (right axis), before")]
    for i, (c, label) in enumerate(legend):
        parts.append(f'<rect x="{L+10}" y="{T+8+i*16}" width="12" height="3" fill="{c}"/>')
        parts.append(f'<text x="{L+28}" y="{T+13+i*16}">{label}</text>')
    parts.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
