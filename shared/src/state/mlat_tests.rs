//! Expected outcomes from readsb's rules as written in `track.c`
//! (`accept_data`, the MLAT branch of `updateFromMessage`) and the lists
//! of `json_out.c` `append_flags`, not from our output.

use super::*;
use crate::Frame;
use crate::decode::{DecodeOptions, decode};
use crate::encode::{df4, df11, df17, df18, me};
use crate::state::{Tracker, TrackerOptions};

const ICAO: u32 = 0x4CA7E1;
const T0: u64 = 1_700_000_000_000;

fn send(t: &mut Tracker, frame: Frame, at_ms: u64) {
    let msg = decode(&frame, &DecodeOptions::default()).expect("decodes");
    t.update(&msg, at_ms, Some(-20.0)).expect("applied");
}

fn fix(at_ms: u64, lat: f64, lon: f64) -> MlatPosition {
    MlatPosition {
        icao: ICAO,
        time_ms: at_ms,
        position: Position { lat, lon },
        alt_baro_ft: Some(24_000),
        gs_kt: Some(420.04),
        track_deg: Some(271.256),
    }
}

/// An even/odd ADS-B pair at `at_ms`, `at_ms + 500` near (52.4, 4.9).
fn adsb_pair(t: &mut Tracker, frame: impl Fn(u32, [u8; 7]) -> Frame, at_ms: u64) {
    let pos = Position {
        lat: 52.4,
        lon: 4.9,
    };
    send(
        t,
        frame(ICAO, me::airborne_position(11, pos, 35_000, false)),
        at_ms,
    );
    send(
        t,
        frame(ICAO, me::airborne_position(11, pos, 35_000, true)),
        at_ms + 500,
    );
}

fn df17_ca5(icao: u32, m: [u8; 7]) -> Frame {
    df17(icao, 5, m)
}

fn df18_tisb(icao: u32, m: [u8; 7]) -> Frame {
    df18(icao, 2, m)
}

#[test]
fn a_fix_for_a_new_aircraft_makes_an_mlat_aircraft() {
    let mut t = Tracker::new(TrackerOptions::default());
    let out = t.apply_mlat(&fix(T0, 51.5, -0.1));
    assert!(matches!(out, MlatOutcome::Applied(_)), "{out:?}");
    let ac = t.get(ICAO, false).expect("tracked");
    assert_eq!(ac.address.kind.readsb_name(), "mlat");
    assert_eq!(ac.position().map(|(p, t)| (p.lat, t)), Some((51.5, T0)));
    let f = ac.valid_fields(T0);
    assert_eq!(
        (f.nic, f.rc, f.gs, f.track),
        (Some(0), Some(0), Some(420.0), Some(271.26))
    );
    assert_eq!(f.alt_baro, Some(AltBaro::Feet(24_000)));
    assert_eq!(
        ac.flags(T0, Source::Mlat),
        ["altitude", "gs", "track", "lat", "lon", "nic", "rc"]
    );
    assert!(ac.flags(T0, Source::Tisb).is_empty());
}

#[test]
fn a_fix_does_not_move_an_aircraft_with_a_current_adsb_position() {
    let mut t = Tracker::new(TrackerOptions::default());
    adsb_pair(&mut t, df17_ca5, T0);
    let adsb = t
        .get(ICAO, false)
        .and_then(|a| a.position())
        .expect("pair decodes");
    assert_eq!(
        t.apply_mlat(&fix(T0 + 15_000, 52.41, 4.91)),
        MlatOutcome::BetterSource
    );
    let ac = t.get(ICAO, false).expect("tracked");
    assert_eq!(ac.position(), Some(adsb));
    assert_eq!(ac.address.kind.readsb_name(), "adsb_icao");
    assert!(ac.flags(T0 + 15_000, Source::Mlat).is_empty());
    // 15 s after the last ADS-B position it is stale and MLAT takes over.
    let out = t.apply_mlat(&fix(T0 + 15_500, 52.41, 4.91));
    assert!(matches!(out, MlatOutcome::Applied(_)), "{out:?}");
    let ac = t.get(ICAO, false).expect("tracked");
    assert_eq!(ac.address.kind.readsb_name(), "mlat");
    assert_eq!(ac.position().map(|(p, _)| p.lat), Some(52.41));
}

#[test]
fn a_fix_older_than_the_position_is_not_applied() {
    let mut t = Tracker::new(TrackerOptions::default());
    t.apply_mlat(&fix(T0, 51.5, -0.1));
    assert_eq!(t.apply_mlat(&fix(T0 - 1, 51.5, -0.1)), MlatOutcome::Older);
}

#[test]
fn a_jump_from_a_recent_mlat_position_is_implausible() {
    let mut t = Tracker::new(TrackerOptions::default());
    t.apply_mlat(&fix(T0, 51.5, -0.1));
    // 50 km in two seconds.
    let far = fix(T0 + 2_000, 51.95, -0.1);
    assert_eq!(t.apply_mlat(&far), MlatOutcome::Implausible);
    let near = fix(T0 + 2_000, 51.502, -0.1);
    assert!(matches!(t.apply_mlat(&near), MlatOutcome::Applied(_)));
    assert_eq!(t.get(ICAO, false).map(|a| a.rejected_positions), Some(1));
}

#[test]
fn a_fix_keeps_a_recent_mode_s_altitude() {
    let mut t = Tracker::new(TrackerOptions::default());
    send(&mut t, df11(ICAO, 5, 0), T0);
    send(&mut t, df4(ICAO, 0, 31_000), T0 + 100);
    t.apply_mlat(&fix(T0 + 1_000, 51.5, -0.1));
    let ac = t.get(ICAO, false).expect("tracked");
    let f = ac.valid_fields(T0 + 1_000);
    assert_eq!(f.alt_baro, Some(AltBaro::Feet(31_000)), "Mode S is better");
    assert_eq!(f.gs, Some(420.0));
    let mlat = ac.flags(T0 + 1_000, Source::Mlat);
    assert!(
        !mlat.contains(&"altitude") && mlat.contains(&"lat"),
        "{mlat:?}"
    );
}

#[test]
fn tis_b_fields_are_listed_as_tisb() {
    let mut t = Tracker::new(TrackerOptions::default());
    adsb_pair(&mut t, df18_tisb, T0);
    send(
        &mut t,
        df18(ICAO, 2, me::velocity(300.0, 90.0, 0, true, None)),
        T0 + 600,
    );
    let ac = t.get(ICAO, false).expect("tracked");
    assert_eq!(ac.address.kind.readsb_name(), "tisb_icao");
    assert_eq!(
        ac.flags(T0 + 600, Source::Tisb),
        [
            "altitude",
            "gs",
            "track",
            "baro_rate",
            "lat",
            "lon",
            "nic",
            "rc",
            "nac_v"
        ]
    );
    assert!(ac.flags(T0 + 600, Source::Mlat).is_empty());
    // ADS-B from the same aircraft takes the fields it carries.
    send(
        &mut t,
        df17(ICAO, 5, me::velocity(310.0, 91.0, 0, true, None)),
        T0 + 700,
    );
    let tisb = t
        .get(ICAO, false)
        .expect("tracked")
        .flags(T0 + 700, Source::Tisb);
    assert_eq!(tisb, ["altitude", "lat", "lon", "nic", "rc"]);
}
