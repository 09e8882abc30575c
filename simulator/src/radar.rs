//! Ground interrogators: the Mode S secondary surveillance radars around
//! the airport whose roll-call interrogations make every transponder
//! (ADS-B or not) reply with DF4/5/20/21, which is all a receiver hears
//! from an aircraft without ADS-B besides its DF11 squitters.
//!
//! Rates: terminal SSRs rotate in 4–5 s, en-route SSRs in 8–12 s (ICAO
//! Doc 9684, Manual on the SSR Systems, §3); in the Netherlands an
//! aircraft is in the beam of several at once. Each time a beam sweeps an
//! aircraft the radar takes a surveillance reply (DF4 altitude or DF5
//! identity) and, under the European enhanced surveillance mandate
//! (Regulation (EU) No 1207/2011, Annex II: BDS 4,0, 5,0 and 6,0 every
//! scan, elementary BDS 2,0 on change), Comm-B replies with BDS 4,0 and
//! 6,0, plus BDS 2,0 every fourth scan. (BDS 5,0 is not encoded here.)
//! Four radars give about two replies a second over the central area, a
//! few a second with bursts of three or four replies per beam dwell.

use cloudradar_shared::Frame;
use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::encode;

use crate::geo::FT;
use crate::traffic::{Aircraft, bearing, destination};

/// Beam dwell spacing of successive replies, seconds (a 2.4° beam at
/// 4.8 s per turn stays about 30 ms on an aircraft).
pub const REPLY_SPACING_S: f64 = 0.008;

/// One Mode S radar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radar {
    /// Antenna position.
    pub position: Position,
    /// Antenna height, metres.
    pub antenna_m: f64,
    /// Rotation period, seconds.
    pub period_s: f64,
    /// Instrumented range, metres.
    pub range_m: f64,
    /// Azimuth the beam points at at time 0, degrees.
    pub phase_deg: f64,
}

impl Radar {
    /// The radars around `centre`: a terminal radar at the airport and
    /// one 90 km west, en-route radars 120 km north-east and 150 km south.
    pub fn around(centre: Position) -> Vec<Self> {
        let at = |brg: f64, km: f64| destination(centre, brg, km * 1000.0);
        let radar = |position, period_s, range_nm: f64, phase_deg| Self {
            position,
            antenna_m: 25.0,
            period_s,
            range_m: range_nm * 1852.0,
            phase_deg,
        };
        vec![
            radar(centre, 4.8, 80.0, 0.0),
            radar(at(270.0, 90.0), 4.8, 80.0, 130.0),
            radar(at(45.0, 120.0), 8.0, 250.0, 250.0),
            radar(at(190.0, 150.0), 10.0, 250.0, 40.0),
        ]
    }

    /// Whether the aircraft is in range and above the radar's horizon
    /// (4/3-earth model, as for receivers).
    pub fn covers(&self, a: &Aircraft) -> bool {
        let horizon = 4_120.0 * (self.antenna_m.sqrt() + (a.alt_ft.max(0.0) * FT).sqrt());
        distance_m(self.position, a.position()) <= self.range_m.min(horizon)
    }

    /// The first time after `t0` the beam points at `a`.
    pub fn next_sweep(&self, a: &Aircraft, t0: f64) -> f64 {
        let azimuth = bearing(self.position, a.position());
        let turn = (azimuth - self.phase_deg).rem_euclid(360.0) / 360.0;
        let k = ((t0 / self.period_s) - turn).floor() + 1.0;
        (k + turn) * self.period_s
    }
}

/// The replies to scan number `scan` of one radar: a surveillance reply
/// and the Comm-B registers it extracts.
pub fn replies(a: &Aircraft, alt: i32, scan: u32) -> Vec<Frame> {
    let fs = u8::from(a.on_ground());
    let mut out = Vec::with_capacity(4);
    // Identity every third scan, altitude otherwise.
    out.push(if scan.is_multiple_of(3) {
        encode::df5(a.icao, fs, a.squawk)
    } else {
        encode::df4(a.icao, fs, alt)
    });
    let selected = ((a.target_alt / 100.0).round() * 100.0) as i32;
    out.push(encode::df20(
        a.icao,
        fs,
        alt,
        encode::bds40(selected, 1013.2),
    ));
    let bds60 = encode::bds60(
        a.track,
        (a.gs * 0.6) as u32,
        a.gs / 600.0 * 0.8,
        a.vrate.round() as i32,
    );
    // A Comm-B reply to a surveillance-identity interrogation is DF21.
    out.push(if scan.is_multiple_of(2) {
        encode::df21(a.icao, fs, a.squawk, bds60)
    } else {
        encode::df20(a.icao, fs, alt, bds60)
    });
    if scan.is_multiple_of(4) {
        out.push(encode::df20(a.icao, fs, alt, encode::bds20(&a.callsign)));
    }
    out
}
