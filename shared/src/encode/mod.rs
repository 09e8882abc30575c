//! The Mode S encoder: complete, bit-exact frames (with correct parity)
//! from physical values, for the simulator and for round-trip tests of the
//! decoder.
//!
//! - `fields.rs`: altitude codes, identity code, callsign characters.
//! - `me.rs`: ADS-B ME fields per type code.
//! - this file: assembling downlink formats 0, 4, 5, 11, 17, 18, 20, 21.

pub mod fields;
pub mod me;

use crate::Frame;
use crate::bits::set_field;
use crate::crc;

fn with_parity(mut bytes: [u8; 14], len: usize, overlay: u32) -> Frame {
    let p = crc::parity(&bytes[..len - 3]) ^ overlay;
    bytes[len - 3] = (p >> 16) as u8;
    bytes[len - 2] = (p >> 8) as u8;
    bytes[len - 1] = p as u8;
    Frame::new(&bytes[..len]).expect("encoders only build 7- or 14-byte messages")
}

/// DF17 extended squitter from a transponder (`ca` 5 = airborne, 4 = on ground).
pub fn df17(icao: u32, ca: u8, me: [u8; 7]) -> Frame {
    extended(17, ca, icao, me)
}

/// DF18 extended squitter (`cf` 0 non-transponder, 2 fine TIS-B, 5 TIS-B
/// other address, 6 ADS-R).
pub fn df18(address: u32, cf: u8, me: [u8; 7]) -> Frame {
    extended(18, cf, address, me)
}

fn extended(df: u64, ca: u8, address: u32, me: [u8; 7]) -> Frame {
    let mut b = [0u8; 14];
    set_field(&mut b, 1, 5, df);
    set_field(&mut b, 6, 8, u64::from(ca & 7));
    set_field(&mut b, 9, 32, u64::from(address & 0xFF_FFFF));
    b[4..11].copy_from_slice(&me);
    with_parity(b, 14, 0)
}

/// DF11 all-call reply; `interrogator` 0 for an acquisition squitter.
pub fn df11(icao: u32, ca: u8, interrogator: u8) -> Frame {
    let mut b = [0u8; 14];
    set_field(&mut b, 1, 5, 11);
    set_field(&mut b, 6, 8, u64::from(ca & 7));
    set_field(&mut b, 9, 32, u64::from(icao & 0xFF_FFFF));
    with_parity(b, 7, u32::from(interrogator.min(79)))
}

/// DF4 surveillance altitude reply (flight status `fs`: 0 airborne, 1 ground).
pub fn df4(icao: u32, fs: u8, alt_ft: i32) -> Frame {
    reply(4, fs, u64::from(fields::ac13(alt_ft)), icao, None)
}

/// DF5 surveillance identity reply.
pub fn df5(icao: u32, fs: u8, squawk: u16) -> Frame {
    reply(5, fs, u64::from(fields::id13(squawk)), icao, None)
}

/// DF20 Comm-B altitude reply carrying `mb`.
pub fn df20(icao: u32, fs: u8, alt_ft: i32, mb: [u8; 7]) -> Frame {
    reply(20, fs, u64::from(fields::ac13(alt_ft)), icao, Some(mb))
}

/// DF21 Comm-B identity reply carrying `mb`.
pub fn df21(icao: u32, fs: u8, squawk: u16, mb: [u8; 7]) -> Frame {
    reply(21, fs, u64::from(fields::id13(squawk)), icao, Some(mb))
}

/// DF0 short air-air surveillance (ACAS) reply.
pub fn df0(icao: u32, on_ground: bool, alt_ft: i32) -> Frame {
    let mut b = [0u8; 14];
    set_field(&mut b, 1, 5, 0);
    set_field(&mut b, 6, 6, u64::from(on_ground));
    set_field(&mut b, 14, 17, 3);
    set_field(&mut b, 20, 32, u64::from(fields::ac13(alt_ft)));
    with_parity(b, 7, icao & 0xFF_FFFF)
}

fn reply(df: u64, fs: u8, code: u64, icao: u32, mb: Option<[u8; 7]>) -> Frame {
    let mut b = [0u8; 14];
    set_field(&mut b, 1, 5, df);
    set_field(&mut b, 6, 8, u64::from(fs & 7));
    set_field(&mut b, 20, 32, code);
    let len = match mb {
        Some(mb) => {
            b[4..11].copy_from_slice(&mb);
            14
        }
        None => 7,
    };
    with_parity(b, len, icao & 0xFF_FFFF)
}

/// BDS 2,0 MB: aircraft identification.
pub fn bds20(callsign: &str) -> [u8; 7] {
    let mut mb = [0u8; 7];
    set_field(&mut mb, 1, 8, 0x20);
    set_field(&mut mb, 9, 56, fields::callsign(callsign));
    mb
}

/// BDS 4,0 MB: selected altitude (MCP) and barometric setting.
pub fn bds40(mcp_alt_ft: i32, qnh_hpa: f64) -> [u8; 7] {
    let mut mb = [0u8; 7];
    set_field(&mut mb, 1, 1, 1);
    set_field(&mut mb, 2, 13, (mcp_alt_ft.max(0) / 16) as u64);
    set_field(&mut mb, 27, 27, 1);
    set_field(
        &mut mb,
        28,
        39,
        ((qnh_hpa - 800.0) * 10.0).round().max(0.0) as u64,
    );
    mb
}

/// BDS 6,0 MB: magnetic heading, IAS, Mach, barometric vertical rate.
pub fn bds60(heading: f64, ias: u32, mach: f64, baro_rate: i32) -> [u8; 7] {
    let mut mb = [0u8; 7];
    let h = (heading.rem_euclid(360.0) * 512.0 / 90.0).round() as i64 % 2048;
    let h = if h >= 1024 { h - 2048 } else { h };
    set_field(&mut mb, 1, 1, 1);
    set_field(&mut mb, 2, 12, (h & 0x7FF) as u64);
    set_field(&mut mb, 13, 13, 1);
    set_field(&mut mb, 14, 23, u64::from(ias.min(1023)));
    set_field(&mut mb, 24, 24, 1);
    set_field(
        &mut mb,
        25,
        34,
        ((mach * 512.0 / 2.048).round() as u64).min(1023),
    );
    let vr = (f64::from(baro_rate) / 32.0).round() as i64;
    set_field(&mut mb, 35, 35, 1);
    set_field(&mut mb, 36, 45, (vr & 0x3FF) as u64);
    set_field(&mut mb, 46, 46, 1);
    set_field(&mut mb, 47, 56, (vr & 0x3FF) as u64);
    mb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpr::Position;

    #[test]
    fn identification_is_bit_exact_against_the_pymodes_frame() {
        // 8D4840D6202CC371C32CE0576098: ICAO 4840D6, CA 5, TC 4 category 0, KLM1023.
        assert_eq!(
            df17(0x4840D6, 5, me::identification("A0", "KLM1023")).to_hex(),
            "8d4840d6202cc371c32ce0576098"
        );
    }

    #[test]
    fn airborne_position_is_bit_exact_against_the_pymodes_frame() {
        // 8D40621D58C382D690C8AC2863A7: TC 11, 38000 ft, even, at 52.2572021484375, 3.91937255859375.
        let p = Position {
            lat: 52.2572021484375,
            lon: 3.91937255859375,
        };
        assert_eq!(
            df17(0x40621D, 5, me::airborne_position(11, p, 38000, false)).to_hex(),
            "8d40621d58c382d690c8ac2863a7"
        );
    }

    #[test]
    fn every_encoded_format_decodes_to_what_was_encoded() {
        use crate::decode::{Content, CrcStatus, DecodeOptions, decode};
        let opts = DecodeOptions::default();
        let m = decode(&df11(0xABCDEF, 5, 0), &opts).unwrap();
        assert_eq!((m.address.icao, m.crc), (0xABCDEF, CrcStatus::Ok));
        let m = decode(&df4(0xABCDEF, 0, 35_000), &opts).unwrap();
        assert_eq!(m.address.icao, 0xABCDEF);
        assert!(
            matches!(m.content, Content::SurveillanceAltitude { altitude: Some(a), .. } if a.feet() == 35_000)
        );
        let m = decode(&df5(0xABCDEF, 0, 0x7700), &opts).unwrap();
        assert!(matches!(
            m.content,
            Content::SurveillanceIdentity { squawk: 0x7700, .. }
        ));
        let m = decode(&df20(0xABCDEF, 0, 12_000, bds20("DLH4AB")), &opts).unwrap();
        let state = crate::state::Fields::from_message(&m);
        assert_eq!(
            state.flight.map(|c| c.as_str().to_string()).as_deref(),
            Some("DLH4AB  ")
        );
        let m = decode(
            &df21(0xABCDEF, 0, 0x1234, bds60(271.0, 250, 0.45, -1024)),
            &opts,
        )
        .unwrap();
        let f = crate::state::Fields::from_message(&m);
        assert_eq!(f.ias, Some(250));
        assert_eq!(f.baro_rate, Some(-1024));
        let m = decode(
            &df17(
                0xABCDEF,
                5,
                me::velocity(420.0, 95.0, -1536, true, Some(-75)),
            ),
            &opts,
        )
        .unwrap();
        let f = crate::state::Fields::from_message(&m);
        assert_eq!(f.baro_rate, Some(-1536));
        assert_eq!(f.geom_minus_baro, Some(-75));
        assert!((f.gs.unwrap() - 420.0).abs() < 1.0 && (f.track.unwrap() - 95.0).abs() < 0.5);
        let m = decode(&df17(0xABCDEF, 5, me::aircraft_status(1, 0x7700)), &opts).unwrap();
        assert_eq!(
            crate::state::Fields::from_message(&m).emergency,
            Some("general")
        );
        let m = decode(
            &df17(
                0xABCDEF,
                5,
                me::target_state(24_000, 1013.2, Some(180.0), 9, 3),
            ),
            &opts,
        )
        .unwrap();
        let f = crate::state::Fields::from_message(&m);
        assert_eq!(f.nav_altitude_mcp, Some(24_000));
        assert_eq!(f.nav_heading, Some(180.0));
        let m = decode(
            &df17(0xABCDEF, 5, me::operational_status(false, 2, true, 9, 3)),
            &opts,
        )
        .unwrap();
        assert_eq!(crate::state::Fields::from_message(&m).version, Some(2));
        let m = decode(&df18(0x123456, 6, me::identification("A3", "ADSR1")), &opts).unwrap();
        assert_eq!(m.address.kind.readsb_name(), "adsr_icao");
    }

    #[test]
    fn surface_movement_round_trips_to_band_lower_bounds() {
        for kt in [0.5, 1.0, 3.0, 17.0, 42.0, 99.0, 150.0] {
            let code = me::movement(kt);
            let back = crate::adsb::movement_to_knots(code).unwrap();
            assert!(back <= kt && kt - back < 5.0, "{kt} -> {code} -> {back}");
        }
    }
}
