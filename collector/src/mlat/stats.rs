//! Counters and recent distributions for metrics: what the engine solved,
//! why it refused, how large the residuals were, and the self-check error
//! against ADS-B positions.

/// Why a solve produced no fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Fewer than 4 synchronised receivers (3 with an altitude).
    TooFewReceivers,
    /// The same receiver heard identical bytes twice close together.
    Ambiguous,
    /// The iteration did not settle.
    NotConverged,
    /// Dilution of precision too large (receivers in a line, too close…).
    BadGeometry,
    /// The measurements disagree with the solution beyond their jitter.
    LargeResidual,
    /// The solution is beyond radio range or at an impossible height.
    OutOfRange,
    /// The tracker rejected the fix by its innovation test.
    TrackOutlier,
    /// Three receivers and the altitude (no redundancy) for an aircraft
    /// without an established track.
    Unverifiable,
    /// The fix's estimated error is above what is reported.
    Imprecise,
}

/// Refused solves, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refused {
    /// See [`Refusal::TooFewReceivers`].
    pub too_few_receivers: u64,
    /// See [`Refusal::Ambiguous`].
    pub ambiguous: u64,
    /// See [`Refusal::NotConverged`].
    pub not_converged: u64,
    /// See [`Refusal::BadGeometry`].
    pub bad_geometry: u64,
    /// See [`Refusal::LargeResidual`].
    pub large_residual: u64,
    /// See [`Refusal::OutOfRange`].
    pub out_of_range: u64,
    /// See [`Refusal::Unverifiable`].
    pub unverifiable: u64,
    /// See [`Refusal::Imprecise`].
    pub imprecise: u64,
    /// See [`Refusal::TrackOutlier`].
    pub track_outlier: u64,
}

impl Refused {
    /// Counts one refusal.
    pub fn count(&mut self, why: Refusal) {
        let c = match why {
            Refusal::TooFewReceivers => &mut self.too_few_receivers,
            Refusal::Ambiguous => &mut self.ambiguous,
            Refusal::NotConverged => &mut self.not_converged,
            Refusal::BadGeometry => &mut self.bad_geometry,
            Refusal::LargeResidual => &mut self.large_residual,
            Refusal::OutOfRange => &mut self.out_of_range,
            Refusal::TrackOutlier => &mut self.track_outlier,
            Refusal::Unverifiable => &mut self.unverifiable,
            Refusal::Imprecise => &mut self.imprecise,
        };
        *c += 1;
    }
}

/// The last `capacity` values of a quantity, for percentiles.
#[derive(Debug, Clone)]
pub struct Recent {
    values: Vec<f64>,
    next: usize,
    capacity: usize,
}

impl Recent {
    /// Keeps the last `capacity` values.
    pub fn new(capacity: usize) -> Self {
        Self {
            values: Vec::with_capacity(capacity),
            next: 0,
            capacity: capacity.max(1),
        }
    }

    /// Records one value.
    pub fn push(&mut self, v: f64) {
        if self.values.len() < self.capacity {
            self.values.push(v);
        } else {
            self.values[self.next] = v;
        }
        self.next = (self.next + 1) % self.capacity;
    }

    /// Percentiles `ps` (0..=1) of the recorded values, nearest rank.
    pub fn percentiles<const N: usize>(&self, ps: [f64; N]) -> Option<[f64; N]> {
        if self.values.is_empty() {
            return None;
        }
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let last = sorted.len() - 1;
        Some(ps.map(|p| sorted[((p.clamp(0.0, 1.0) * last as f64).round() as usize).min(last)]))
    }
}

/// Sync state and self-check figures, for metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MlatStats {
    /// Receivers known (located or not).
    pub receivers: usize,
    /// Receiver pairs with any sync samples.
    pub pairs: usize,
    /// Receiver pairs synchronised (usable).
    pub pairs_synced: usize,
    /// Sync samples accepted, dropped as outliers, and pair restarts.
    pub sync_samples: u64,
    /// See `sync_samples`.
    pub sync_outliers: u64,
    /// See `sync_samples`.
    pub pair_resets: u64,
    /// Receiver clock resets detected (counter jumps against the wall clock).
    pub clock_resets: u64,
    /// Groups of receptions still waiting for the window to pass.
    pub open_groups: usize,
    /// Groups of receptions (distinct frames) processed.
    pub groups: u64,
    /// Solves attempted.
    pub solves: u64,
    /// Fixes returned.
    pub fixes: u64,
    /// Refused solves by reason.
    pub refused: Refused,
    /// RMS residual of recent accepted solves, nanoseconds: median and 95th percentile.
    pub residual_ns_p50: Option<f64>,
    /// See `residual_ns_p50`.
    pub residual_ns_p95: Option<f64>,
    /// ADS-B messages solved as a self-check sample.
    pub selfcheck_solves: u64,
    /// 2D error |MLAT - ADS-B| of recent self-check solves, metres: median.
    pub selfcheck_error_m_p50: Option<f64>,
    /// 95th percentile of the same.
    pub selfcheck_error_m_p95: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_the_last_values_only() {
        let mut r = Recent::new(100);
        for v in 0..300 {
            r.push(f64::from(v));
        }
        let [p50, p95] = r.percentiles([0.5, 0.95]).expect("values");
        assert!(
            (p50 - 250.0).abs() <= 1.0 && (p95 - 295.0).abs() <= 1.0,
            "{p50} {p95}"
        );
        assert!(Recent::new(4).percentiles([0.5]).is_none());
    }
}
