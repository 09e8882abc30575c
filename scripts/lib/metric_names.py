#!/usr/bin/env python3
"""Checks that every metric the alert rules and the Grafana dashboard query
is actually exported by the CloudRadar binaries.

Usage:
    metric_names.py --exposition SCRAPE.txt [--exposition MORE.txt ...]
                    [--rules RULES.yml ...] [--dashboard DASH.json ...]
    metric_names.py --list [--rules ...] [--dashboard ...]

SCRAPE.txt is Prometheus text exposition (what `curl -s host:port/metrics`
returns); pass the collector's and an agent's. Metric names are taken from
the PromQL in rule `expr`s, panel target `expr`s and `label_values(...)`
variable queries. A name used with `_bucket` must be exported as a
histogram (metrics-exporter-prometheus renders summaries unless buckets are
configured, and `histogram_quantile` over a summary returns nothing).
Recording-rule names defined in the rules files and Prometheus' own series
(`up`, `scrape_*`, `ALERTS`) are not looked for.

Exit status: 0 when everything is exported, 1 when something is missing
(listed on stderr with where it is used), 2 on a usage or parse error.
Standard library only, plus PyYAML for the rules files.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

# PromQL words that are not metric names: aggregation and binary operators,
# modifiers, and the functions the brief names (functions are also
# recognised by the "(" that follows them).
KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "atan2", "inf", "nan",
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk",
    "quantile", "count_values", "group", "limitk", "limit_ratio",
    "rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear",
    "histogram_quantile", "time", "vector", "scalar", "absent", "absent_over_time",
    "label_replace", "label_join", "le",
}
# Series Prometheus makes itself; never in an exposition.
SYNTHETIC = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added", "ALERTS",
    "ALERTS_FOR_STATE",
}
SUFFIXES = ("_bucket", "_sum", "_count")

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_NAME_MATCHER = re.compile(r'__name__\s*=\s*"([^"]+)"')
_BRACES = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENT = re.compile(r"(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\(\s*([^,()]+?)\s*,")


def names_in_expr(expr: str) -> set[str]:
    """Metric names referenced by one PromQL expression."""
    names = set(_NAME_MATCHER.findall(expr))
    s = _VARIABLE.sub("x", expr)
    # Matchers first (they hold strings with braces-free contents), then strings.
    s = _BRACES.sub(" ", _STRING.sub('""', s))
    s = _RANGE.sub(" ", s)
    s = _GROUPING.sub(" ", s)
    for m in _IDENT.finditer(s):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def names_in_variable_query(query: str) -> set[str]:
    """`label_values(metric{...}, label)` -> {metric}; `label_values(label)` -> {}."""
    m = _LABEL_VALUES.match(query)
    if m:
        return names_in_expr(m.group(1))
    if query.strip().startswith("label_values"):
        return set()
    if re.match(r"^\s*(query_result|metrics)\s*\(", query):
        inner = query[query.index("(") + 1 : query.rindex(")")]
        return names_in_expr(inner)
    return set()


def uses_in_rules(path: Path) -> tuple[dict[str, set[str]], set[str]]:
    """(metric -> places used, recording rule names) of a rules file."""
    import yaml  # PyYAML; only needed for rules files

    doc = yaml.safe_load(path.read_text())
    uses: dict[str, set[str]] = defaultdict(set)
    recorded = set()
    for group in doc.get("groups", []) or []:
        for rule in group.get("rules", []) or []:
            where = f"{path.name}: " + (
                f"alert {rule['alert']}" if "alert" in rule else f"record {rule.get('record')}"
            )
            if "record" in rule:
                recorded.add(rule["record"])
            for n in names_in_expr(str(rule.get("expr", ""))):
                uses[n].add(where)
    return uses, recorded


def _walk_panels(panels):
    for p in panels or []:
        yield p
        yield from _walk_panels(p.get("panels"))


def uses_in_dashboard(path: Path) -> tuple[dict[str, set[str]], list[str]]:
    """(metric -> places used, problems) of a Grafana dashboard JSON file."""
    dash = json.loads(path.read_text())
    uses: dict[str, set[str]] = defaultdict(set)
    problems = []
    for p in _walk_panels(dash.get("panels")):
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"{path.name}: panel {p.get('title')!r} has no targets")
        for t in targets:
            expr = t.get("expr")
            if not expr or not str(expr).strip():
                problems.append(f"{path.name}: panel {p.get('title')!r} target {t.get('refId')} has no expr")
                continue
            for n in names_in_expr(expr):
                uses[n].add(f"{path.name}: panel {p.get('title')!r}")
    for v in (dash.get("templating") or {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        for n in names_in_variable_query(q):
            uses[n].add(f"{path.name}: variable ${v.get('name')}")
    return uses, problems


_TYPE = re.compile(r"^#\s*TYPE\s+(\S+)\s+(\S+)")
_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)")


def exported(paths: list[Path]) -> tuple[set[str], dict[str, str]]:
    """(sample names, metric family -> type) from exposition text files."""
    samples: set[str] = set()
    types: dict[str, str] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line:
                continue
            m = _TYPE.match(line)
            if m:
                types[m.group(1)] = m.group(2)
                continue
            if line.startswith("#"):
                continue
            m = _SAMPLE.match(line)
            if m:
                samples.add(m.group(1))
    return samples, types


def check(name: str, samples: set[str], types: dict[str, str]) -> str | None:
    """None if `name` is exported in a usable form, else why not."""
    if name in samples and not name.endswith("_bucket"):
        return None
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            kind = types.get(base)
            if suffix == "_bucket":
                if kind == "histogram" or name in samples:
                    return None
                if kind == "summary" or base + "_sum" in samples:
                    return f"exported as a summary, not a histogram (no {name})"
                return "not exported"
            if kind in ("histogram", "summary") or name in samples:
                return None
            return "not exported"
    if name in types:
        return None
    return "not exported"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exposition", action="append", default=[], type=Path,
                    help="Prometheus text exposition scraped from a binary (repeatable)")
    ap.add_argument("--rules", action="append", default=[], type=Path, help="Prometheus rules file (repeatable)")
    ap.add_argument("--dashboard", action="append", default=[], type=Path, help="Grafana dashboard JSON (repeatable)")
    ap.add_argument("--list", action="store_true", help="print the metric names used, one a line, and exit")
    a = ap.parse_args(argv)
    if not a.rules and not a.dashboard:
        ap.error("give at least one --rules or --dashboard file")

    uses: dict[str, set[str]] = defaultdict(set)
    recorded: set[str] = set()
    problems: list[str] = []
    try:
        for r in a.rules:
            u, rec = uses_in_rules(r)
            recorded |= rec
            for k, v in u.items():
                uses[k] |= v
        for d in a.dashboard:
            u, p = uses_in_dashboard(d)
            problems += p
            for k, v in u.items():
                uses[k] |= v
    except (OSError, ValueError) as e:
        print(f"metric_names: {e}", file=sys.stderr)
        return 2
    wanted = sorted(n for n in uses if n not in recorded and n not in SYNTHETIC)
    undefined_recorded = sorted(n for n in uses if ":" in n and n not in recorded)
    if a.list:
        print("\n".join(wanted))
        return 0
    if not a.exposition:
        ap.error("give at least one --exposition file (or --list)")
    samples, types = exported(a.exposition)
    missing = []
    for n in wanted:
        if ":" in n:
            continue
        why = check(n, samples, types)
        if why:
            missing.append((n, why))
    for n in undefined_recorded:
        missing.append((n, "recording rule not defined in the rules files"))
    for p in problems:
        print(f"dashboard: {p}", file=sys.stderr)
    if missing:
        print(f"{len(missing)} metric name(s) used but not exported:", file=sys.stderr)
        for n, why in missing:
            print(f"  {n}: {why}", file=sys.stderr)
            for w in sorted(uses[n]):
                print(f"      used in {w}", file=sys.stderr)
    if missing or problems:
        return 1
    print(f"metric_names: all {len(wanted)} metric names used are exported")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
