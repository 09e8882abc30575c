#!/usr/bin/env bash
# Checks the monitoring files: Prometheus config and rules (promtool check),
# the alert unit tests (promtool test rules), the Grafana dashboard (JSON,
# every panel target has an expr, every expr parses as PromQL), every
# alert's runbook_url points at a page in docs/runbooks/, and the metric
# name checker's own tests against the sample expositions.
# Installs the Debian `prometheus` package when promtool is missing.
# Usage: scripts/check-observability.sh
set -euo pipefail
cd "$(dirname "$0")/.."

prom=deploy/observability/prometheus
rules=$prom/rules/cloudradar.rules.yml
dashboard=deploy/observability/grafana/cloudradar.json

# shellcheck source=scripts/lib/install.sh
source scripts/lib/install.sh
apt_install promtool prometheus
if ! python3 -c 'import yaml' 2>/dev/null; then
    # The probe is a command that never exists, so apt_install always installs.
    python3 -m pip install --quiet --disable-pip-version-check pyyaml 2>/dev/null || apt_install python3-yaml-is-missing python3-yaml
fi

echo "==> promtool check config"
promtool check config "$prom/prometheus.yml"

echo "==> promtool check rules"
promtool check rules "$prom"/rules/*.yml

echo "==> promtool test rules"
promtool test rules "$prom"/tests/*.yml

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "==> dashboard: JSON, panel targets, PromQL"
python3 - "$dashboard" "$tmp/dashboard-exprs.rules.yml" <<'EOF'
import json, sys
path, out = sys.argv[1], sys.argv[2]
with open(path) as f:
    dash = json.load(f)
errors = []
for key in ("uid", "title", "panels", "templating"):
    if key not in dash:
        errors.append(f"missing top-level {key!r}")
if dash.get("schemaVersion", 0) < 39:
    errors.append(f"schemaVersion {dash.get('schemaVersion')} < 39")
if not any(i.get("name") == "DS_PROMETHEUS" for i in dash.get("__inputs", [])):
    errors.append("no DS_PROMETHEUS in __inputs")

def walk(panels):
    for p in panels or []:
        yield p
        yield from walk(p.get("panels"))

ids, exprs = set(), []
for p in walk(dash.get("panels")):
    pid = p.get("id")
    if pid in ids:
        errors.append(f"duplicate panel id {pid}")
    ids.add(pid)
    if p.get("type") == "row":
        continue
    title = p.get("title")
    if "gridPos" not in p:
        errors.append(f"panel {title!r}: no gridPos")
    if not p.get("targets"):
        errors.append(f"panel {title!r}: no targets")
    for t in p.get("targets") or []:
        expr = (t.get("expr") or "").strip()
        if not expr:
            errors.append(f"panel {title!r} target {t.get('refId')}: no expr")
            continue
        ds = (t.get("datasource") or p.get("datasource") or {}).get("uid")
        if ds != "${DS_PROMETHEUS}":
            errors.append(f"panel {title!r}: datasource {ds!r} is not ${{DS_PROMETHEUS}}")
        exprs.append((title, expr))
# Grafana variables replaced by values Prometheus accepts, so promtool can parse the PromQL.
subst = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "$receiver": ".*", "$agent": ".*"}
with open(out, "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, expr) in enumerate(exprs):
        for k, v in subst.items():
            expr = expr.replace(k, v)
        if "$" in expr:
            errors.append(f"panel {title!r}: unknown variable in {expr!r}")
        f.write(f"      - record: dashboard:expr_{i}\n        expr: {json.dumps(expr)}\n")
if errors:
    print("\n".join(f"dashboard: {e}" for e in errors), file=sys.stderr)
    sys.exit(1)
print(f"  {len(ids)} panels, {len(exprs)} queries")
EOF
promtool check rules "$tmp/dashboard-exprs.rules.yml" >/dev/null

echo "==> runbook_url of every alert"
python3 - "$prom"/rules/*.yml <<'EOF'
import os, re, sys, yaml
prefix = "https://github.com/cloudradar/cloudradar/blob/main/"
bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            if "alert" not in r:
                continue
            name = r["alert"]
            kebab = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()
            url = (r.get("annotations") or {}).get("runbook_url", "")
            want = f"{prefix}docs/runbooks/{kebab}.md"
            problems = []
            if url != want:
                problems.append(f"runbook_url {url!r}, expected {want!r}")
            elif not os.path.isfile(url[len(prefix):]):
                problems.append(f"{url[len(prefix):]} does not exist")
            for key in ("summary", "description"):
                if not (r.get("annotations") or {}).get(key):
                    problems.append(f"no {key} annotation")
            if not (r.get("labels") or {}).get("severity"):
                problems.append("no severity label")
            for p in problems:
                print(f"{path}: {name}: {p}", file=sys.stderr)
                bad += 1
sys.exit(1 if bad else 0)
EOF
echo "  every alert has severity, summary, description and an existing runbook"

echo "==> metric name checker (against the sample expositions)"
python3 scripts/lib/test_metric_names.py
python3 scripts/lib/metric_names.py \
    --exposition scripts/lib/testdata/collector.metrics.txt \
    --exposition scripts/lib/testdata/agent.metrics.txt \
    --rules "$rules" --dashboard "$dashboard"

echo "==> observability checks passed"
