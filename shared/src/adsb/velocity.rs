//! TC 19: airborne velocity (DO-260B §2.2.3.2.6).
//!
//! ```text
//! ME bit 1–5 6–8 9   10  11–13  14   15–24  25   26–35  36     37  38–46  47–48 49    50–56
//!   ST1/2 TC  ST  IC  IFR NACv   Dew  Vew    Dns  Vns    VrSrc  Svr VR     res   SDif  dAlt
//!   ST3/4 TC  ST  IC  IFR NACv   HdgS HDG    AsT  AS     VrSrc  Svr VR     res   SDif  dAlt
//! ```
//! Speeds are value−1 knots (0 = not available), ×4 for the supersonic
//! subtypes 2 and 4. Vertical rate is (value−1)×64 fpm, Svr=1 down; VrSrc
//! 0 = GNSS, 1 = barometric. dAlt is (value−1)×25 ft, SDif=1 means GNSS
//! below baro. Heading is ×360/1024 degrees (magnetic unless the
//! operational status says true north).

use crate::bits::field;

/// What the horizontal part of the message carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VelocityKind {
    /// Subtypes 1–2: ground speed and true track.
    Ground {
        /// Ground speed, knots.
        speed: Option<f64>,
        /// True track over ground, degrees 0–360.
        track: Option<f64>,
    },
    /// Subtypes 3–4: airspeed and heading.
    Air {
        /// Heading, degrees, if available.
        heading: Option<f64>,
        /// Airspeed, knots, if available.
        airspeed: Option<u32>,
        /// `true` for TAS, `false` for IAS.
        true_airspeed: bool,
    },
}

/// Source of the vertical rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerticalRateSource {
    /// GNSS (geometric) rate.
    Gnss,
    /// Barometric rate.
    Barometric,
}

/// A decoded airborne velocity message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Velocity {
    /// Subtype 1–4.
    pub subtype: u8,
    /// Ground or air vector.
    pub kind: VelocityKind,
    /// NACv (version 1+) or NUCr (version 0), ME bits 11–13.
    pub nac_v: u8,
    /// Vertical rate, feet per minute.
    pub vertical_rate: Option<i32>,
    /// Whether the vertical rate is geometric or barometric.
    pub vertical_rate_source: VerticalRateSource,
    /// GNSS height minus barometric altitude, feet.
    pub gnss_baro_diff: Option<i32>,
}

impl Velocity {
    pub(crate) fn decode(me: &[u8; 7]) -> Option<Self> {
        let subtype = me[0] & 7;
        let factor = if subtype == 2 || subtype == 4 { 4 } else { 1 };
        let kind = match subtype {
            1 | 2 => {
                let vew = field(me, 15, 24) as i64;
                let vns = field(me, 26, 35) as i64;
                if vew == 0 || vns == 0 {
                    VelocityKind::Ground {
                        speed: None,
                        track: None,
                    }
                } else {
                    let mut ew = ((vew - 1) * factor) as f64;
                    let mut ns = ((vns - 1) * factor) as f64;
                    if field(me, 14, 14) != 0 {
                        ew = -ew;
                    }
                    if field(me, 25, 25) != 0 {
                        ns = -ns;
                    }
                    let speed = ew.hypot(ns);
                    let track = ew.atan2(ns).to_degrees().rem_euclid(360.0);
                    VelocityKind::Ground {
                        speed: Some(speed),
                        track: (speed > 0.0).then_some(track),
                    }
                }
            }
            3 | 4 => {
                let heading =
                    (field(me, 14, 14) != 0).then(|| field(me, 15, 24) as f64 * 360.0 / 1024.0);
                let raw = field(me, 26, 35) as u32;
                VelocityKind::Air {
                    heading,
                    airspeed: (raw != 0).then(|| (raw - 1) * factor as u32),
                    true_airspeed: field(me, 25, 25) != 0,
                }
            }
            _ => return None,
        };
        let vr = field(me, 38, 46) as i32;
        let vertical_rate = (vr != 0).then(|| {
            let rate = (vr - 1) * 64;
            if field(me, 37, 37) != 0 { -rate } else { rate }
        });
        let dalt = field(me, 50, 56) as i32;
        let gnss_baro_diff = (dalt != 0).then(|| {
            let d = (dalt - 1) * 25;
            if field(me, 49, 49) != 0 { -d } else { d }
        });
        Some(Self {
            subtype,
            kind,
            nac_v: field(me, 11, 13) as u8,
            vertical_rate,
            vertical_rate_source: if field(me, 36, 36) != 0 {
                VerticalRateSource::Barometric
            } else {
                VerticalRateSource::Gnss
            },
            gnss_baro_diff,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::{Me, decode_me};
    use crate::frame::Frame;

    fn velocity(hex: &str) -> Velocity {
        let f = Frame::from_hex(hex).unwrap();
        match decode_me(&f.as_bytes()[4..11].try_into().unwrap()) {
            Me::Velocity(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ground_speed_example_from_pymodes_docs() {
        // pyModeS docs: 8D485020994409940838175B284F -> 159 kt, 182.88 deg, -832 fpm, GNSS source.
        let v = velocity("8D485020994409940838175B284F");
        let VelocityKind::Ground { speed, track } = v.kind else {
            panic!()
        };
        assert_eq!(speed.map(|s| s.round()), Some(159.0));
        assert!((track.unwrap() - 182.88).abs() < 0.01);
        assert_eq!(v.vertical_rate, Some(-832));
        assert_eq!(v.vertical_rate_source, VerticalRateSource::Gnss);
        // pyModeS 3.6: geom_minus_baro 550 ft.
        assert_eq!(v.gnss_baro_diff, Some(550));
    }

    #[test]
    fn airspeed_example_from_pymodes_docs() {
        // pyModeS docs: 8DA05F219B06B6AF189400CBC33F -> TAS 375 kt, heading 243.98, -2304 fpm, baro source.
        let v = velocity("8DA05F219B06B6AF189400CBC33F");
        let VelocityKind::Air {
            heading,
            airspeed,
            true_airspeed,
        } = v.kind
        else {
            panic!()
        };
        assert_eq!(airspeed, Some(375));
        assert!(true_airspeed);
        assert!((heading.unwrap() - 243.98).abs() < 0.01);
        assert_eq!(v.vertical_rate, Some(-2304));
        assert_eq!(v.vertical_rate_source, VerticalRateSource::Barometric);
    }
}
