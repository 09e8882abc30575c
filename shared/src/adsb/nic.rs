//! Navigation Integrity Category and containment radius (Rc) from a
//! position message's type code, the ADS-B version and the NIC supplements
//! (DO-260B §2.2.3.2.7.2.6 tables 2-70 and 2-71; DO-260A for version 1;
//! the same rules as readsb's `compute_nic` / `compute_rc`).
//!
//! Supplement A comes from TC 31, B from the airborne position message
//! (ME bit 8, version 2 only), C from the surface TC 31 (version 2). The
//! state model combines them across messages and calls [`nic_rc`].

/// NIC and its containment radius in metres (`None` = unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NicRc {
    /// NIC 0–11.
    pub nic: u8,
    /// Radius of containment, metres.
    pub rc: Option<u32>,
}

/// NIC and Rc for a position message with type code `tc`.
pub fn nic_rc(tc: u8, version: u8, nic_a: bool, nic_b: bool, nic_c: bool) -> NicRc {
    let r = |nic: u8, rc: u32| NicRc { nic, rc: Some(rc) };
    let unknown = NicRc { nic: 0, rc: None };
    // The supplement pair that selects the finer of two bands.
    let fine = match version {
        2 => nic_a && nic_b,
        1 => nic_a,
        _ => false,
    };
    match tc {
        5 | 9 | 20 => r(11, 8),
        6 | 10 | 21 => r(10, 25),
        7 => {
            let fine = match version {
                2 => nic_a && !nic_c,
                1 => nic_a,
                _ => false,
            };
            if fine { r(9, 75) } else { r(8, 186) }
        }
        8 => match (version, nic_a, nic_c) {
            (2, true, true) => r(7, 371),
            (2, true, false) => r(6, 556),
            (2, false, true) => r(6, 926),
            _ => unknown,
        },
        11 => {
            if fine {
                r(9, 75)
            } else {
                r(8, 186)
            }
        }
        12 => r(7, 371),
        13 => match (version, nic_a, nic_b) {
            (2, false, true) => r(6, 556),
            (2, false, false) => r(6, 926),
            (2, true, true) => r(6, 1112),
            (2, true, false) => unknown,
            (1, true, _) => r(6, 1112),
            _ => r(6, 926),
        },
        14 => r(5, 1852),
        15 => r(4, 3704),
        16 => {
            if fine {
                r(3, 7408)
            } else {
                r(2, 14816)
            }
        }
        17 => r(1, 37040),
        _ => unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_2_70_airborne_rows() {
        // DO-260B table 2-70: TC 9 -> NIC 11, Rc < 7.5 m; TC 11 with A=B=1 -> NIC 9 (75 m),
        // otherwise NIC 8 (0.1 NM); TC 13 with A=0,B=1 -> 0.3 NM; TC 18 -> NIC 0.
        assert_eq!(
            nic_rc(9, 2, false, false, false),
            NicRc {
                nic: 11,
                rc: Some(8)
            }
        );
        assert_eq!(nic_rc(11, 2, true, true, false).nic, 9);
        assert_eq!(nic_rc(11, 2, true, false, false).nic, 8);
        assert_eq!(nic_rc(13, 2, false, true, false).rc, Some(556));
        assert_eq!(nic_rc(13, 2, false, false, false).rc, Some(926));
        assert_eq!(nic_rc(13, 2, true, true, false).rc, Some(1112));
        assert_eq!(nic_rc(18, 2, true, true, true), NicRc { nic: 0, rc: None });
    }

    #[test]
    fn version_1_uses_supplement_a_only_and_version_0_none() {
        assert_eq!(nic_rc(11, 1, true, false, false).nic, 9);
        assert_eq!(nic_rc(11, 0, true, true, false).nic, 8);
        assert_eq!(
            nic_rc(16, 1, true, false, false),
            NicRc {
                nic: 3,
                rc: Some(7408)
            }
        );
    }

    #[test]
    fn surface_rows_use_supplement_c() {
        assert_eq!(nic_rc(8, 2, true, false, true).nic, 7);
        assert_eq!(
            nic_rc(8, 2, false, false, false),
            NicRc { nic: 0, rc: None }
        );
        assert_eq!(nic_rc(7, 2, true, false, false).nic, 9);
    }
}
