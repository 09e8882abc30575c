#!/usr/bin/env python3
"""Tests for metric_names.py: PromQL name extraction, the exported-name
check (including histograms rendered as summaries), the real rules and
dashboard against the hand-written expositions in testdata/, and those
expositions against the metric names in the Rust sources.

Run: python3 scripts/lib/test_metric_names.py
"""

import contextlib
import io
import re
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import metric_names as mn  # noqa: E402

RULES = ROOT / "deploy/observability/prometheus/rules/cloudradar.rules.yml"
DASHBOARD = ROOT / "deploy/observability/grafana/cloudradar.json"
COLLECTOR = HERE / "testdata/collector.metrics.txt"
AGENT = HERE / "testdata/agent.metrics.txt"


def run(*args):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = mn.main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


class Extraction(unittest.TestCase):
    def test_functions_grouping_labels_and_keywords_are_not_names(self):
        expr = (
            'histogram_quantile(0.99, sum by (job, instance, le) '
            '(rate(cloudradar_collector_batch_lag_seconds_bucket{route!="/readyz"}[5m]))) > 30'
        )
        self.assertEqual(mn.names_in_expr(expr), {"cloudradar_collector_batch_lag_seconds_bucket"})

    def test_vector_matching_offsets_strings_and_numbers(self):
        expr = (
            'label_replace(a_total / on(instance) group_left(receiver) b_total > 0.8, "buffer", "queue", "", "")'
            " or max_over_time(c_seconds[26h]) == 0 and c_seconds offset 26h"
            " unless ignoring(x) d > bool 1e9 and time() - vector(2 * 1024)"
            " or absent(up{job=\"cloudradar-collector\"})"
        )
        self.assertEqual(mn.names_in_expr(expr), {"a_total", "b_total", "c_seconds", "d", "up"})

    def test_grafana_variables_and_name_matchers(self):
        expr = 'sum by (receiver) (rate(x_total{receiver=~"$receiver"}[$__rate_interval])) + {__name__="y_bytes"}'
        self.assertEqual(mn.names_in_expr(expr), {"x_total", "y_bytes"})

    def test_label_values_query_yields_only_the_metric(self):
        self.assertEqual(mn.names_in_variable_query("label_values(m_total{job=\"a\"}, receiver)"), {"m_total"})
        self.assertEqual(mn.names_in_variable_query("label_values(receiver)"), set())


class ExportCheck(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(Path(f.name).unlink)
        return f.name

    def test_real_rules_and_dashboard_pass_against_the_samples(self):
        code, out, err = run("--exposition", COLLECTOR, "--exposition", AGENT,
                             "--rules", RULES, "--dashboard", DASHBOARD)
        self.assertEqual(code, 0, err)
        self.assertIn("are exported", out)

    def test_a_missing_metric_is_listed_with_where_it_is_used(self):
        text = COLLECTOR.read_text().replace("cloudradar_collector_redis_pending", "cloudradar_collector_redis_pendingX")
        code, _, err = run("--exposition", self.write(text), "--exposition", AGENT, "--rules", RULES)
        self.assertEqual(code, 1)
        self.assertIn("cloudradar_collector_redis_pending: not exported", err)
        self.assertIn("alert RedisPendingHigh", err)

    def test_a_histogram_rendered_as_a_summary_is_refused(self):
        # What metrics-exporter-prometheus renders when no buckets are configured.
        text = re.sub(r"(?m)^cloudradar_collector_batch_lag_seconds_bucket.*\n", "", COLLECTOR.read_text())
        text = text.replace("# TYPE cloudradar_collector_batch_lag_seconds histogram",
                            "# TYPE cloudradar_collector_batch_lag_seconds summary\n"
                            'cloudradar_collector_batch_lag_seconds{quantile="0.99"} 0.4')
        code, _, err = run("--exposition", self.write(text), "--exposition", AGENT, "--rules", RULES)
        self.assertEqual(code, 1)
        self.assertIn("cloudradar_collector_batch_lag_seconds_bucket: exported as a summary", err)

    def test_list_prints_names_without_recording_rules_or_up(self):
        code, out, _ = run("--list", "--rules", RULES, "--dashboard", DASHBOARD)
        names = out.split()
        self.assertEqual(code, 0)
        self.assertIn("cloudradar_agent_spool_max_bytes", names)
        self.assertNotIn("up", names)
        self.assertFalse([n for n in names if ":" in n])


class SamplesMatchSources(unittest.TestCase):
    def test_every_metric_in_the_rust_sources_is_in_the_samples(self):
        literal = re.compile(r'metrics::(?:counter|gauge|histogram)!\(\s*"([a-z0-9_]+)"')
        in_source = set()
        for crate in ("agent", "collector"):
            for f in (ROOT / crate / "src").rglob("*.rs"):
                in_source |= set(literal.findall(f.read_text()))
        self.assertTrue(in_source, "no metric names found in the sources")
        _, types = mn.exported([COLLECTOR, AGENT])
        self.assertEqual(sorted(in_source - set(types)), [])


if __name__ == "__main__":
    unittest.main(verbosity=1)
