//! Mode S-only aircraft: each solved reply goes through the aircraft's
//! track (kept on one receiver's clock, so that time differences between
//! fixes are exact) and becomes a fix.

use super::geodesy::FT;
use super::group::Group;
use super::linalg::{Vec3, dist};
use super::process::Transmission;
use super::stats::Refusal;
use super::track::{Track, Update};
use super::track_tdoa::Measurement;
use super::{C_AIR, Mlat, MlatFix, TrackState, ecef_to_lla};

/// A transmission waiting for the tracker.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    icao: u32,
    tx: Transmission,
    alt_ft: Option<i64>,
}

/// A track older than this gives no starting point for the solver, ms.
const GUESS_MAX_AGE_MS: u64 = 10_000;

impl Mlat {
    /// Solves a reply of a Mode S-only aircraft; its transmissions wait for [`Mlat::release`].
    pub(super) fn solve_mode_s(&mut self, group: &Group, icao: u32, alt_ft: Option<i64>) {
        let (preferred, guess) = self.track_hint(icao, group.first_ms);
        let alt_m = alt_ft.map(|ft| ft as f64 * FT);
        for tx in self.solve_clusters(group, alt_m, preferred, guess) {
            self.pending.push(Pending { icao, tx, alt_ft });
        }
    }

    /// Feeds the tracker, in time order, the transmissions that no later group
    /// can precede any more: a transmission reaches `poll` up to one
    /// grouping window (plus the polling period) after it was sent, and
    /// identical bytes repeated within the window share one group.
    pub(super) fn release(&mut self, now_ms: u64, fixes: &mut Vec<MlatFix>) {
        let horizon = now_ms.saturating_sub(self.opts.group_window_ms + self.opts.track_delay_ms);
        self.pending.sort_by_key(|p| p.tx.rx_ms);
        let ready = self.pending.partition_point(|p| p.tx.rx_ms <= horizon);
        let mut pending = std::mem::take(&mut self.pending);
        for p in pending.drain(..ready) {
            if let Some(fix) = self.follow(p.icao, &p.tx, p.alt_ft) {
                fixes.push(fix);
            }
        }
        self.pending = pending;
    }

    /// The track's receiver (preferred base) and predicted position.
    fn track_hint(&self, icao: u32, now_ms: u64) -> (Option<u16>, Option<Vec3>) {
        let Some(ts) = self.aircraft.get(&icao).and_then(|a| a.track.as_ref()) else {
            return (None, None);
        };
        let age = now_ms.saturating_sub(ts.last_ms);
        let guess = (age <= GUESS_MAX_AGE_MS).then(|| {
            let t = ts.track.t + age as f64 / 1000.0;
            ts.track.predict_position(t, &self.opts.track)
        });
        (Some(ts.rx), guess)
    }

    /// Feeds a transmission to the aircraft's track and makes the fix.
    /// A track starts from a solve; until a second solve agrees with its
    /// first it reports nothing, and a solve from three receivers and the
    /// altitude (no redundancy, and often a mirror solution far away)
    /// neither starts nor confirms one. A confirmed track takes every
    /// transmission's arrival times directly ([`Track::update_tdoa`]),
    /// two receivers' included.
    fn follow(&mut self, icao: u32, tx: &Transmission, alt_ft: Option<i64>) -> Option<MlatFix> {
        let cfg = self.opts.track;
        let checkable = tx.toas.len() >= 4;
        let solved = tx.solution.as_ref().ok();
        let restart = solved.filter(|_| checkable).map(|s| (s.ecef, s.cov));
        let base_epoch = self.receivers.get(usize::from(tx.base))?.epoch;
        let on_track_clock = self.on_track_clock(icao, tx);
        let a = self.aircraft.get_mut(&icao)?;
        let alt = alt_ft.map(|ft| (ft as f64 * FT, self.opts.altitude_sigma_m));
        let update = match (a.track.as_mut(), on_track_clock) {
            (Some(ts), Some(t)) if ts.track.confirmed() => {
                let m = Measurement {
                    toas: &tx.toas,
                    alt,
                    t,
                };
                ts.track.update_tdoa(&m, restart, &cfg)
            }
            (Some(ts), Some(t)) if checkable => {
                let s = solved?;
                ts.track.update(s.ecef, s.cov, t, true, &cfg)
            }
            _ if restart.is_some() => Update::Started,
            _ => {
                if solved.is_some() {
                    self.counters.refused.count(Refusal::Unverifiable);
                }
                return None;
            }
        };
        if update == Update::Rejected {
            self.counters.refused.count(Refusal::TrackOutlier);
            return None;
        }
        let ts = match (a.track.as_mut(), update, solved) {
            (Some(ts), Update::Accepted, _) => ts,
            (_, _, Some(s)) => a.track.insert(TrackState {
                track: Track::new(s.ecef, s.cov, s.t0),
                rx: tx.base,
                epoch: base_epoch,
                last_ms: tx.rx_ms,
            }),
            _ => return None,
        };
        ts.last_ms = tx.rx_ms;
        if !ts.track.confirmed() {
            return None;
        }
        let established = ts.track.established(&cfg);
        let error_m = ts.track.error_m();
        if error_m > cfg.max_report_error_m {
            self.counters.refused.count(Refusal::Imprecise);
            return None;
        }
        let (lat, lon, _) = ecef_to_lla(ts.track.position());
        let velocity = established.then(|| ts.track.velocity());
        Some(MlatFix {
            icao,
            time_ms: tx.rx_ms,
            lat,
            lon,
            alt_baro_ft: alt_ft,
            error_m,
            gs_kt: velocity.map(|v| v.0),
            track_deg: velocity.map(|v| v.1),
            receivers: u8::try_from(tx.toas.len()).unwrap_or(u8::MAX),
        })
    }

    /// When `tx` left the aircraft, on the clock of the aircraft's track:
    /// from its solve, or else from the track's predicted position.
    fn on_track_clock(&self, icao: u32, tx: &Transmission) -> Option<f64> {
        let ts = self.aircraft.get(&icao)?.track.as_ref()?;
        if self.receivers.get(usize::from(ts.rx))?.epoch != ts.epoch {
            return None;
        }
        let t0 = match &tx.solution {
            Ok(s) => s.t0,
            Err(_) => {
                let first = tx.toas.first()?;
                let age = tx.rx_ms.saturating_sub(ts.last_ms) as f64 / 1000.0;
                let pos = ts
                    .track
                    .predict_position(ts.track.t + age, &self.opts.track);
                first.t - dist(pos, first.ecef) / C_AIR
            }
        };
        self.clocks.convert(tx.base, ts.rx, t0).map(|(t, _)| t)
    }
}
