//! The simulator's truth for the benchmark, and fixes scored against it.

use std::collections::{HashMap, HashSet};

use cloudradar_collector::mlat::MlatFix;
use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_sim::engine::TruthFrame;

/// Receivers that must hear a transmission for "in coverage".
const COVERAGE: usize = 4;
/// An aircraft counts as tracked if it has a fix this soon after
/// entering coverage.
const TRACKED_WITHIN_S: f64 = 30.0;

/// Where each Mode S-only aircraft was at each transmission.
#[derive(Debug, Default)]
pub struct Truth {
    /// Per address: (time s, position, receivers that heard it), in time order.
    tracks: HashMap<u32, Vec<(f64, Position, usize)>>,
}

impl Truth {
    /// Adds one transmission (only Mode S-only aircraft are scored).
    pub fn add(&mut self, f: &TruthFrame) {
        if !f.mode_s_only {
            return;
        }
        let Ok(icao) = u32::from_str_radix(&f.icao, 16) else {
            return;
        };
        let p = Position {
            lat: f.lat,
            lon: f.lon,
        };
        self.tracks
            .entry(icao)
            .or_default()
            .push((f.t, p, f.heard.len()));
    }

    /// Where `icao` was at `t` (interpolated between transmissions), and
    /// how many receivers heard its nearest transmission.
    pub fn at(&self, icao: u32, t: f64) -> Option<(Position, usize)> {
        let track = self.tracks.get(&icao)?;
        let i = track.partition_point(|(ti, _, _)| *ti < t);
        let (a, b) = (track.get(i.checked_sub(1)?)?, track.get(i)?);
        if b.0 - a.0 > 5.0 {
            return None; // a gap: no interpolation across it
        }
        let f = (t - a.0) / (b.0 - a.0).max(1e-9);
        let p = Position {
            lat: a.1.lat + (b.1.lat - a.1.lat) * f,
            lon: a.1.lon + (b.1.lon - a.1.lon) * f,
        };
        let heard = if f < 0.5 { a.2 } else { b.2 };
        Some((p, heard))
    }

    /// When `icao` entered coverage after `from`: its first transmission
    /// heard by enough receivers, if at least 10 more follow within the
    /// tracking time (it stayed in coverage).
    fn entered(&self, track: &[(f64, Position, usize)], from: f64) -> Option<f64> {
        let covered: Vec<f64> = track
            .iter()
            .filter(|(t, _, n)| *t >= from && *n >= COVERAGE)
            .map(|(t, _, _)| *t)
            .collect();
        let first = *covered.first()?;
        let within = covered
            .iter()
            .filter(|t| **t <= first + TRACKED_WITHIN_S)
            .count();
        (within > 10).then_some(first)
    }
}

/// The benchmark's figures.
#[derive(Debug, Default)]
pub struct Score {
    /// 2D errors of fixes of Mode S-only aircraft in coverage, metres.
    pub errors_m: Vec<f64>,
    /// Mode S-only aircraft that entered coverage (after the warm-up, with
    /// time left to be tracked).
    pub entered: usize,
    /// Of those, tracked within 30 s.
    pub tracked: usize,
    /// Mode S-only aircraft with fixes, averaged over the scored time.
    pub aircraft_multilaterated: f64,
}

impl Score {
    /// Scores `fixes` (times Unix ms, simulated time 0 at `epoch_ms`)
    /// after `warmup` seconds.
    pub fn of(truth: &Truth, fixes: &[MlatFix], epoch_ms: u64, warmup: f64) -> Self {
        let mut score = Score::default();
        let t_of = |f: &MlatFix| (f.time_ms as f64 - epoch_ms as f64) / 1000.0;
        let mut first_fix: HashMap<u32, f64> = HashMap::new();
        let mut per_second: HashMap<u64, HashSet<u32>> = HashMap::new();
        for f in fixes {
            let t = t_of(f);
            let Some((p, heard)) = truth.at(f.icao, t) else {
                continue;
            };
            first_fix.entry(f.icao).or_insert(t);
            if t < warmup {
                continue;
            }
            per_second.entry(t as u64).or_default().insert(f.icao);
            if heard >= COVERAGE {
                let fix = Position {
                    lat: f.lat,
                    lon: f.lon,
                };
                score.errors_m.push(distance_m(p, fix));
            }
        }
        let end = fixes.iter().map(t_of).fold(0.0, f64::max);
        for (icao, track) in &truth.tracks {
            let Some(entry) = truth.entered(track, warmup) else {
                continue;
            };
            if entry + TRACKED_WITHIN_S > end {
                continue;
            }
            score.entered += 1;
            let fixed_by = fixes
                .iter()
                .filter(|f| f.icao == *icao)
                .map(t_of)
                .find(|t| *t >= entry);
            let already = first_fix.get(icao).is_some_and(|t| *t <= entry);
            if already || fixed_by.is_some_and(|t| t <= entry + TRACKED_WITHIN_S) {
                score.tracked += 1;
            }
        }
        let seconds = per_second.len().max(1) as f64;
        score.aircraft_multilaterated =
            per_second.values().map(|s| s.len() as f64).sum::<f64>() / seconds;
        score.errors_m.sort_by(f64::total_cmp);
        score
    }

    /// The `q` quantile of the errors.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.errors_m.len();
        (n > 0).then(|| self.errors_m[((n - 1) as f64 * q).round() as usize])
    }

    /// Root mean square of the errors.
    pub fn rms(&self) -> Option<f64> {
        let n = self.errors_m.len();
        (n > 0).then(|| (self.errors_m.iter().map(|e| e * e).sum::<f64>() / n as f64).sqrt())
    }
}
