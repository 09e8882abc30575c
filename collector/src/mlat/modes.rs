//! Mode S-only aircraft: each solved reply goes through the aircraft's
//! track (kept on one receiver's clock, so that time differences between
//! fixes are exact) and becomes a fix.

use super::linalg::Vec3;
use super::process::Solved;
use super::stats::Refusal;
use super::track::{Track, Update};
use super::{Mlat, MlatFix, TrackState, ecef_to_lla};

/// A solution waiting for the tracker.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    icao: u32,
    solved: Solved,
    alt_ft: Option<i64>,
}

/// A track older than this gives no starting point for the solver, ms.
const GUESS_MAX_AGE_MS: u64 = 10_000;

impl Mlat {
    /// Solves a reply of a Mode S-only aircraft; its solutions wait for [`Mlat::release`].
    pub(super) fn solve_mode_s(
        &mut self,
        group: &super::group::Group,
        icao: u32,
        alt_ft: Option<i64>,
    ) {
        let (preferred, guess) = self.track_hint(icao, group.first_ms);
        let alt_m = alt_ft.map(|ft| ft as f64 * 0.3048);
        for s in self.solve_clusters(group, alt_m, preferred, guess) {
            self.pending.push(Pending {
                icao,
                solved: s,
                alt_ft,
            });
        }
    }

    /// Feeds the tracker, in time order, the solutions that no later group
    /// can precede any more: a transmission reaches `poll` up to one
    /// grouping window (plus the polling period) after it was sent, and
    /// identical bytes repeated within the window share one group.
    pub(super) fn release(&mut self, now_ms: u64, fixes: &mut Vec<MlatFix>) {
        let horizon = now_ms.saturating_sub(self.opts.group_window_ms + self.opts.track_delay_ms);
        self.pending.sort_by_key(|p| p.solved.rx_ms);
        let ready = self.pending.partition_point(|p| p.solved.rx_ms <= horizon);
        let mut pending = std::mem::take(&mut self.pending);
        for p in pending.drain(..ready) {
            if let Some(fix) = self.follow(p.icao, &p.solved, p.alt_ft) {
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

    /// Feeds a solution to the aircraft's track and makes the fix. A
    /// solve from three receivers and the altitude has no redundancy (and
    /// often a mirror solution far away), so it only extends a track that
    /// four or more receivers established; a new track reports nothing
    /// until a second solve agrees with its first.
    fn follow(&mut self, icao: u32, s: &Solved, alt_ft: Option<i64>) -> Option<MlatFix> {
        let cfg = self.opts.track;
        let sol = &s.solution;
        let checkable = s.receivers >= 4;
        let base_epoch = self.receivers.get(usize::from(s.base))?.epoch;
        let a = self.aircraft.get_mut(&icao)?;
        // The transmission time on the track's clock, if it can be had.
        let on_track_clock = a.track.as_ref().and_then(|ts| {
            let epoch = self.receivers.get(usize::from(ts.rx))?.epoch;
            if epoch != ts.epoch {
                return None;
            }
            self.clocks.convert(s.base, ts.rx, sol.t0).map(|(t, _)| t)
        });
        let usable = a.track.as_ref().filter(|ts| ts.track.established(&cfg));
        if !checkable && (usable.is_none() || on_track_clock.is_none()) {
            self.counters.refused.count(Refusal::Unverifiable);
            return None;
        }
        let (update, ts) = match (a.track.as_mut(), on_track_clock) {
            (Some(ts), Some(t)) => {
                let update = ts.track.update(sol.ecef, sol.cov, t, checkable, &cfg);
                (update, ts)
            }
            _ => {
                let ts = a.track.insert(TrackState {
                    track: Track::new(sol.ecef, sol.cov, sol.t0),
                    rx: s.base,
                    epoch: base_epoch,
                    last_ms: s.rx_ms,
                });
                (Update::Started, ts)
            }
        };
        if update == Update::Rejected {
            self.counters.refused.count(Refusal::TrackOutlier);
            return None;
        }
        if update == Update::Started {
            ts.rx = s.base;
            ts.epoch = base_epoch;
            ts.track = Track::new(sol.ecef, sol.cov, sol.t0);
        }
        ts.last_ms = s.rx_ms;
        if !ts.track.confirmed() {
            return None;
        }
        let established = ts.track.established(&cfg);
        let (pos, error_m) = if established {
            (ts.track.position(), ts.track.error_m())
        } else {
            (sol.ecef, sol.error_m)
        };
        if error_m > cfg.max_report_error_m {
            self.counters.refused.count(Refusal::Imprecise);
            return None;
        }
        let (lat, lon, _) = ecef_to_lla(pos);
        let velocity = established.then(|| ts.track.velocity());
        Some(MlatFix {
            icao,
            time_ms: s.rx_ms,
            lat,
            lon,
            alt_baro_ft: alt_ft,
            error_m,
            gs_kt: velocity.map(|v| v.0),
            track_deg: velocity.map(|v| v.1),
            receivers: s.receivers,
        })
    }
}
