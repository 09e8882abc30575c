//! TC 29 subtype 1: target state and status, version 2 (DO-260B §2.2.3.2.7.1).
//!
//! ```text
//! ME bit 1–5 6–7 8       9      10–20    21–29  30    31–39  40–43 44      45–46 47    48 49   50  51  52  53   54   55–56
//!        TC  ST  SILsup  AltTyp SEL ALT  QNH    HdgS  HDG    NACp  NICbaro SIL   ModeS AP VNAV ALT res APP TCAS LNAV res
//! ```
//! Selected altitude: (value−1)×32 ft, 0 = none. Barometric setting:
//! 800 + (value−1)×0.8 hPa, 0 = none. Heading: value×180/256 degrees.
//! The autopilot mode bits (48–54 except 51 and 53) are valid only when the
//! mode status bit 47 is set; TCAS operational (53) is always valid.

use crate::bits::field;

/// Autopilot modes engaged (when the aircraft reports them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NavModes {
    /// Autopilot engaged.
    pub autopilot: bool,
    /// VNAV engaged.
    pub vnav: bool,
    /// Altitude hold.
    pub altitude_hold: bool,
    /// Approach mode.
    pub approach: bool,
    /// LNAV engaged.
    pub lnav: bool,
}

/// A decoded target state and status message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetState {
    /// Selected altitude, feet.
    pub selected_altitude: Option<i32>,
    /// `true` when the selected altitude comes from the FMS, `false` for MCP/FCU.
    pub selected_altitude_fms: bool,
    /// Barometric pressure setting (QNH), hPa.
    pub qnh: Option<f64>,
    /// Selected heading, degrees.
    pub selected_heading: Option<f64>,
    /// NACp.
    pub nac_p: u8,
    /// NIC baro.
    pub nic_baro: bool,
    /// SIL.
    pub sil: u8,
    /// SIL supplement (per sample when set).
    pub sil_per_sample: bool,
    /// Autopilot modes, when the mode status bit says they are valid.
    pub modes: Option<NavModes>,
    /// TCAS operational.
    pub tcas_operational: bool,
}

impl TargetState {
    pub(crate) fn decode(me: &[u8; 7]) -> Option<Self> {
        // Subtype is ME bits 6–7; 1 is the DO-260B layout (0 is DO-260A, not decoded).
        if field(me, 6, 7) != 1 {
            return None;
        }
        let alt = field(me, 10, 20) as i32;
        let baro = field(me, 21, 29) as u32;
        Some(Self {
            selected_altitude: (alt != 0).then(|| (alt - 1) * 32),
            selected_altitude_fms: field(me, 9, 9) != 0,
            qnh: (baro != 0).then(|| 800.0 + f64::from(baro - 1) * 0.8),
            selected_heading: (field(me, 30, 30) != 0)
                .then(|| field(me, 31, 39) as f64 * 180.0 / 256.0),
            nac_p: field(me, 40, 43) as u8,
            nic_baro: field(me, 44, 44) != 0,
            sil: field(me, 45, 46) as u8,
            sil_per_sample: field(me, 8, 8) != 0,
            modes: (field(me, 47, 47) != 0).then(|| NavModes {
                autopilot: field(me, 48, 48) != 0,
                vnav: field(me, 49, 49) != 0,
                altitude_hold: field(me, 50, 50) != 0,
                approach: field(me, 52, 52) != 0,
                lnav: field(me, 54, 54) != 0,
            }),
            tcas_operational: field(me, 53, 53) != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adsb::{Me, decode_me};
    use crate::frame::Frame;

    fn ts(hex: &str) -> TargetState {
        let f = Frame::from_hex(hex).unwrap();
        match decode_me(&f.as_bytes()[4..11].try_into().unwrap()) {
            Me::TargetState(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn real_lax_target_state_matches_pymodes() {
        // pyModeS 3.6: selected_altitude 30016 MCP/FCU, QNH 1013.6, heading 300.9375,
        // NACp 10, NICbaro 1, SIL 3, modes not reported, TCAS operational.
        let t = ts("8DA2EBBDEA3AB867595C0845115D");
        assert_eq!(t.selected_altitude, Some(30016));
        assert!(!t.selected_altitude_fms);
        assert!((t.qnh.unwrap() - 1013.6).abs() < 1e-9);
        assert_eq!(t.selected_heading, Some(300.9375));
        assert_eq!((t.nac_p, t.nic_baro, t.sil), (10, true, 3));
        assert_eq!(t.modes, None);
        assert!(t.tcas_operational);
        // Second aircraft, QNH 1020.0, heading 329.765625.
        let t = ts("8DAD493BEA2D08A7AB1C087376F7");
        assert_eq!(t.selected_altitude, Some(23008));
        assert!((t.qnh.unwrap() - 1020.0).abs() < 1e-9);
        assert_eq!(t.selected_heading, Some(329.765625));
    }
}
