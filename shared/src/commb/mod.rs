//! Comm-B (DF20/21 MB field) register inference and decoding.
//!
//! A Comm-B reply does not say which register (BDS) it carries: the ground
//! station asked for it. We test each register we know for plausibility
//! (status bits consistent with their fields, reserved bits zero, values in
//! physical ranges; ICAO Doc 9871 and pyModeS `bds.infer`), and report the
//! register only when exactly one fits; when several fit we say so rather
//! than guess.
//!
//! | register | content | file |
//! | --- | --- | --- |
//! | 1,0 | data link capability | `bds10.rs` |
//! | 2,0 | aircraft identification | `bds20.rs` |
//! | 3,0 | ACAS active resolution advisory | `bds30.rs` |
//! | 4,0 | selected vertical intention | `bds40.rs` |
//! | 4,4 | meteorological routine report | `bds44.rs` |
//! | 5,0 | track and turn report | `bds50.rs` |
//! | 6,0 | heading and speed report | `bds60.rs` |

mod bds10;
mod bds20;
mod bds30;
mod bds40;
mod bds44;
mod bds50;
mod bds60;
mod field;

pub use bds10::DataLinkCapability;
pub use bds20::Identification;
pub use bds30::ResolutionAdvisory;
pub use bds40::VerticalIntention;
pub use bds44::Meteo;
pub use bds50::TrackAndTurn;
pub use bds60::HeadingAndSpeed;

/// Registers, as a bit set, used to report candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Candidates(u8);

impl Candidates {
    const NAMES: [&'static str; 7] = ["1,0", "2,0", "3,0", "4,0", "4,4", "5,0", "6,0"];

    /// The register names in the set, e.g. `["5,0", "6,0"]`.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
    }

    /// Number of candidates.
    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// `true` if no register fits.
    pub fn is_empty(self) -> bool {
        self.0 == 0
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
            Self::Identification(_) => "2,0",
            Self::ResolutionAdvisory(_) => "3,0",
            Self::VerticalIntention(_) => "4,0",
            Self::Meteo(_) => "4,4",
            Self::TrackAndTurn(_) => "5,0",
            Self::HeadingAndSpeed(_) => "6,0",
            _ => return None,
        })
    }
}

/// Infers and decodes the register carried by a 56-bit MB field.
pub fn infer(mb: &[u8; 7]) -> Bds {
    if mb.iter().all(|&b| b == 0) {
        return Bds::Empty;
    }
    let tries = [
        bds10::decode(mb).map(Bds::DataLinkCapability),
        bds20::decode(mb).map(Bds::Identification),
        bds30::decode(mb).map(Bds::ResolutionAdvisory),
        bds40::decode(mb).map(Bds::VerticalIntention),
        bds44::decode(mb).map(Bds::Meteo),
        bds50::decode(mb).map(Bds::TrackAndTurn),
        bds60::decode(mb).map(Bds::HeadingAndSpeed),
    ];
    let mut set = 0u8;
    let mut found = Bds::Unknown;
    for (i, t) in tries.into_iter().enumerate() {
        if let Some(b) = t {
            set |= 1 << i;
            found = b;
        }
    }
    match set.count_ones() {
        0 => Bds::Unknown,
        1 => found,
        _ => Bds::Ambiguous(Candidates(set)),
    }
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
        // pyModeS 3.6: A8001EBCFFFB23286004A73F6A5B -> candidates ['5,0', '6,0'].
        let b = infer(&mb("A8001EBCFFFB23286004A73F6A5B"));
        match b {
            Bds::Ambiguous(c) => assert_eq!(c.names().collect::<Vec<_>>(), ["5,0", "6,0"]),
            Bds::TrackAndTurn(_) => {}
            other => panic!("{other:?}"),
        }
    }
}
