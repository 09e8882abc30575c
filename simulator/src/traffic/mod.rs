//! The traffic model: a deterministic population of aircraft around one
//! airport — departures climbing out, arrivals descending in, overflights
//! at cruise with occasional turns, and a few aircraft taxiing — plus the
//! scenario events (emergency squawk, transponder failure). Aircraft that
//! leave the area are replaced by new ones entering it.

mod aircraft;

pub use aircraft::{Aircraft, Equipment, Phase, bearing};

use cloudradar_shared::cpr::{Position, distance_m};

use crate::rng::Rng;

const AIRLINES: [&str; 12] = [
    "KLM", "DLH", "BAW", "AFR", "EZY", "RYR", "UAL", "DAL", "AAL", "SWA", "IBE", "SAS",
];

/// The ICAO 24-bit address block of each airline's state of registry
/// (ICAO Annex 10 Vol III, Part I, Chapter 9, Appendix: allocation of
/// aircraft addresses). Real addresses in one airspace are spread over many
/// blocks; sequential addresses would make a single bit error in an
/// address/parity reply (DF4/5/20/21) land on another simulated aircraft far
/// more often than it does on real traffic.
fn address_block(airline: &str) -> (u32, u32) {
    match airline {
        "KLM" => (0x48_0000, 0x48_7FFF),         // Netherlands
        "DLH" => (0x3C_0000, 0x3F_FFFF),         // Germany
        "BAW" | "EZY" => (0x40_0000, 0x43_FFFF), // United Kingdom
        "AFR" => (0x38_0000, 0x3B_FFFF),         // France
        "RYR" => (0x4C_A000, 0x4C_AFFF),         // Ireland
        "IBE" => (0x34_0000, 0x37_FFFF),         // Spain
        "SAS" => (0x4A_8000, 0x4A_FFFF),         // Sweden
        _ => (0xA0_0000, 0xAF_FFFF),             // United States
    }
}

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
    used_addresses: std::collections::HashSet<u32>,
    elapsed: f64,
    events: Events,
}

impl Traffic {
    /// `count` aircraft around `centre` within `radius_km`.
    pub fn new(seed: u64, count: usize, centre: Position, radius_km: f64, events: Events) -> Self {
        let mut t = Self {
            aircraft: Vec::with_capacity(count),
            centre,
            radius_m: radius_km * 1000.0,
            rng: Rng::new(seed),
            used_addresses: std::collections::HashSet::new(),
            elapsed: 0.0,
            events,
        };
        for i in 0..count {
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
            3 => Equipment::ModeS,
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

/// A random Mode A code, never one of the emergency codes (those come
/// only from scripted events).
fn random_squawk(rng: &mut Rng) -> u16 {
    let d = |r: &mut Rng| r.below(8) as u16;
    let s = (d(rng) << 12) | (d(rng) << 8) | (d(rng) << 4) | d(rng);
    if matches!(s, 0x7500 | 0x7600 | 0x7700) {
        0x2000
    } else {
        s
    }
}

/// Where a new aircraft starts: `(distance m, bearing °)` from the centre.
/// At the start of a run aircraft are spread over the area; later ones
/// enter at its edge (departures at the airport).
fn start_point(phase: Phase, initial: bool, radius_m: f64, rng: &mut Rng) -> (f64, f64) {
    match phase {
        Phase::Taxi => (rng.range(200.0, 2_000.0), rng.range(0.0, 360.0)),
        Phase::Departure if initial => (rng.range(2_000.0, radius_m * 0.5), rng.range(0.0, 360.0)),
        Phase::Departure => (0.0, 0.0),
        _ if initial => (rng.range(0.2, 1.0) * radius_m, rng.range(0.0, 360.0)),
        _ => (radius_m * 0.98, rng.range(0.0, 360.0)),
    }
}

/// A new aircraft's `(altitude ft, ground speed kt, track °, vertical rate
/// ft/min, target altitude ft, target speed kt)` for its phase, `dist` and
/// `brg` from the centre; `inbound` is the bearing back to the centre.
fn motion(
    phase: Phase,
    dist: f64,
    brg: f64,
    inbound: f64,
    rng: &mut Rng,
) -> (f64, f64, f64, f64, f64, f64) {
    match phase {
        Phase::Taxi => (0.0, 15.0, rng.range(0.0, 360.0), 0.0, 0.0, 15.0),
        Phase::Departure => {
            let alt = (dist / 30.0).min(30_000.0);
            (
                alt,
                250.0 + alt / 100.0,
                brg,
                rng.range(1_800.0, 3_000.0),
                rng.range(28_000.0, 38_000.0),
                460.0,
            )
        }
        Phase::Arrival => {
            let alt = (dist / 25.0).clamp(3_000.0, 36_000.0);
            (
                alt,
                200.0 + alt / 150.0,
                inbound,
                rng.range(900.0, 1_600.0),
                2_000.0,
                160.0,
            )
        }
        Phase::Overflight => {
            let fl = rng.range(300.0, 400.0).round() * 100.0;
            let across = (brg + 180.0 + rng.range(-60.0, 60.0)).rem_euclid(360.0);
            (
                fl,
                rng.range(420.0, 500.0),
                across,
                0.0,
                fl,
                rng.range(420.0, 500.0),
            )
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

    #[test]
    fn same_seed_same_traffic() {
        let mut a = Traffic::new(42, 50, EHAM, 150.0, Events::default());
        let mut b = Traffic::new(42, 50, EHAM, 150.0, Events::default());
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
        let mut t = Traffic::new(1, 200, EHAM, 150.0, Events::default());
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
        let mut t = Traffic::new(3, 60, EHAM, 150.0, events);
        for _ in 0..10 {
            t.step(1.0);
        }
        assert_eq!(t.aircraft.iter().filter(|a| a.squawk == 0x7700).count(), 1);
        assert_eq!(t.aircraft.iter().filter(|a| !a.transmitting).count(), 1);
    }
}
