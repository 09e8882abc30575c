//! BDS 1,7: common usage GICB capability report (ICAO Doc 9871 table A-2-23).
//!
//! ```text
//! MB bit 1    2    3    4    5    6    7    8    9    ...  24   25–56
//!        0,5  0,6  0,7  0,8  0,9  0,A  2,0  2,1  4,0  ...  6,0  reserved 0
//! ```
//!
//! One bit a register the transponder can report. There is no identifier:
//! a reply is taken for 1,7 when the 2,0 bit is set (every transponder that
//! reports 1,7 reports 2,0) and bits 25–56 are zero, as pyModeS 3.6
//! `bds17.is_bds17` does.

use crate::bits::{field, flag};

/// The registers of bits 1–24, in order.
const REGISTERS: [&str; 24] = [
    "0,5", "0,6", "0,7", "0,8", "0,9", "0,A", "2,0", "2,1", "4,0", "4,1", "4,2", "4,3", "4,4",
    "4,5", "4,8", "5,0", "5,1", "5,2", "5,3", "5,4", "5,5", "5,6", "5,F", "6,0",
];

/// A decoded BDS 1,7 register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommonUsageCapability {
    /// MB bits 1–24, bit 1 the most significant.
    pub map: u32,
}

impl CommonUsageCapability {
    /// The registers the transponder says it supports, e.g. `"4,0"`.
    pub fn registers(self) -> impl Iterator<Item = &'static str> {
        REGISTERS
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.map & (1 << (23 - i)) != 0)
            .map(|(_, r)| *r)
    }
}

pub(super) fn decode(mb: &[u8; 7]) -> Option<CommonUsageCapability> {
    if !flag(mb, 7) || field(mb, 25, 56) != 0 {
        return None;
    }
    Some(CommonUsageCapability {
        map: field(mb, 1, 24) as u32,
    })
}

#[cfg(test)]
mod tests {
    use crate::commb::{Bds, infer, tests::mb};

    #[test]
    fn capability_map_is_bds17() {
        // long_flight.csv DF20 reply; pyModeS 3.6.1 -> bds 1,7, supported
        // 0,5 0,6 0,7 0,8 0,9 2,0 2,1 4,0 5,0 5,F 6,0.
        let b = infer(&mb("A10000BDFB810300000000F1ACCE"));
        let Bds::CommonUsageCapability(c) = b else {
            panic!("{b:?}")
        };
        assert_eq!(
            c.registers().collect::<Vec<_>>(),
            [
                "0,5", "0,6", "0,7", "0,8", "0,9", "2,0", "2,1", "4,0", "5,0", "5,F", "6,0"
            ]
        );
    }
}
