//! What the engine does with one group of receptions: ADS-B positions
//! synchronise clocks (one in `selfcheck_every` is solved instead and
//! compared with its known position); replies of aircraft without ADS-B
//! positions are put on a common clock, split into transmissions, solved
//! and tracked.

use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::decode::{Content, DecodeOptions, Message, decode};

use super::geodesy::FT;
use super::group::{Group, Known, Reception};
use super::linalg::Vec3;
use super::norm::{self, MAX_RX, Normalised};
use super::solver::{self, Solution, Toa};
use super::stats::Refusal;
use super::sync::Reading;
use super::{Mlat, ecef_to_lla, lla_to_ecef};

/// Jitter assumed for a receiver none of whose pairs has a fit yet, s.
const DEFAULT_JITTER_S: f64 = 100e-9;
/// The least jitter believed (the 12 MHz tick alone is 24 ns rms).
const MIN_JITTER_S: f64 = 20e-9;
/// Height tried first when no altitude is known, metres.
const DEFAULT_HEIGHT_M: f64 = 9_000.0;

/// One transmission on a common clock, and its solve.
#[derive(Debug, Clone)]
pub(super) struct Transmission {
    /// Its position solved from it alone, or why there is none.
    pub solution: Result<Solution, Refusal>,
    /// The arrivals, on the base receiver's clock.
    pub toas: Vec<Toa>,
    /// Median wall clock of the receptions, Unix ms.
    pub rx_ms: u64,
    /// The receiver whose clock `toas` and `solution.t0` are on.
    pub base: u16,
}

/// The altitude a reply reports, feet.
fn reported_altitude(msg: &Message) -> Option<i64> {
    let alt = match msg.content {
        Content::SurveillanceAltitude { altitude, .. }
        | Content::CommBAltitude { altitude, .. }
        | Content::ShortAcas { altitude, .. }
        | Content::LongAcas { altitude, .. } => altitude,
        _ => None,
    };
    alt.map(|a| i64::from(a.feet()))
}

impl Mlat {
    /// Handles one expired group.
    pub(super) fn process(&mut self, group: &Group) {
        let Ok(msg) = decode(&group.frame, &DecodeOptions::default()) else {
            return;
        };
        let icao = msg.address.icao;
        let a = self.aircraft.entry(icao).or_default();
        a.last_seen_ms = a.last_seen_ms.max(group.first_ms);
        if let Some(ft) = reported_altitude(&msg) {
            a.altitude = Some((ft, group.first_ms));
        }
        if let (Some(known), 17 | 18) = (group.known, msg.df) {
            a.positions = a.positions.wrapping_add(1);
            let every = self.opts.selfcheck_every;
            if every > 0 && a.positions.is_multiple_of(every) {
                self.selfcheck(group, known);
            } else {
                self.sync_from(group, known);
            }
            return;
        }
        let timeout = self.opts.adsb_timeout_ms;
        let adsb = a
            .last_known_ms
            .is_some_and(|k| k.saturating_add(timeout) > group.first_ms);
        if adsb || !matches!(msg.df, 0 | 4 | 5 | 11 | 16 | 17 | 18 | 20 | 21) {
            return;
        }
        let max_age = self.opts.altitude_max_age_ms;
        let alt_ft = a
            .altitude
            .filter(|&(_, ms)| ms.saturating_add(max_age) >= group.first_ms)
            .map(|(ft, _)| ft);
        self.solve_mode_s(group, icao, alt_ft);
    }

    /// Receptions whose receiver is located and whose clock epoch is current.
    fn current(&self, group: &Group) -> Vec<Reception> {
        group
            .receptions
            .iter()
            .filter(|r| {
                self.receivers
                    .get(usize::from(r.rx))
                    .is_some_and(|rx| rx.located && rx.epoch == r.epoch)
            })
            .copied()
            .collect()
    }

    /// Clock pair samples from an ADS-B position; a receiver that heard
    /// the bytes twice is left out (which copy is this one is unknown).
    fn sync_from(&mut self, group: &Group, known: Known) {
        let recs = self.current(group);
        let readings: Vec<Reading> = recs
            .iter()
            .filter(|r| recs.iter().filter(|o| o.rx == r.rx).count() == 1)
            .map(|r| Reading {
                rx: r.rx,
                t: r.t,
                ecef: self.receivers[usize::from(r.rx)].ecef,
            })
            .collect();
        if readings.len() >= 2 {
            let pos = lla_to_ecef(known.lat, known.lon, known.alt_ft * FT);
            self.clocks.sync(pos, &readings, group.first_ms);
        }
    }

    /// Solves an ADS-B position as if it were a Mode S reply and records
    /// the distance to where the aircraft said it was.
    fn selfcheck(&mut self, group: &Group, known: Known) {
        let transmissions = self.solve_clusters(group, Some(known.alt_ft * FT), None, None);
        for solution in transmissions.into_iter().filter_map(|t| t.solution.ok()) {
            let (lat, lon, _) = ecef_to_lla(solution.ecef);
            let err = distance_m(
                Position { lat, lon },
                Position {
                    lat: known.lat,
                    lon: known.lon,
                },
            );
            self.selfcheck_m.push(err);
            self.counters.selfcheck_solves += 1;
        }
    }

    /// The jitter variance of receiver `rxs[slot]`'s timestamps. A pair's
    /// sample variance is the sum of its two receivers' (v_ij = s_i + s_j),
    /// so with two partners j, k that are synced to each other too,
    /// s_i = (v_ij + v_ik - v_jk) / 2; the median over such partner pairs
    /// separates a Beast-class receiver (tens of ns) from a dump1090-class
    /// one (hundreds) paired with it, which an average over its pairs
    /// cannot. With fewer partners, half the mean of its pairs.
    fn jitter_var(&self, rxs: &[u16], slot: usize) -> f64 {
        let me = rxs[slot];
        let var = |a: u16, b: u16| self.clocks.sample_var(a, b);
        let partners: Vec<(u16, f64)> = rxs
            .iter()
            .filter(|&&o| o != me)
            .filter_map(|&o| Some((o, var(me, o)?)))
            .collect();
        let mut own: Vec<f64> = Vec::new();
        for (x, &(j, vij)) in partners.iter().enumerate() {
            for &(k, vik) in &partners[x + 1..] {
                if let Some(vjk) = var(j, k) {
                    own.push((vij + vik - vjk) / 2.0);
                }
            }
        }
        if !own.is_empty() {
            own.sort_by(f64::total_cmp);
            return own[own.len() / 2].max(MIN_JITTER_S * MIN_JITTER_S);
        }
        if partners.is_empty() {
            return DEFAULT_JITTER_S * DEFAULT_JITTER_S;
        }
        partners.iter().map(|p| p.1).sum::<f64>() / partners.len() as f64 / 2.0
    }

    /// Puts a group on a common clock, splits it into transmissions and
    /// solves each, counting solves and refusals. Transmissions that two
    /// or more receivers heard once each come back, solved or not (a
    /// track can use them all the same).
    pub(super) fn solve_clusters(
        &mut self,
        group: &Group,
        alt_m: Option<f64>,
        preferred: Option<u16>,
        guess: Option<Vec3>,
    ) -> Vec<Transmission> {
        let mut recs = self.current(group);
        let mut rxs: Vec<u16> = Vec::with_capacity(recs.len());
        for r in &recs {
            if !rxs.contains(&r.rx) && rxs.len() < MAX_RX {
                rxs.push(r.rx);
            }
        }
        recs.retain(|r| rxs.contains(&r.rx));
        let readings: Vec<(usize, f64)> = recs
            .iter()
            .map(|r| (rxs.iter().position(|&x| x == r.rx).unwrap_or(0), r.t))
            .collect();
        let mut out = Vec::new();
        let Some(base) = norm::choose_base(&self.clocks, &rxs, preferred) else {
            if rxs.len() >= 2 {
                self.counters.refused.count(Refusal::TooFewReceivers);
            }
            return out;
        };
        let mut normed = Vec::with_capacity(readings.len());
        norm::normalise(&self.clocks, &rxs, base, &readings, &mut normed);
        // Differences on the base clock, in true seconds.
        let scale = 1.0 / (1.0 + self.clocks.frequency(rxs[base]));
        if let Some(origin) = normed.first().map(|n| n.t) {
            for n in &mut normed {
                n.t = origin + (n.t - origin) * scale;
            }
        }
        normed.sort_by(|a, b| a.t.total_cmp(&b.t));
        let gap = self.opts.cluster_gap_s;
        for cluster in normed.chunk_by(|a, b| b.t - a.t <= gap) {
            let slots = |n: &Normalised| readings[n.index].0;
            let ambiguous = cluster
                .iter()
                .enumerate()
                .any(|(i, a)| cluster[..i].iter().any(|b| slots(a) == slots(b)));
            self.counters.solves += 1;
            let toas: Vec<Toa> = cluster
                .iter()
                .map(|n| Toa {
                    ecef: self.receivers[usize::from(rxs[slots(n)])].ecef,
                    t: n.t,
                    var: n.var + self.jitter_var(&rxs, slots(n)),
                })
                .collect();
            let start = guess
                .unwrap_or_else(|| solver::initial_guess(&toas, alt_m.unwrap_or(DEFAULT_HEIGHT_M)));
            let constraint = alt_m.map(|h| (h, self.opts.altitude_sigma_m));
            if ambiguous {
                self.counters.refused.count(Refusal::Ambiguous);
                continue;
            }
            let solution = solver::solve(&toas, constraint, start, &self.opts.solver);
            match &solution {
                Ok(s) => self.residuals_ns.push(s.rms_ns),
                Err(why) => self.counters.refused.count(*why),
            }
            if toas.len() >= 2 {
                let mut ms: Vec<u64> = cluster.iter().map(|n| recs[n.index].rx_ms).collect();
                ms.sort_unstable();
                out.push(Transmission {
                    solution,
                    toas,
                    rx_ms: ms[ms.len() / 2],
                    base: rxs[base],
                });
            }
        }
        out
    }
}
