//! Comm-B (DF20/21 MB field) register inference and decoding.
//!
//! A Comm-B reply does not say which register (BDS) it carries: the ground
//! station asked for it. We infer it as pyModeS 3.6 `bds._infer.infer`
//! does (ICAO Doc 9871 gives the layouts):
//!
//! 1. Registers that identify themselves: 1,0, 2,0 and 3,0 by their first
//!    byte, 1,7 by its capability map with bits 25–56 zero. At most one
//!    fits, and it wins.
//! 2. Otherwise every register without an identifier (4,0, 5,0, 6,0, and
//!    4,4 with wind) is tested for plausibility: status bits consistent
//!    with their fields, reserved bits zero, values in physical ranges.
//! 3. When several fit, [`Candidates::resolve`] compares the 5,0 and 6,0
//!    decodes with what the aircraft is [`Known`] to be doing.
//!
//! Where pyModeS then takes the first candidate, we report the reply as
//! [`Bds::Ambiguous`] rather than guess.
//!
//! | register | content | file |
//! | --- | --- | --- |
//! | 1,0 | data link capability | `bds10.rs` |
//! | 1,7 | common usage GICB capability | `bds17.rs` |
//! | 2,0 | aircraft identification | `bds20.rs` |
//! | 3,0 | ACAS active resolution advisory | `bds30.rs` |
//! | 4,0 | selected vertical intention | `bds40.rs` |
//! | 4,4 | meteorological routine report | `bds44.rs` |
//! | 5,0 | track and turn report | `bds50.rs` |
//! | 6,0 | heading and speed report | `bds60.rs` |
//! | | known aircraft state, 5,0/6,0 scoring | `known.rs` |

mod bds10;
mod bds17;
mod bds20;
mod bds30;
mod bds40;
mod bds44;
mod bds50;
mod bds60;
mod field;
mod known;

pub use bds10::DataLinkCapability;
pub use bds17::CommonUsageCapability;
pub use bds20::Identification;
pub use bds30::ResolutionAdvisory;
pub use bds40::VerticalIntention;
pub use bds44::Meteo;
pub use bds50::TrackAndTurn;
pub use bds60::HeadingAndSpeed;
pub use known::Known;

const BDS40: u8 = 1 << 0;
const BDS50: u8 = 1 << 1;
const BDS60: u8 = 1 << 2;
const BDS44: u8 = 1 << 3;

/// The registers a reply without an identifier fits, with the MB field so
/// the choice can be made later, when the aircraft's state is at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidates {
    set: u8,
    mb: [u8; 7],
}

impl Candidates {
    /// In pyModeS's order: the heuristic registers, then meteorology.
    const NAMES: [&'static str; 4] = ["4,0", "5,0", "6,0", "4,4"];

    /// The register names in the set, e.g. `["5,0", "6,0"]`.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.set & (1 << i) != 0)
            .map(|(_, n)| *n)
    }

    /// Number of candidates.
    pub fn len(self) -> u32 {
        self.set.count_ones()
    }

    /// `true` if no register fits.
    pub fn is_empty(self) -> bool {
        self.set == 0
    }

    /// The MB field the candidates were inferred from.
    pub fn mb(self) -> [u8; 7] {
        self.mb
    }

    /// Chooses between 5,0 and 6,0 by how close each decode is to `known`
    /// (pyModeS 3.6 phase 3: the lower score wins, a tie goes to 5,0). A
    /// register with nothing to compare loses to one with a score; when
    /// neither has one, or other candidates remain, the reply stays
    /// ambiguous.
    pub fn resolve(self, known: &Known) -> Bds {
        let mut set = self.set;
        if set & (BDS50 | BDS60) == BDS50 | BDS60 {
            let known = known.derived();
            let s50 = bds50::decode(&self.mb).and_then(|t| known.score_track_and_turn(&t));
            let s60 = bds60::decode(&self.mb).and_then(|h| known.score_heading_and_speed(&h));
            match (s50, s60) {
                (Some(a), Some(b)) if a <= b => set &= !BDS60,
                (Some(_), None) => set &= !BDS60,
                (_, Some(_)) => set &= !BDS50,
                (None, None) => {}
            }
        }
        Self { set, mb: self.mb }.into_bds()
    }

    fn into_bds(self) -> Bds {
        let mb = &self.mb;
        let decoded = match self.set {
            0 => return Bds::Unknown,
            BDS40 => bds40::decode(mb).map(Bds::VerticalIntention),
            BDS50 => bds50::decode(mb).map(Bds::TrackAndTurn),
            BDS60 => bds60::decode(mb).map(Bds::HeadingAndSpeed),
            BDS44 => bds44::decode(mb).map(Bds::Meteo),
            _ => return Bds::Ambiguous(self),
        };
        decoded.unwrap_or(Bds::Unknown)
    }
}

/// The result of inferring a Comm-B register.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Bds {
    /// The MB field is all zero.
    Empty,
    /// No known register is plausible.
    Unknown,
    /// More than one register is plausible.
    Ambiguous(Candidates),
    /// BDS 1,0.
    DataLinkCapability(DataLinkCapability),
    /// BDS 1,7.
    CommonUsageCapability(CommonUsageCapability),
    /// BDS 2,0.
    Identification(Identification),
    /// BDS 3,0.
    ResolutionAdvisory(ResolutionAdvisory),
    /// BDS 4,0.
    VerticalIntention(VerticalIntention),
    /// BDS 4,4.
    Meteo(Meteo),
    /// BDS 5,0.
    TrackAndTurn(TrackAndTurn),
    /// BDS 6,0.
    HeadingAndSpeed(HeadingAndSpeed),
}

impl Bds {
    /// The register name as readsb/pyModeS print it (`"4,0"`), if one was inferred.
    pub fn name(&self) -> Option<&'static str> {
        Some(match self {
            Self::DataLinkCapability(_) => "1,0",
            Self::CommonUsageCapability(_) => "1,7",
            Self::Identification(_) => "2,0",
            Self::ResolutionAdvisory(_) => "3,0",
            Self::VerticalIntention(_) => "4,0",
            Self::Meteo(_) => "4,4",
            Self::TrackAndTurn(_) => "5,0",
            Self::HeadingAndSpeed(_) => "6,0",
            _ => return None,
        })
    }

    /// With an ambiguous reply resolved against `known` ([`Candidates::resolve`]).
    pub fn resolve(self, known: &Known) -> Self {
        match self {
            Self::Ambiguous(c) => c.resolve(known),
            b => b,
        }
    }
}

/// Infers and decodes the register carried by a 56-bit MB field, with no
/// knowledge of the aircraft.
pub fn infer(mb: &[u8; 7]) -> Bds {
    if mb.iter().all(|&b| b == 0) {
        return Bds::Empty;
    }
    let identified = match mb[0] {
        0x10 => bds10::decode(mb).map(Bds::DataLinkCapability),
        _ => None,
    }
    .or_else(|| bds17::decode(mb).map(Bds::CommonUsageCapability))
    .or_else(|| match mb[0] {
        0x20 => bds20::decode(mb).map(Bds::Identification),
        0x30 => bds30::decode(mb).map(Bds::ResolutionAdvisory),
        _ => None,
    });
    if let Some(b) = identified {
        return b;
    }
    let mut set = 0;
    for (bit, fits) in [
        (BDS40, bds40::decode(mb).is_some()),
        (BDS50, bds50::decode(mb).is_some()),
        (BDS60, bds60::decode(mb).is_some()),
        (BDS44, bds44::decode(mb).is_some()),
    ] {
        if fits {
            set |= bit;
        }
    }
    Candidates { set, mb: *mb }.into_bds()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Frame;

    pub(super) fn mb(hex: &str) -> [u8; 7] {
        Frame::from_hex(hex).unwrap().as_bytes()[4..11]
            .try_into()
            .unwrap()
    }

    #[test]
    fn all_zero_is_empty() {
        assert_eq!(infer(&[0; 7]), Bds::Empty);
    }

    #[test]
    fn pymodes_doc_bds40_is_inferred() {
        // pyModeS 3.6: A0001838CA3E51F0A8000047A4FB -> bds 4,0, MCP 38000, FMS 38000, QNH 1013.2.
        let Bds::VerticalIntention(v) = infer(&mb("A0001838CA3E51F0A8000047A4FB")) else {
            panic!()
        };
        assert_eq!(v.mcp_altitude, Some(38000));
        assert_eq!(v.fms_altitude, Some(38000));
        assert!((v.qnh.unwrap() - 1013.2).abs() < 1e-9);
    }

    #[test]
    fn pymodes_bds50_bds60_ambiguity_is_reported() {
        // pyModeS 3.6.1: A8001EBCFFFB23286004A73F6A5B -> candidates ['5,0', '6,0'].
        let b = infer(&mb("A8001EBCFFFB23286004A73F6A5B"));
        let Bds::Ambiguous(c) = b else {
            panic!("{b:?}")
        };
        assert_eq!(c.names().collect::<Vec<_>>(), ["5,0", "6,0"]);
    }

    #[test]
    fn known_ground_speed_and_track_choose_bds50() {
        // pyModeS 3.6.1 with known {groundspeed 320, track 250} -> bds 5,0,
        // track 250.48828125, GS 322, TAS 334.
        let known = Known {
            ground_speed: Some(320.0),
            track: Some(250.0),
            ..Known::default()
        };
        let b = infer(&mb("A8001EBCFFFB23286004A73F6A5B")).resolve(&known);
        let Bds::TrackAndTurn(t) = b else {
            panic!("{b:?}")
        };
        assert_eq!(t.track, Some(250.48828125));
        assert_eq!((t.ground_speed, t.true_airspeed), (Some(322), Some(334)));
    }

    #[test]
    fn the_only_register_with_a_score_wins() {
        // pyModeS 3.6.1 with known {heading 250, ias 320}: 5,0 has nothing to
        // compare, so -> bds 6,0, heading 359.82421875, IAS 401, Mach 0.644.
        let known = Known {
            heading: Some(250.0),
            ias: Some(320.0),
            ..Known::default()
        };
        let b = infer(&mb("A8001EBCFFFB23286004A73F6A5B")).resolve(&known);
        let Bds::HeadingAndSpeed(h) = b else {
            panic!("{b:?}")
        };
        assert_eq!(h.heading, Some(359.82421875));
        assert_eq!((h.ias, h.mach), (Some(401), Some(0.644)));
    }

    #[test]
    fn airspeeds_derived_from_ground_speed_and_altitude_choose_bds60() {
        // long_flight.csv DF20 from 398101 taxiing. pyModeS 3.6.1 PipeDecoder
        // with state {groundspeed 67, track 323.4375, altitude 525} -> bds
        // 6,0 (its derived IAS and Mach fit better than 5,0's GS 46, track
        // 190), heading 322.91015625, IAS 58, Mach 0.092, baro rate 160.
        let known = Known {
            ground_speed: Some(67.0),
            track: Some(323.4375),
            altitude: Some(525.0),
            ..Known::default()
        };
        let b = infer(&mb("A10000BDF2D87505E02C003910F1")).resolve(&known);
        let Bds::HeadingAndSpeed(h) = b else {
            panic!("{b:?}")
        };
        assert_eq!(h.heading, Some(322.91015625));
        assert_eq!((h.ias, h.mach), (Some(58), Some(0.092)));
        assert_eq!((h.baro_rate, h.inertial_rate), (Some(160), Some(0)));
    }

    #[test]
    fn nothing_known_leaves_bds50_bds60_ambiguous() {
        // Our convention: long_flight.csv DF20 from 38A0DB with no state.
        // pyModeS 3.6.1 reports candidates[0], bds 5,0 (candidates 5,0 6,0).
        let b = infer(&mb("A10000BF805AC700200000111B6F")).resolve(&Known::default());
        let Bds::Ambiguous(c) = b else {
            panic!("{b:?}")
        };
        assert_eq!(c.names().collect::<Vec<_>>(), ["5,0", "6,0"]);
    }
}
