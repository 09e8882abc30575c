//! The multilateration engine's numbers as Prometheus metrics: the engine
//! fills an [`MlatMetrics`] with plain numbers and [`MlatMetrics::publish`]
//! sets the `cloudradar_mlat_*` series from it (described in
//! `telemetry.rs`). Quantiles are gauges with a `quantile` label, as a
//! Prometheus summary writes them, and NaN while there are no samples
//! (a summary's convention), so an alert on them cannot fire on nothing.

/// A snapshot of the engine's counts and quantiles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MlatMetrics {
    /// Receiver pairs whose clocks are currently synchronised.
    pub sync_pairs: u64,
    /// Solves that converged, since start.
    pub solves: u64,
    /// Fixes produced (solves that passed every check), since start.
    pub fixes: u64,
    /// Solves refused, by reason (a small fixed set of names), since start.
    pub refused: Vec<(&'static str, u64)>,
    /// Median timing residual of recent solves, nanoseconds.
    pub residual_ns_p50: f64,
    /// 95th percentile timing residual of recent solves, nanoseconds.
    pub residual_ns_p95: f64,
    /// Median distance between a self-check fix and the aircraft's ADS-B
    /// position, metres.
    pub selfcheck_error_m_p50: f64,
    /// 95th percentile of the same, metres.
    pub selfcheck_error_m_p95: f64,
    /// Self-check comparisons behind the two quantiles above.
    pub selfcheck_samples: u64,
}

/// `v`, or NaN when no sample backs it.
fn quantile(v: f64, samples: u64) -> f64 {
    if samples == 0 { f64::NAN } else { v }
}

impl MlatMetrics {
    /// Sets every `cloudradar_mlat_*` series from this snapshot. The
    /// totals are cumulative in the engine, so counters are set, not
    /// incremented.
    pub fn publish(&self) {
        use metrics::{counter, gauge};
        counter!("cloudradar_mlat_fixes_total").absolute(self.fixes);
        counter!("cloudradar_mlat_solves_total", "result" => "solved").absolute(self.solves);
        for &(reason, n) in &self.refused {
            counter!("cloudradar_mlat_solves_total", "result" => reason).absolute(n);
        }
        gauge!("cloudradar_mlat_sync_pairs").set(self.sync_pairs as f64);
        let residual = |v| quantile(v, self.solves);
        gauge!("cloudradar_mlat_residual_ns", "quantile" => "0.5")
            .set(residual(self.residual_ns_p50));
        gauge!("cloudradar_mlat_residual_ns", "quantile" => "0.95")
            .set(residual(self.residual_ns_p95));
        let error = |v| quantile(v, self.selfcheck_samples);
        gauge!("cloudradar_mlat_selfcheck_error_meters", "quantile" => "0.5")
            .set(error(self.selfcheck_error_m_p50));
        gauge!("cloudradar_mlat_selfcheck_error_meters", "quantile" => "0.95")
            .set(error(self.selfcheck_error_m_p95));
        gauge!("cloudradar_mlat_selfcheck_samples").set(self.selfcheck_samples as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_exporter_prometheus::PrometheusBuilder;

    fn line<'a>(text: &'a str, series: &str) -> Option<&'a str> {
        text.lines()
            .find(|l| l.starts_with(series))
            .map(|l| &l[series.len()..])
    }

    #[test]
    fn a_snapshot_sets_every_series() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let stats = MlatMetrics {
            sync_pairs: 6,
            solves: 120,
            fixes: 100,
            refused: vec![("too_few_receivers", 15), ("selfcheck", 5)],
            residual_ns_p50: 80.0,
            residual_ns_p95: 250.5,
            selfcheck_error_m_p50: 40.0,
            selfcheck_error_m_p95: 130.0,
            selfcheck_samples: 30,
        };
        metrics::with_local_recorder(&recorder, || stats.publish());
        let text = handle.render();
        let want = [
            ("cloudradar_mlat_fixes_total ", "100"),
            ("cloudradar_mlat_solves_total{result=\"solved\"} ", "120"),
            (
                "cloudradar_mlat_solves_total{result=\"too_few_receivers\"} ",
                "15",
            ),
            ("cloudradar_mlat_solves_total{result=\"selfcheck\"} ", "5"),
            ("cloudradar_mlat_sync_pairs ", "6"),
            ("cloudradar_mlat_residual_ns{quantile=\"0.95\"} ", "250.5"),
            (
                "cloudradar_mlat_selfcheck_error_meters{quantile=\"0.5\"} ",
                "40",
            ),
            (
                "cloudradar_mlat_selfcheck_error_meters{quantile=\"0.95\"} ",
                "130",
            ),
            ("cloudradar_mlat_selfcheck_samples ", "30"),
        ];
        for (series, value) in want {
            assert_eq!(line(&text, series), Some(value), "{series} in\n{text}");
        }
    }

    #[test]
    fn quantiles_without_samples_are_nan() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || MlatMetrics::default().publish());
        let text = handle.render();
        let p95 = "cloudradar_mlat_selfcheck_error_meters{quantile=\"0.95\"} ";
        assert_eq!(line(&text, p95), Some("NaN"), "{text}");
        assert_eq!(line(&text, "cloudradar_mlat_fixes_total "), Some("0"));
    }
}
