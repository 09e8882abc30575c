//! Ground interrogators: the Mode S secondary surveillance radars around
//! the airport whose roll-call interrogations make every transponder
//! (ADS-B or not) reply with DF4/5/20/21, which is all a receiver hears
//! from an aircraft without ADS-B besides its DF11 squitters.
//!
//! What the rates rest on: terminal SSRs turn in about 4–5 s, en-route
//! SSRs in 8–12 s (ICAO Doc 9684, Manual on the Secondary Surveillance
//! Radar Systems), and in European airspace an aircraft is usually in the
//! cover of several at once. Each time a beam sweeps an aircraft the radar
//! takes a surveillance reply (DF4 altitude, DF5 identity every third
//! scan) and the Comm-B registers enhanced surveillance radars extract
//! each scan, BDS 4,0 and 6,0 (EUROCONTROL's EHS set, which Regulation
//! (EU) No 1207/2011 requires of transponders, also has BDS 5,0, not
//! encoded here), plus BDS 2,0 (identification) every fourth scan. Four
//! radars: 3.25 replies a sweep × (2/4.8 + 1/8 + 1/10) sweeps a second ≈
//! 2.1 replies a second where all four cover, in bursts a few ms apart;
//! `tests/mlat.rs` measures 1.3 a second averaged over a 200 km area.

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::{Equipment, Phase};
    use cloudradar_shared::decode::{DecodeOptions, decode};

    fn plane(at: Position, alt_ft: f64) -> Aircraft {
        Aircraft {
            icao: 0x48_4CB8,
            callsign: "KLM1234".into(),
            squawk: 0x1234,
            category: "A3",
            equipment: Equipment::ModeS,
            phase: Phase::Overflight,
            lat: at.lat,
            lon: at.lon,
            alt_ft,
            gs: 450.0,
            track: 90.0,
            vrate: 0.0,
            target_track: 90.0,
            target_alt: alt_ft,
            target_gs: 450.0,
            transmitting: true,
        }
    }

    const EHAM: Position = Position {
        lat: 52.3086,
        lon: 4.7639,
    };

    #[test]
    fn the_beam_reaches_an_aircraft_when_it_points_at_its_azimuth() {
        let r = Radar::around(EHAM)[0];
        // Due east of the radar: a quarter turn after the beam points north.
        let a = plane(destination(EHAM, 90.0, 50_000.0), 30_000.0);
        let first = r.next_sweep(&a, 0.0);
        assert!((first - r.period_s / 4.0).abs() < 0.01, "{first}");
        let next = r.next_sweep(&a, first + 1e-9);
        assert!((next - first - r.period_s).abs() < 1e-9, "{next}");
    }

    #[test]
    fn cover_ends_at_the_range_and_below_the_horizon() {
        let r = Radar::around(EHAM)[0];
        assert!(r.covers(&plane(destination(EHAM, 10.0, 100_000.0), 30_000.0)));
        // Past its 80 NM.
        assert!(!r.covers(&plane(destination(EHAM, 10.0, 160_000.0), 30_000.0)));
        // 100 km out at 500 ft: under the horizon (about 71 km).
        assert!(!r.covers(&plane(destination(EHAM, 10.0, 100_000.0), 500.0)));
    }

    #[test]
    fn replies_are_valid_frames_from_the_aircraft() {
        let a = plane(EHAM, 30_000.0);
        let opts = DecodeOptions::default();
        let dfs: Vec<Vec<u8>> = (0..4)
            .map(|scan| replies(&a, 30_000, scan).iter().map(|f| f.df()).collect())
            .collect();
        assert_eq!(
            dfs,
            [
                vec![5, 20, 21, 20],
                vec![4, 20, 20],
                vec![4, 20, 21],
                vec![5, 20, 20]
            ]
        );
        for f in replies(&a, 30_000, 0) {
            let m = decode(&f, &opts).expect("reply decodes");
            assert_eq!(m.address.icao, a.icao);
        }
    }
}
