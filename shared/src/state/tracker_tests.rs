//! The tracker's positions for timed and untimed input, against real
//! frames of lax-messages.txt and positions from pyModeS 3.6.

use super::*;
use crate::Frame;
use crate::decode::{DecodeOptions, decode};

const LAX: Position = Position {
    lat: 33.9425,
    lon: -118.408,
};

fn msg(hex: &str) -> Message {
    decode(
        &Frame::from_hex(hex).expect("hex"),
        &DecodeOptions::default(),
    )
    .expect("decodes")
}

fn lat_lon(f: &Fields) -> Option<(f64, f64)> {
    Some((f.lat?, f.lon?))
}

fn near(got: Option<(f64, f64)>, want: (f64, f64)) {
    let (lat, lon) = got.expect("a position");
    assert!(
        (lat - want.0).abs() < 1e-5 && (lon - want.1).abs() < 1e-5,
        "{got:?} != {want:?}"
    );
}

/// lax-messages.txt lines 27245 and 215305: A8881E's first and last
/// airborne positions, 179 km apart; pyModeS 3.6 with the LAX reference
/// gives these positions.
const A8881E_FIRST: &str = "8da8881e58b503114d74a184b4f9";
const A8881E_LAST: &str = "8da8881e58897268fddf7a0744f6";

#[test]
fn untimed_frames_far_apart_both_get_positions_against_the_receiver() {
    let mut t = Tracker::new(TrackerOptions {
        receiver: Some(LAX),
        ..TrackerOptions::default()
    });
    let first = t
        .update_untimed(&msg(A8881E_FIRST), 1_000, None)
        .expect("applied");
    near(lat_lon(&first), (34.601349, -119.550924));
    // Same clock: an untimed input says nothing about the time between them.
    let last = t
        .update_untimed(&msg(A8881E_LAST), 1_000, None)
        .expect("applied");
    near(lat_lon(&last), (33.615143, -118.017715));
    let ac = t.get(0xA8881E, false).expect("tracked");
    assert_eq!(ac.rejected_positions, 0);
}

#[test]
fn timed_frames_too_far_apart_for_the_time_are_still_refused() {
    let mut t = Tracker::new(TrackerOptions {
        receiver: Some(LAX),
        ..TrackerOptions::default()
    });
    let first = t.update(&msg(A8881E_FIRST), 1_000, None).expect("applied");
    near(lat_lon(&first), (34.601349, -119.550924));
    // 179 km in one second is no aircraft.
    let last = t.update(&msg(A8881E_LAST), 2_000, None).expect("applied");
    assert_eq!(lat_lon(&last), None);
    assert_eq!(
        t.get(0xA8881E, false).map(|a| a.rejected_positions),
        Some(1)
    );
}

#[test]
fn untimed_pairs_decode_without_a_receiver_once_one_vouches_for_the_next() {
    // lax-messages.txt lines 200 (even), 400 (odd), 562 and 706 (even)
    // from A2EBBD; positions from pyModeS 3.6 with the LAX reference.
    let mut t = Tracker::new(TrackerOptions::default());
    let mut next = |hex: &str| {
        let f = t.update_untimed(&msg(hex), 0, None).expect("applied");
        lat_lon(&f)
    };
    assert_eq!(
        next("8da2ebbd586552fbe7c6cec57a4b"),
        None,
        "one message alone"
    );
    assert_eq!(
        next("8da2ebbd58655699ee6f1a3feb97"),
        None,
        "a first pair has nothing to vouch for it"
    );
    near(
        next("8da2ebbd586562fc19c6b100e0da"),
        (34.477112, -118.373369),
    );
    // Even after even: no pair, local against the aircraft's position.
    near(
        next("8da2ebbd586572fc2bc6a64cec7d"),
        (34.477524, -118.373986),
    );
}

#[test]
fn untimed_pair_across_a_reception_gap_gives_no_position() {
    // lax-messages.txt, 899124: lines 148495 (odd), 148684 (even),
    // 149044 (odd), 155173 (even), then nothing from it until 187360
    // (odd) and 187542 (even). Paired with 155173, line 187360 decodes
    // 1,700 km off (45.79, -107.01); pyModeS with the LAX reference
    // gives 33.583855, -119.178772.
    let mut t = Tracker::new(TrackerOptions::default());
    let mut next = |hex: &str| {
        let f = t.update_untimed(&msg(hex), 0, None).expect("applied");
        lat_lon(&f)
    };
    assert_eq!(next("8d899124585706284848a9711937"), None);
    assert_eq!(next("8d899124585712884f9f7459e98d"), None);
    near(
        next("8d89912458573627ec487fcf68ea"),
        (33.797204, -118.938046),
    );
    near(
        next("8d899124585bd282f19d01baaff0"),
        (33.767212, -118.971564),
    );
    assert_eq!(next("8d8991245879b6041e3810395e94"), None, "gap pair");
    near(
        next("8d8991245879d263638e727d2b7d"),
        (33.582321, -119.180472),
    );
}

#[test]
fn surface_pair_without_a_receiver_takes_its_quadrant_from_another_aircraft() {
    // pyModeS docs airborne pair (40621D -> 52.2572, 3.91937), then the
    // "1090MHz Riddle" surface pair (484175, odd newer -> 52.320607,
    // 4.734735), all within 25 s and no receiver position.
    let frames = [
        ("8d40621d58c382d690c8ac2863a7", 1_000),
        ("8d40621d58c386435cc412692ad6", 2_000),
        ("8c4841753aab238733c8cd4020b1", 3_000),
        ("8c4841753a8a35323faebdac702d", 4_000),
    ];
    let mut one = Tracker::new(TrackerOptions::default());
    let mut many = Tracker::new(TrackerOptions::default());
    let (mut last_one, mut last_many) = (None, None);
    for (hex, at) in frames {
        last_one = one.update(&msg(hex), at, None).as_ref().and_then(lat_lon);
        last_many = many
            .update_from(&msg(hex), at, None, None)
            .as_ref()
            .and_then(lat_lon);
    }
    near(last_one, (52.320607, 4.734735));
    // A collector's tracker mixes receivers: another aircraft says
    // nothing about where this one's receiver is.
    assert_eq!(last_many, None);
}

fn apply(t: &mut Tracker, hex: &str, unix_s: f64) -> Fields {
    let msg = decode(&Frame::from_hex(hex).unwrap(), &DecodeOptions::default()).unwrap();
    t.update(&msg, (unix_s * 1000.0) as u64, None).unwrap()
}

#[test]
fn comm_b_50_60_ambiguity_is_resolved_with_adsb_ground_speed() {
    // long_flight.csv, 486257 taxiing: a surface position (GS 2 kt, track
    // 47.8125) and a DF4 without altitude, then a DF20 that fits 5,0 and
    // 6,0. pyModeS 3.6.1 PipeDecoder on the same frames -> bds 5,0, roll
    // -0.17578125, GS 2, TAS 2.
    let mut t = Tracker::default();
    apply(&mut t, "8C48625738191058255017DAA2B1", 1698141758.38419);
    apply(&mut t, "21000000E3F95B", 1698141758.918481);
    let f = apply(&mut t, "A1000000FFE00100400401759680", 1698141760.917175);
    assert_eq!(f.roll, Some(-0.18));
    assert_eq!((f.gs, f.tas), (Some(2.0), Some(2)));
    assert_eq!((f.mag_heading, f.ias), (None, None));
}

#[test]
fn comm_b_50_60_ambiguity_uses_the_altitude_of_a_reply_on_the_ground() {
    // long_flight.csv, 398101 taxiing: two surface positions (GS 70 and
    // 67 kt, track 323.4375) and a DF4 saying "on the ground" with an
    // altitude code of 525 ft, then a DF20 that fits 5,0 and 6,0. IAS
    // and Mach derived at 525 ft make 6,0 fit best. pyModeS 3.6.1 PipeDecoder on the same four frames ->
    // bds 6,0, heading 322.91015625, IAS 58, Mach 0.092, baro rate 160.
    let mut t = Tracker::default();
    apply(&mut t, "8C3981013DEF30556D4E16C9E36B", 1698142161.325025);
    apply(&mut t, "210000BD6B81F6", 1698142161.622596);
    apply(&mut t, "8C3981013DBF366525464A71B7D0", 1698142161.797101);
    let f = apply(&mut t, "A10000BDF2D87505E02C003910F1", 1698142162.122668);
    assert_eq!(f.mag_heading, Some(322.91));
    assert_eq!((f.ias, f.mach), (Some(58), Some(0.092)));
    assert_eq!((f.baro_rate, f.geom_rate), (Some(160), Some(0)));
    assert_eq!((f.roll, f.track_rate), (None, None));
}

#[test]
fn comm_b_ambiguity_without_speed_state_stays_unapplied() {
    // long_flight.csv, 38A0DB: a TC 28 squitter confirms the address but
    // says nothing of speed; the DF20 that follows, twice, fits 5,0 and
    // 6,0. Our convention: ambiguous both times, nothing applied.
    // pyModeS 3.6.1 PipeDecoder reports candidates[0] (5,0: roll
    // 0.3515625, track 242.40234375, GS 0) the first time, and the
    // second time scores against the state it stored from that guess.
    let mut t = Tracker::default();
    apply(&mut t, "8C38A0DBE11FAF00000000919CF3", 1698142140.766632);
    for at in [1698142141.507346, 1698142146.01656] {
        let f = apply(&mut t, "A10000BF805AC700200000111B6F", at);
        assert_eq!(
            (f.roll, f.track, f.gs, f.mag_heading),
            (None, None, None, None)
        );
    }
}
