//! BDS 3,0: ACAS active resolution advisory (ICAO Doc 9871 table A-2-48).
//!
//! ```text
//! MB bit 1–8   9–22  23–26  27   28   29–30  31–56
//!        0x30  ARA   RAC    RAT  MTE  TTI    threat identity data
//! ```

use crate::bits::field;

/// A decoded BDS 3,0 register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolutionAdvisory {
    /// Active resolution advisories (14 bits).
    pub ara: u16,
    /// RA complements record (4 bits).
    pub rac: u8,
    /// RA terminated.
    pub terminated: bool,
    /// Multiple threat encounter.
    pub multiple_threats: bool,
    /// Threat type indicator: 1 = Mode S address follows, 2 = range/bearing.
    pub threat_type: u8,
    /// Threat's ICAO address when `threat_type` is 1.
    pub threat_address: Option<u32>,
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<ResolutionAdvisory> {
    // Bits 16–22 are kept for ACAS III; pyModeS 3.6 `bds30.is_bds30`
    // takes 48 or more there as a sign of another register.
    if mb[0] != 0x30 || field(mb, 16, 22) >= 48 {
        return None;
    }
    let threat_type = field(mb, 29, 30) as u8;
    if threat_type == 3 {
        return None;
    }
    Some(ResolutionAdvisory {
        ara: field(mb, 9, 22) as u16,
        rac: field(mb, 23, 26) as u8,
        terminated: field(mb, 27, 27) != 0,
        multiple_threats: field(mb, 28, 28) != 0,
        threat_type,
        threat_address: (threat_type == 1).then(|| field(mb, 31, 54) as u32),
    })
}

#[cfg(test)]
mod tests {
    use crate::commb::{Bds, infer, tests::mb};

    #[test]
    fn acas_iii_bits_of_48_or_more_are_not_bds30() {
        // long_flight.csv DF21 reply; pyModeS 3.6.1 -> bds 3,0.
        let real = mb("A800080030000000000000CDC418");
        assert!(matches!(infer(&real), Bds::ResolutionAdvisory(_)));
        // MB bits 16–22 (ARA bits reserved for ACAS III) set to 48: pyModeS
        // 3.6.1 `is_bds30` rejects it.
        let mut m = real;
        crate::bits::set_field(&mut m, 16, 22, 48);
        assert!(super::decode(&m).is_none());
        crate::bits::set_field(&mut m, 16, 22, 47);
        assert!(super::decode(&m).is_some());
    }
}
