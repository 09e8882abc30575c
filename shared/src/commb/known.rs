//! What an aircraft is already known to be doing, used to tell BDS 5,0 from
//! BDS 6,0 when a reply fits both (pyModeS 3.6 `_infer._score_candidate`).
//!
//! Each candidate is decoded and compared with the known state; the
//! distance of each field is divided by a scale (50 kt, 30°, Mach 0.1) and
//! summed, and the lower sum wins. A register with no field to compare has
//! no score. Missing IAS, Mach and TAS are derived from ground speed and
//! altitude in the ISA with no wind, as pyModeS `PipeDecoder` does.

use super::{HeadingAndSpeed, TrackAndTurn};

/// The aircraft's latest known state, from ADS-B or earlier Comm-B replies.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Known {
    /// Ground speed, knots.
    pub ground_speed: Option<f64>,
    /// True track, degrees.
    pub track: Option<f64>,
    /// True airspeed, knots.
    pub true_airspeed: Option<f64>,
    /// Magnetic heading, degrees.
    pub heading: Option<f64>,
    /// Indicated airspeed, knots.
    pub ias: Option<f64>,
    /// Mach number.
    pub mach: Option<f64>,
    /// Barometric altitude, feet.
    pub altitude: Option<f64>,
}

const GS_SCALE: f64 = 50.0;
const ANGLE_SCALE: f64 = 30.0;
const MACH_SCALE: f64 = 0.1;

impl Known {
    /// `true` when nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Fills IAS, Mach and TAS from ground speed and altitude where they
    /// are missing (TAS = GS with no wind; IAS = TAS·√(ρ/ρ₀)).
    pub(super) fn derived(mut self) -> Self {
        if let (Some(gs), Some(alt)) = (self.ground_speed, self.altitude) {
            let alt_m = alt * isa::FT_TO_M;
            self.ias
                .get_or_insert(gs * (isa::density(alt_m) / isa::RHO0).sqrt());
            self.mach
                .get_or_insert(gs * isa::KT_TO_MS / isa::speed_of_sound(isa::temperature(alt_m)));
            self.true_airspeed.get_or_insert(gs);
        }
        self
    }

    /// How far a BDS 5,0 decode is from the known state; `None` if no field compares.
    pub(super) fn score_track_and_turn(&self, t: &TrackAndTurn) -> Option<f64> {
        sum([
            linear(t.ground_speed.map(f64::from), self.ground_speed, GS_SCALE),
            angular(t.track, self.track),
            linear(t.true_airspeed.map(f64::from), self.true_airspeed, GS_SCALE),
        ])
    }

    /// How far a BDS 6,0 decode is from the known state; `None` if no field compares.
    pub(super) fn score_heading_and_speed(&self, h: &HeadingAndSpeed) -> Option<f64> {
        sum([
            angular(h.heading, self.heading),
            linear(h.ias.map(f64::from), self.ias, GS_SCALE),
            linear(h.mach, self.mach, MACH_SCALE),
        ])
    }
}

fn linear(decoded: Option<f64>, known: Option<f64>, scale: f64) -> Option<f64> {
    Some((decoded? - known?).abs() / scale)
}

fn angular(decoded: Option<f64>, known: Option<f64>) -> Option<f64> {
    let d = (decoded? - known?).abs() % 360.0;
    Some(d.min(360.0 - d) / ANGLE_SCALE)
}

fn sum(parts: [Option<f64>; 3]) -> Option<f64> {
    parts.into_iter().flatten().reduce(|a, b| a + b)
}

/// The ICAO standard atmosphere (ICAO Doc 7488), with pyModeS 3.6 `_aero`'s constants.
mod isa {
    pub(super) const FT_TO_M: f64 = 0.3048;
    pub(super) const KT_TO_MS: f64 = 0.514444;
    pub(super) const RHO0: f64 = 1.225;
    const T0: f64 = 288.15;
    const P0: f64 = 101_325.0;
    const L: f64 = 0.0065;
    const R: f64 = 287.05287;
    const GAMMA: f64 = 1.4;
    const G: f64 = 9.80665;
    const H_TROP: f64 = 11_000.0;
    const T_TROP: f64 = T0 - L * H_TROP;

    pub(super) fn temperature(alt_m: f64) -> f64 {
        if alt_m <= H_TROP {
            T0 - L * alt_m
        } else {
            T_TROP
        }
    }

    fn pressure(alt_m: f64) -> f64 {
        let exponent = G / (L * R);
        if alt_m <= H_TROP {
            P0 * (1.0 - L * alt_m / T0).powf(exponent)
        } else {
            P0 * (T_TROP / T0).powf(exponent) * (-G * (alt_m - H_TROP) / (R * T_TROP)).exp()
        }
    }

    pub(super) fn density(alt_m: f64) -> f64 {
        pressure(alt_m) / (R * temperature(alt_m))
    }

    pub(super) fn speed_of_sound(temp_k: f64) -> f64 {
        (GAMMA * R * temp_k).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_speeds_match_pymodes_aero() {
        // pyModeS 3.6.1: gs_to_ias(450, 36000) = 245.697..., gs_to_mach(450, 36000) = 0.78424...
        let k = Known {
            ground_speed: Some(450.0),
            altitude: Some(36_000.0),
            ..Known::default()
        }
        .derived();
        assert!((k.ias.unwrap() - 245.697).abs() < 0.001, "{k:?}");
        assert!((k.mach.unwrap() - 0.784_24).abs() < 0.000_01, "{k:?}");
        assert_eq!(k.true_airspeed, Some(450.0));
    }
}
