//! Multilateration (MLAT): positions of aircraft that send no ADS-B
//! position, from the times of arrival of their Mode S replies at several
//! receivers. Pure and synchronous: the collector feeds receptions with
//! [`Mlat::observe`] and collects fixes with [`Mlat::poll`]; nothing here
//! does I/O or keeps time of its own.
//!
//! How it works (after mlat-server):
//! - `receiver`: each receiver's 12 MHz counter, unwrapped, with resets.
//! - `group`: receptions of one transmission, by identical frame bytes.
//! - `pair`, `sync`: clock pairs synchronised from ADS-B positions heard
//!   by both receivers (offset and drift, outliers, restarts, expiry).
//! - `frequency`: each clock's absolute frequency error, from how its
//!   pairs' residuals grow with the propagation delay.
//! - `norm`: one transmission's readings put on a common base clock.
//! - `solver`: TDOA least squares in ECEF, with the altitude when known.
//! - `track`: per aircraft an IMM of two Kalman models (`kalman`: straight
//!   flight and manoeuvre) for smoothing, speed and track; `track_tdoa`:
//!   its update from one transmission's time differences.
//! - `process`: what is done with each group (sync, self-check, solve).
//! - `geodesy`, `linalg`: WGS84 conversions and small matrices.
//! - `stats`: counters and distributions; `stats_view`: them as
//!   Prometheus metrics ([`MlatMetrics`]); `fix`: the output, which
//!   `Processor::apply_mlat` stores.

pub mod fix;
mod frequency;
mod geodesy;
mod group;
mod kalman;
mod linalg;
mod modes;
mod norm;
mod pair;
mod process;
mod receiver;
#[cfg(test)]
mod sim;
mod solver;
mod stats;
mod stats_view;
mod sync;
mod track;
mod track_tdoa;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use cloudradar_shared::Frame;

pub use fix::MlatFix;
pub use geodesy::{C_AIR, ecef_to_lla, lla_to_ecef};
pub use group::Known;
pub use pair::PairConfig;
pub use solver::SolverConfig;
pub use stats::{MlatStats, Refusal, Refused};
pub use stats_view::MlatMetrics;
pub use track::TrackConfig;

use group::{Group, Groups, Reception};
use receiver::{Receiver, Stamp};
use stats::Recent;
use sync::Clocks;
use track::Track;

/// Engine settings; the defaults suit Beast-class receivers tens to
/// hundreds of kilometres apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MlatOptions {
    /// Receptions of one frame within this many ms (wall clock) form one group.
    pub group_window_ms: u64,
    /// An aircraft with an ADS-B position within this many ms is not multilaterated.
    pub adsb_timeout_ms: u64,
    /// One in this many ADS-B positions is solved as a self-check (0: none).
    pub selfcheck_every: u32,
    /// A counter advance disagreeing with the wall clock by more than this is a reset, s.
    pub reset_tolerance_s: f64,
    /// Pairs without a sample for this long are dropped, ms.
    pub pair_stale_ms: u64,
    /// Uncertainty given to a reported (barometric) altitude, metres (1σ).
    pub altitude_sigma_m: f64,
    /// A reported altitude is used for this long after it was heard, ms.
    pub altitude_max_age_ms: u64,
    /// Receptions of identical bytes further apart than this on the common
    /// clock are different transmissions, s.
    pub cluster_gap_s: f64,
    /// Solutions wait this long after the grouping window before the
    /// tracker takes them in time order, ms (at least the polling period).
    pub track_delay_ms: u64,
    /// At most this many groups are open at once.
    pub max_open_groups: usize,
    /// Clock pair synchronisation.
    pub pair: PairConfig,
    /// Position solving.
    pub solver: SolverConfig,
    /// Tracking.
    pub track: TrackConfig,
}

impl Default for MlatOptions {
    fn default() -> Self {
        Self {
            group_window_ms: 2_500,
            adsb_timeout_ms: 60_000,
            selfcheck_every: 10,
            reset_tolerance_s: 3.0,
            pair_stale_ms: 60_000,
            altitude_sigma_m: 150.0,
            altitude_max_age_ms: 15_000,
            cluster_gap_s: 0.005,
            track_delay_ms: 1_500,
            max_open_groups: 200_000,
            pair: PairConfig::default(),
            solver: SolverConfig::default(),
            track: TrackConfig::default(),
        }
    }
}

/// What the engine remembers of one aircraft.
#[derive(Debug, Clone, Default)]
struct Aircraft {
    /// Wall clock of the last ADS-B position, Unix ms.
    last_known_ms: Option<u64>,
    /// ADS-B positions seen, for self-check sampling.
    positions: u32,
    /// Last reported altitude (feet) and when, Unix ms.
    altitude: Option<(i64, u64)>,
    /// The track, its clock's receiver and epoch, and the wall clock of its last fix.
    track: Option<TrackState>,
    /// Wall clock of the last group, Unix ms.
    last_seen_ms: u64,
}

#[derive(Debug, Clone)]
struct TrackState {
    track: Track,
    rx: u16,
    epoch: u32,
    last_ms: u64,
}

/// Running counters (the rest of [`MlatStats`] is computed on demand).
#[derive(Debug, Clone, Default)]
struct Counters {
    clock_resets: u64,
    groups: u64,
    solves: u64,
    fixes: u64,
    refused: Refused,
    selfcheck_solves: u64,
}

/// The multilateration engine.
#[derive(Debug)]
pub struct Mlat {
    opts: MlatOptions,
    receivers: Vec<Receiver>,
    by_name: HashMap<String, u16>,
    clocks: Clocks,
    groups: Groups,
    aircraft: HashMap<u32, Aircraft>,
    counters: Counters,
    residuals_ns: Recent,
    selfcheck_m: Recent,
    expired: Vec<Group>,
    pending: Vec<modes::Pending>,
    last_prune_ms: u64,
}

impl Mlat {
    /// An engine with no receivers yet.
    pub fn new(options: MlatOptions) -> Self {
        Self {
            opts: options,
            receivers: Vec::new(),
            by_name: HashMap::new(),
            clocks: Clocks::new(options.pair),
            groups: Groups::default(),
            aircraft: HashMap::new(),
            counters: Counters::default(),
            residuals_ns: Recent::new(2_000),
            selfcheck_m: Recent::new(2_000),
            expired: Vec::new(),
            pending: Vec::new(),
            last_prune_ms: 0,
        }
    }

    fn receiver_index(&mut self, name: &str) -> Option<u16> {
        if let Some(&i) = self.by_name.get(name) {
            return Some(i);
        }
        let i = u16::try_from(self.receivers.len()).ok()?;
        self.receivers.push(Receiver::new());
        self.by_name.insert(name.to_owned(), i);
        Some(i)
    }

    /// A receiver's antenna position (lat, lon deg, altitude metres above
    /// WGS84); may change. A receiver that moves more than 100 m loses its
    /// clock pairs, whose samples assumed the old position.
    pub fn set_receiver(&mut self, receiver: &str, lat: f64, lon: f64, alt_m: f64) {
        if !plausible(lat, lon, alt_m) {
            return;
        }
        let Some(i) = self.receiver_index(receiver) else {
            return;
        };
        let r = &mut self.receivers[usize::from(i)];
        let old = r.located.then_some(r.ecef);
        r.locate(lat, lon, alt_m);
        if old.is_some_and(|o| linalg::dist(o, r.ecef) > 100.0) {
            self.clocks.reset_receiver(i);
        }
    }

    /// One reception: `timestamp` is the receiver's own 12 MHz counter (48
    /// bits, wraps; 0 = none: ignored), `rx_ms` its wall clock (only roughly
    /// right, ±1 s). `known` is the aircraft's decoded ADS-B position for
    /// exactly this message when it is a DF17/18 airborne position.
    pub fn observe(
        &mut self,
        receiver: &str,
        frame: &Frame,
        timestamp: u64,
        rx_ms: u64,
        known: Option<Known>,
    ) {
        if timestamp == 0 {
            return;
        }
        // A position that cannot be right would poison the clock pairs.
        let known = known.filter(|k| plausible(k.lat, k.lon, k.alt_ft * geodesy::FT));
        let Some(i) = self.receiver_index(receiver) else {
            return;
        };
        let tolerance = self.opts.reset_tolerance_s;
        let r = &mut self.receivers[usize::from(i)];
        if !r.located {
            return;
        }
        let t = match r.stamp(timestamp, rx_ms, tolerance) {
            Stamp::Time(t) => t,
            Stamp::Reset => {
                self.counters.clock_resets += 1;
                self.clocks.reset_receiver(i);
                0.0
            }
        };
        let reception = Reception {
            rx: i,
            epoch: self.receivers[usize::from(i)].epoch,
            t,
            rx_ms,
        };
        if known.is_some()
            && matches!(frame.df(), 17 | 18)
            && let Some(icao) = extended_squitter_address(frame)
        {
            let a = self.aircraft.entry(icao).or_default();
            a.last_known_ms = Some(a.last_known_ms.unwrap_or(0).max(rx_ms));
        }
        self.groups
            .add(frame, reception, known, self.opts.max_open_groups);
    }

    /// Processes groups older than the grouping window at `now_ms` (wall
    /// clock) and returns the new fixes, oldest first. Fixes come out
    /// `group_window_ms + track_delay_ms` after their transmission, so that
    /// the tracker sees them in time order.
    pub fn poll(&mut self, now_ms: u64) -> Vec<MlatFix> {
        let mut expired = std::mem::take(&mut self.expired);
        self.groups
            .take_expired(now_ms, self.opts.group_window_ms, &mut expired);
        for group in expired.drain(..) {
            self.counters.groups += 1;
            self.process(&group);
        }
        self.expired = expired;
        let mut fixes = Vec::new();
        self.release(now_ms, &mut fixes);
        self.clocks
            .expire(now_ms.saturating_sub(self.opts.pair_stale_ms));
        if now_ms.saturating_sub(self.last_prune_ms) > 60_000 {
            self.last_prune_ms = now_ms;
            let horizon = now_ms.saturating_sub(10 * 60_000);
            self.aircraft
                .retain(|_, a| a.last_seen_ms.max(a.last_known_ms.unwrap_or(0)) >= horizon);
        }
        self.counters.fixes += fixes.len() as u64;
        fixes
    }

    /// The estimated frequency error of `receiver`'s clock, ppm (positive
    /// when it runs fast), if it is known to the engine.
    pub fn frequency_ppm(&self, receiver: &str) -> Option<f64> {
        let i = *self.by_name.get(receiver)?;
        Some(self.clocks.frequency(i) * 1e6)
    }

    /// Sync state and self-check figures for metrics.
    pub fn stats(&self) -> MlatStats {
        let (pairs, pairs_synced) = self.clocks.pair_counts();
        let residual = self.residuals_ns.percentiles([0.5, 0.95]);
        let check = self.selfcheck_m.percentiles([0.5, 0.95]);
        let c = &self.counters;
        MlatStats {
            receivers: self.receivers.len(),
            open_groups: self.groups.open(),
            pairs,
            pairs_synced,
            sync_samples: self.clocks.counts.samples,
            sync_outliers: self.clocks.counts.outliers,
            pair_resets: self.clocks.counts.resets,
            clock_resets: c.clock_resets,
            groups: c.groups,
            solves: c.solves,
            fixes: c.fixes,
            refused: c.refused,
            residual_ns_p50: residual.map(|r| r[0]),
            residual_ns_p95: residual.map(|r| r[1]),
            selfcheck_solves: c.selfcheck_solves,
            selfcheck_error_m_p50: check.map(|r| r[0]),
            selfcheck_error_m_p95: check.map(|r| r[1]),
        }
    }
}

/// Whether a position is finite and on or above the Earth within reason.
fn plausible(lat: f64, lon: f64, alt_m: f64) -> bool {
    lat.abs() <= 90.0 && lon.abs() <= 360.0 && (-1_000.0..=30_000.0).contains(&alt_m)
}

/// The AA field of a DF17/18 (bits 9–32), read without decoding.
pub fn extended_squitter_address(frame: &Frame) -> Option<u32> {
    let b = frame.as_bytes();
    Some(u32::from(*b.get(1)?) << 16 | u32::from(*b.get(2)?) << 8 | u32::from(*b.get(3)?))
}
