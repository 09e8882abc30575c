//! The traffic model: a deterministic population of aircraft around one
//! airport — departures climbing out, arrivals descending in, overflights
//! at cruise with occasional turns, and a few aircraft taxiing — plus the
//! scenario events (emergency squawk, transponder failure). Aircraft that
//! leave the area are replaced by new ones entering it.

mod aircraft;
mod start;

pub use aircraft::{Aircraft, Equipment, GNSS_BARO_DIFF_FT, Phase, bearing, geometric_alt_m};

use cloudradar_shared::cpr::{Position, distance_m};

use crate::rng::Rng;
use start::{address_block, motion, random_squawk, start_point};

const AIRLINES: [&str; 12] = [
    "KLM", "DLH", "BAW", "AFR", "EZY", "RYR", "UAL", "DAL", "AAL", "SWA", "IBE", "SAS",
];

/// Scenario events, in simulated seconds from the start.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Events {
    /// The first ADS-B aircraft squawks 7700 at this time.
    pub emergency_at_s: Option<f64>,
    /// The second ADS-B aircraft squawks 7600 at this time.
    pub radio_failure_at_s: Option<f64>,
    /// The third ADS-B aircraft squawks 7500 at this time.
    pub hijack_at_s: Option<f64>,
    /// The fourth aircraft's transponder fails (goes silent) at this time.
    pub transponder_failure_at_s: Option<f64>,
}

/// All aircraft.
#[derive(Debug)]
pub struct Traffic {
    /// The aircraft.
    pub aircraft: Vec<Aircraft>,
    centre: Position,
    radius_m: f64,
    rng: Rng,
    /// Draws the equipment alone, so the share of Mode S-only aircraft
    /// does not change where the aircraft are.
    equipment_rng: Rng,
    mode_s_only_share: f64,
    used_addresses: std::collections::HashSet<u32>,
    elapsed: f64,
    events: Events,
}

/// What traffic to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficSettings {
    /// Random seed.
    pub seed: u64,
    /// Number of aircraft.
    pub count: usize,
    /// The airport.
    pub centre: Position,
    /// Radius of the area, km.
    pub radius_km: f64,
    /// Share of the aircraft without ADS-B out (Mode S only), 0 to 1.
    pub mode_s_only_share: f64,
    /// Scenario events.
    pub events: Events,
}

impl Traffic {
    /// The aircraft of `s`.
    pub fn new(s: TrafficSettings) -> Self {
        let mut t = Self {
            aircraft: Vec::with_capacity(s.count),
            centre: s.centre,
            radius_m: s.radius_km * 1000.0,
            rng: Rng::new(s.seed),
            equipment_rng: Rng::new(s.seed ^ 0x5EED_E9A1_9000_0001),
            mode_s_only_share: s.mode_s_only_share,
            used_addresses: std::collections::HashSet::new(),
            elapsed: 0.0,
            events: s.events,
        };
        for i in 0..s.count {
            let a = t.spawn(i, true);
            t.aircraft.push(a);
        }
        t
    }

    fn spawn(&mut self, index: usize, initial: bool) -> Aircraft {
        let rng = &mut self.rng;
        let airline = AIRLINES[rng.below(AIRLINES.len() as u64) as usize];
        let (low, high) = address_block(airline);
        let icao = loop {
            let a = low + rng.below(u64::from(high - low + 1)) as u32;
            if self.used_addresses.insert(a) {
                break a;
            }
        };
        let phase = match (index % 20, initial) {
            (0, _) => Phase::Taxi,
            (1..=5, _) => Phase::Departure,
            (6..=11, _) => Phase::Arrival,
            _ => Phase::Overflight,
        };
        let equipment = match index % 25 {
            _ if self.equipment_rng.chance(self.mode_s_only_share) => Equipment::ModeS,
            7 => Equipment::Tisb,
            n => Equipment::Adsb([0, 1, 2, 2, 2][n % 5]),
        };
        let callsign = format!("{airline}{}", 100 + rng.below(8900));
        let squawk = random_squawk(rng);
        let category = ["A1", "A2", "A3", "A3", "A3", "A5"][rng.below(6) as usize];
        let (dist, brg) = start_point(phase, initial, self.radius_m, rng);
        let pos = destination(self.centre, brg, dist);
        let (alt, gs, track, vrate, target_alt, target_gs) =
            motion(phase, dist, brg, bearing(pos, self.centre), rng);
        Aircraft {
            icao,
            callsign,
            squawk,
            category,
            equipment,
            phase,
            lat: pos.lat,
            lon: pos.lon,
            alt_ft: alt,
            gs,
            track,
            vrate,
            target_track: track,
            target_alt,
            target_gs,
            transmitting: true,
        }
    }

    /// Simulated seconds since the start.
    pub fn elapsed(&self) -> f64 {
        self.elapsed
    }

    /// Advances every aircraft by `dt` seconds and applies events.
    pub fn step(&mut self, dt: f64) {
        let before = self.elapsed;
        self.elapsed += dt;
        let now = self.elapsed;
        let fired = |at: Option<f64>| at.is_some_and(|t| before < t && t <= now);
        let adsb: Vec<usize> = (0..self.aircraft.len())
            .filter(|&i| {
                matches!(self.aircraft[i].equipment, Equipment::Adsb(_))
                    && !self.aircraft[i].on_ground()
            })
            .collect();
        for (slot, (at, squawk)) in [
            (self.events.emergency_at_s, 0x7700),
            (self.events.radio_failure_at_s, 0x7600),
            (self.events.hijack_at_s, 0x7500),
        ]
        .into_iter()
        .enumerate()
        {
            if fired(at)
                && let Some(&i) = adsb.get(slot)
            {
                self.aircraft[i].squawk = squawk;
            }
        }
        if fired(self.events.transponder_failure_at_s)
            && let Some(&i) = adsb.get(3)
        {
            self.aircraft[i].transmitting = false;
        }
        for i in 0..self.aircraft.len() {
            self.behave(i);
            self.aircraft[i].step(dt);
            let far = distance_m(self.centre, self.aircraft[i].position()) > self.radius_m * 1.05;
            let landed = self.aircraft[i].phase == Phase::Arrival
                && self.aircraft[i].alt_ft <= 2_000.0
                && distance_m(self.centre, self.aircraft[i].position()) < 3_000.0;
            if far || landed {
                // Leaves coverage (or lands): a new aircraft takes its place.
                self.aircraft[i] = self.spawn(i, false);
            }
        }
    }

    fn behave(&mut self, i: usize) {
        let centre = self.centre;
        let turn = self.rng.chance(0.002);
        let new_heading = self.rng.range(0.0, 360.0);
        let a = &mut self.aircraft[i];
        match a.phase {
            Phase::Arrival => a.target_track = bearing(a.position(), centre),
            Phase::Taxi => {
                if distance_m(centre, a.position()) > 2_500.0 {
                    a.target_track = bearing(a.position(), centre);
                } else if turn {
                    a.target_track = new_heading;
                }
            }
            Phase::Overflight if turn => {
                a.target_track = (a.track + (new_heading - 180.0) / 6.0).rem_euclid(360.0)
            }
            _ => {}
        }
    }
}

/// The point `dist_m` from `from` along bearing `brg` degrees.
pub fn destination(from: Position, brg: f64, dist_m: f64) -> Position {
    let d = dist_m / 6_371_000.0;
    let (lat1, lon1, b) = (
        from.lat.to_radians(),
        from.lon.to_radians(),
        brg.to_radians(),
    );
    let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * b.cos()).asin();
    let lon2 = lon1 + (b.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
    Position {
        lat: lat2.to_degrees(),
        lon: (lon2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EHAM: Position = Position {
        lat: 52.3086,
        lon: 4.7639,
    };

    fn traffic(seed: u64, count: usize, events: Events) -> Traffic {
        Traffic::new(TrafficSettings {
            seed,
            count,
            centre: EHAM,
            radius_km: 150.0,
            mode_s_only_share: 0.15,
            events,
        })
    }

    #[test]
    fn same_seed_same_traffic() {
        let mut a = traffic(42, 50, Events::default());
        let mut b = traffic(42, 50, Events::default());
        for _ in 0..100 {
            a.step(0.5);
            b.step(0.5);
        }
        let pa: Vec<_> = a
            .aircraft
            .iter()
            .map(|x| (x.icao, x.lat, x.lon, x.alt_ft))
            .collect();
        let pb: Vec<_> = b
            .aircraft
            .iter()
            .map(|x| (x.icao, x.lat, x.lon, x.alt_ft))
            .collect();
        assert_eq!(pa, pb);
    }

    #[test]
    fn traffic_stays_in_the_area_with_believable_numbers() {
        let mut t = traffic(1, 200, Events::default());
        for _ in 0..600 {
            t.step(1.0);
        }
        for a in &t.aircraft {
            assert!(distance_m(EHAM, a.position()) <= 150_000.0 * 1.06, "{a:?}");
            assert!((0.0..=45_000.0).contains(&a.alt_ft));
            assert!(a.gs < 600.0 && a.vrate.abs() <= 3_000.0);
        }
        assert!(t.aircraft.iter().any(|a| a.on_ground()));
        assert!(t.aircraft.iter().any(|a| a.equipment == Equipment::ModeS));
    }

    #[test]
    fn scenario_events_fire() {
        let events = Events {
            emergency_at_s: Some(5.0),
            transponder_failure_at_s: Some(5.0),
            ..Events::default()
        };
        let mut t = traffic(3, 60, events);
        for _ in 0..10 {
            t.step(1.0);
        }
        assert_eq!(t.aircraft.iter().filter(|a| a.squawk == 0x7700).count(), 1);
        assert_eq!(t.aircraft.iter().filter(|a| !a.transmitting).count(), 1);
    }

    /// The configured share of aircraft, and only it, lacks ADS-B; the
    /// share does not move the aircraft.
    #[test]
    fn mode_s_only_share_is_as_configured() {
        let share = |t: &Traffic| {
            let n = t.aircraft.iter().filter(|a| a.mode_s_only()).count();
            n as f64 / t.aircraft.len() as f64
        };
        let t = traffic(5, 4_000, Events::default());
        assert!((share(&t) - 0.15).abs() < 0.02, "{}", share(&t));
        let none = Traffic::new(TrafficSettings {
            seed: 5,
            count: 4_000,
            centre: EHAM,
            radius_km: 150.0,
            mode_s_only_share: 0.0,
            events: Events::default(),
        });
        assert_eq!(share(&none), 0.0);
        let moved = t
            .aircraft
            .iter()
            .zip(&none.aircraft)
            .filter(|(a, b)| (a.icao, a.lat, a.lon) != (b.icao, b.lat, b.lon))
            .count();
        assert_eq!(moved, 0);
    }
}
