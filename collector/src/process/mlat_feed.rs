//! Receptions into the multilateration engine ([`crate::mlat`]): every
//! timed reception of a frame that decoded goes in with its receiver and
//! 12 MHz timestamp; an ADS-B airborne position the tracker decoded from
//! that very message goes in as the aircraft's known position, which
//! synchronises the receivers' clocks. The engine's fixes come back out
//! through [`Processor::poll_mlat`] and are stored by
//! [`Processor::apply_mlat`].

use cloudradar_shared::Frame;
use cloudradar_shared::state::{AltBaro, Fields};

use super::{Processor, ReceiverSite};
use crate::mlat::{Known, Mlat, MlatFix, MlatMetrics, MlatStats};

/// The position `fields` (what one message changed) gives, at the height
/// the same message carried: a GNSS height as it is, a barometric one
/// corrected by the aircraft's last GNSS-minus-baro difference
/// (`geom_minus_baro`, from its velocity messages). Pressure altitude is
/// not height: here it is 125 ft off in the simulator and up to a few
/// hundred in real weather, and a reference aircraft at the wrong height
/// biases every clock pair it synchronises.
fn known(fields: &Fields, geom_minus_baro: Option<i32>) -> Option<Known> {
    let (lat, lon) = (fields.lat?, fields.lon?);
    let alt_ft = match (fields.alt_geom, fields.alt_baro) {
        (Some(geom), _) => f64::from(geom),
        (None, Some(AltBaro::Feet(ft))) => f64::from(ft + geom_minus_baro.unwrap_or(0)),
        _ => return None,
    };
    Some(Known { lat, lon, alt_ft })
}

impl Processor {
    /// Multilaterates with `mlat` from now on.
    pub fn with_mlat(mut self, mlat: Mlat) -> Self {
        self.mlat = Some(Box::new(mlat));
        self
    }

    /// Tells the engine where `receiver` is (once per batch). A receiver
    /// that reports no antenna height is taken to be at the ellipsoid:
    /// tens of metres off in height bias every clock pair it is in, as
    /// the reference aircraft's elevations change.
    pub(super) fn locate_for_mlat(&mut self, receiver: &str, site: Option<ReceiverSite>) {
        if let (Some(m), Some(s)) = (self.mlat.as_mut(), site) {
            let (p, alt_m) = (s.position, s.alt_m.unwrap_or(0.0));
            m.set_receiver(receiver, p.lat, p.lon, alt_m);
        }
    }

    /// One reception: `time` on the collector's clock, `fields` what the
    /// message changed if it was the transmission's first reception.
    pub(super) fn feed_mlat(
        &mut self,
        receiver: &str,
        frame: &Frame,
        timestamp: u64,
        time: u64,
        fields: Option<&Fields>,
    ) {
        let Some(m) = self.mlat.as_mut() else { return };
        let known = fields
            .filter(|_| matches!(frame.df(), 17 | 18))
            .and_then(|f| {
                let icao = crate::mlat::extended_squitter_address(frame)?;
                let diff = self.tracker.get(icao, false)?.fields.geom_minus_baro;
                known(f, diff)
            });
        m.observe(receiver, frame, timestamp, time, known);
    }

    /// The fixes the engine has finished at wall time `now_ms`.
    pub fn poll_mlat(&mut self, now_ms: u64) -> Vec<MlatFix> {
        self.mlat
            .as_mut()
            .map(|m| m.poll(now_ms))
            .unwrap_or_default()
    }

    /// The multilateration engine, if it is on.
    pub fn mlat(&self) -> Option<&Mlat> {
        self.mlat.as_deref()
    }

    /// The engine's figures as metrics, if multilateration is on.
    pub fn mlat_metrics(&self) -> Option<MlatMetrics> {
        self.mlat.as_ref().map(|m| metrics_of(&m.stats()))
    }
}

fn metrics_of(s: &MlatStats) -> MlatMetrics {
    let r = &s.refused;
    let nan = f64::NAN;
    MlatMetrics {
        sync_pairs: s.pairs_synced as u64,
        solves: s.solves,
        fixes: s.fixes,
        refused: vec![
            ("too_few_receivers", r.too_few_receivers),
            ("ambiguous", r.ambiguous),
            ("not_converged", r.not_converged),
            ("bad_geometry", r.bad_geometry),
            ("large_residual", r.large_residual),
            ("out_of_range", r.out_of_range),
            ("track_outlier", r.track_outlier),
            ("unverifiable", r.unverifiable),
            ("imprecise", r.imprecise),
        ],
        residual_ns_p50: s.residual_ns_p50.unwrap_or(nan),
        residual_ns_p95: s.residual_ns_p95.unwrap_or(nan),
        selfcheck_error_m_p50: s.selfcheck_error_m_p50.unwrap_or(nan),
        selfcheck_error_m_p95: s.selfcheck_error_m_p95.unwrap_or(nan),
        selfcheck_samples: s.selfcheck_solves,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a barometric position was taken as the reference
    /// aircraft's height, 125 ft below the truth in the simulator.
    #[test]
    fn a_barometric_reference_is_lifted_by_the_gnss_difference() {
        let fields = Fields {
            lat: Some(52.0),
            lon: Some(5.0),
            alt_baro: Some(AltBaro::Feet(30_000)),
            ..Fields::default()
        };
        assert_eq!(known(&fields, Some(125)).map(|k| k.alt_ft), Some(30_125.0));
        assert_eq!(known(&fields, None).map(|k| k.alt_ft), Some(30_000.0));
        let gnss = Fields {
            alt_geom: Some(31_000),
            ..fields.clone()
        };
        assert_eq!(known(&gnss, Some(125)).map(|k| k.alt_ft), Some(31_000.0));
    }
}
