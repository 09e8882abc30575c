//! One simulated aircraft: identity, what it is doing, and its motion.
//!
//! Kinematics on a sphere: each step moves the aircraft along its track
//! by ground speed × time, turns at standard rate (3°/s) towards a target
//! heading, and changes altitude at its vertical rate towards a target.

use cloudradar_shared::cpr::Position;
use serde::Serialize;

const EARTH_RADIUS_M: f64 = 6_371_000.0;
const KT: f64 = 0.514_444;

/// Geometric (GNSS) height above the barometric altitude, feet: what the
/// velocity messages report as the GNSS–baro difference, and what the
/// propagation delays are computed from.
pub const GNSS_BARO_DIFF_FT: i32 = 125;

/// What the aircraft is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Taxiing on the surface.
    Taxi,
    /// Climbing out after take-off.
    Departure,
    /// Descending towards the airport.
    Arrival,
    /// Cruising through the area.
    Overflight,
}

/// Transponder capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Equipment {
    /// ADS-B out (DF17) with this version.
    Adsb(u8),
    /// Mode S only: replies to interrogation (DF4/5/20/21) and all-call squitters.
    ModeS,
    /// Seen only through TIS-B (DF18 CF 2) rebroadcasts.
    Tisb,
}

/// One aircraft's true state (in the ground truth file: `icao` as six hex
/// digits and `squawk` as four octal digits, like readsb's `hex`/`squawk`).
#[derive(Debug, Clone, Serialize)]
pub struct Aircraft {
    /// 24-bit address.
    #[serde(serialize_with = "hex24")]
    pub icao: u32,
    /// Callsign.
    pub callsign: String,
    /// Mode A code as `0xABCD` octal digits.
    #[serde(serialize_with = "squawk_digits")]
    pub squawk: u16,
    /// readsb category code.
    pub category: &'static str,
    /// Equipment.
    pub equipment: Equipment,
    /// Phase of flight.
    pub phase: Phase,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Barometric altitude, feet.
    pub alt_ft: f64,
    /// Ground speed, knots.
    pub gs: f64,
    /// True track, degrees.
    pub track: f64,
    /// Vertical rate, ft/min.
    pub vrate: f64,
    /// Heading it is turning to.
    #[serde(skip)]
    pub target_track: f64,
    /// Altitude it is climbing or descending to.
    #[serde(skip)]
    pub target_alt: f64,
    /// Speed it is accelerating to.
    #[serde(skip)]
    pub target_gs: f64,
    /// Transponder working (a failure makes it silent).
    pub transmitting: bool,
}

fn hex24<S: serde::Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{:06x}", v & 0xFF_FFFF))
}

fn squawk_digits<S: serde::Serializer>(v: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:04x}"))
}

impl Aircraft {
    /// Position.
    pub fn position(&self) -> Position {
        Position {
            lat: self.lat,
            lon: self.lon,
        }
    }

    /// Height above the WGS84 ellipsoid, metres: the barometric altitude
    /// plus [`GNSS_BARO_DIFF_FT`] (on the ground: the field, at 0 m).
    pub fn geometric_alt_m(&self) -> f64 {
        geometric_alt_m(self.alt_ft, self.on_ground())
    }

    /// Without ADS-B out: seen only through DF11 and interrogation replies.
    pub fn mode_s_only(&self) -> bool {
        self.equipment == Equipment::ModeS
    }

    /// On the ground.
    pub fn on_ground(&self) -> bool {
        self.phase == Phase::Taxi
    }

    /// Advances the state by `dt` seconds.
    pub fn step(&mut self, dt: f64) {
        // Turn at standard rate (3°/s airborne, 10°/s taxiing) towards the target.
        let rate = if self.on_ground() { 10.0 } else { 3.0 };
        let diff = (self.target_track - self.track + 540.0).rem_euclid(360.0) - 180.0;
        let turn = diff.clamp(-rate * dt, rate * dt);
        self.track = (self.track + turn).rem_euclid(360.0);
        // Speed changes at 2 kt/s.
        let dv = (self.target_gs - self.gs).clamp(-2.0 * dt, 2.0 * dt);
        self.gs += dv;
        // Climb or descend towards the target altitude.
        if !self.on_ground() {
            let want = self.target_alt - self.alt_ft;
            let step = self.vrate.abs() / 60.0 * dt;
            if want.abs() <= step {
                self.alt_ft = self.target_alt;
                self.vrate = 0.0;
            } else {
                self.alt_ft += step.copysign(want);
                self.vrate = self.vrate.abs().copysign(want);
            }
        }
        // Move along the great circle.
        let d = self.gs * KT * dt / EARTH_RADIUS_M;
        let (lat1, lon1, brg) = (
            self.lat.to_radians(),
            self.lon.to_radians(),
            self.track.to_radians(),
        );
        let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * brg.cos()).asin();
        let lon2 =
            lon1 + (brg.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
        self.lat = lat2.to_degrees();
        self.lon = (lon2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
    }
}

/// Height above the WGS84 ellipsoid, metres, of an aircraft at
/// barometric `alt_ft` (the field is at 0 m).
pub fn geometric_alt_m(alt_ft: f64, on_ground: bool) -> f64 {
    if on_ground {
        0.0
    } else {
        (alt_ft + f64::from(GNSS_BARO_DIFF_FT)) * 0.3048
    }
}

/// Great-circle bearing from `a` to `b`, degrees.
pub fn bearing(a: Position, b: Position) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * la2.cos();
    let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::cpr::distance_m;

    fn plane() -> Aircraft {
        Aircraft {
            icao: 1,
            callsign: "TEST1".into(),
            squawk: 0x1000,
            category: "A3",
            equipment: Equipment::Adsb(2),
            phase: Phase::Overflight,
            lat: 52.0,
            lon: 4.0,
            alt_ft: 35_000.0,
            gs: 450.0,
            track: 90.0,
            vrate: 0.0,
            target_track: 90.0,
            target_alt: 35_000.0,
            target_gs: 450.0,
            transmitting: true,
        }
    }

    #[test]
    fn truth_json_uses_hex_address_and_octal_squawk() {
        let mut a = plane();
        a.icao = 0x4ca7b1;
        a.squawk = 0x7700;
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["icao"], "4ca7b1");
        assert_eq!(v["squawk"], "7700");
        assert_eq!(v["callsign"], "TEST1");
        assert_eq!(v["alt_ft"], 35_000.0);
    }

    #[test]
    fn moves_at_its_ground_speed() {
        let mut a = plane();
        let start = a.position();
        for _ in 0..600 {
            a.step(0.1);
        }
        // 60 s at 450 kt = 13.89 km.
        let d = distance_m(start, a.position());
        assert!((d - 450.0 * KT * 60.0).abs() < 20.0, "{d}");
        assert!((bearing(start, a.position()) - 90.0).abs() < 0.2);
    }

    #[test]
    fn turns_at_standard_rate_and_climbs_to_target() {
        let mut a = plane();
        a.target_track = 180.0;
        a.target_alt = 36_000.0;
        a.vrate = 1500.0;
        for _ in 0..100 {
            a.step(0.1);
        }
        assert!((a.track - 120.0).abs() < 0.01, "{}", a.track);
        assert!((a.alt_ft - 35_250.0).abs() < 1.0);
        for _ in 0..1000 {
            a.step(0.1);
        }
        assert!((a.track - 180.0).abs() < 1e-9, "{}", a.track);
        assert_eq!(a.alt_ft, 36_000.0);
        assert_eq!(a.vrate, 0.0);
    }
}
