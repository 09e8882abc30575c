//! Tests of the processor.

use super::*;
use cloudradar_shared::wire::WireFrame;

fn batch(seq: u64) -> Batch {
    Batch {
        receiver_id: "rx-a".into(),
        seq,
        created_ms: 1_000,
        frames: vec![WireFrame {
            rx_ms: 1_000,
            timestamp: 0,
            signal: 0,
            frame: cloudradar_shared::frame::Frame::new(&[
                0x5d, 0x4c, 0xa2, 0xd4, 0xce, 0x12, 0x34,
            ])
            .expect("frame"),
        }],
    }
}

/// Regression: a batch read again after a crash between its commit and
/// its Redis acknowledgement was processed afresh, handing out message
/// ids the store never wrote.
#[test]
fn batches_already_in_the_database_are_repeats_from_the_start() {
    let p = Processor::new(41, 1_000, Arc::default());
    let mut p = p.with_applied([("rx-a".to_string(), 7)]);
    let again = p.process(&batch(7), 2_000);
    assert!(again.repeat && again.messages.is_empty() && again.receptions.is_empty());
    let next = p.process(&batch(8), 2_000);
    assert!(!next.repeat);
    assert_eq!(next.receptions.len(), 1);
    assert_eq!(
        next.receptions[0].message_id, 42,
        "ids go on from the last one"
    );
}

/// Regression: the pipeline's sweep at the wall clock dropped aircraft
/// whose data time was behind it, so a back-fill (or a feed delivered
/// after a pause) lost its CPR state by how fast batches came. The same
/// frames now give the same positions however long the wall pause.
#[test]
fn a_wall_clock_pause_between_batches_changes_no_stored_position() {
    use cloudradar_shared::encode::{df17, me};
    const T0: u64 = 1_700_000_000_000;
    let at = |i: u64| {
        let pos = Position {
            lat: 52.0 + i as f64 * 0.001,
            lon: 4.0,
        };
        let frame = df17(
            0x4840D6,
            5,
            me::airborne_position(11, pos, 35_000, i % 2 == 1),
        );
        Batch {
            receiver_id: "rx-a".into(),
            seq: i,
            created_ms: T0 + i * 1_000,
            frames: vec![WireFrame {
                rx_ms: T0 + i * 1_000,
                // Timed, by a receiver's 12 MHz clock.
                timestamp: 1 + i * 12_000_000,
                signal: 0,
                frame,
            }],
        }
    };
    // Live (wall = data time) and a back-fill three years on.
    for wall in [T0, T0 + 3 * 365 * 86_400_000] {
        let run = |pause_ms: u64| {
            // No receiver position: a position needs an even/odd pair.
            let mut p = Processor::new(0, 1_000, Arc::default());
            let mut positions = Vec::new();
            for i in 0..6 {
                let now = wall + i * 1_000 + if i >= 3 { pause_ms } else { 0 };
                p.expire(now);
                positions.extend(p.process(&at(i), now).positions);
            }
            positions
        };
        let (steady, paused) = (run(0), run(600_000));
        assert_eq!(steady.len(), 5, "every message after the first pairs");
        assert_eq!(paused, steady, "wall clock {wall}");
    }
}

mod live {
    //! The live snapshot against readsb's aircraft.json rules (`json_out.c`
    //! `sprintAircraftObject`, `README-json.md`); expected values come from
    //! those rules and from geometry, not from our output.

    use super::*;
    use cloudradar_shared::encode::{df11, df17, me};
    use cloudradar_shared::frame::Frame;
    use serde_json::Value;

    const ICAO: u32 = 0x4840D6;
    const T0: u64 = 1_700_000_000_000;
    const SITE: Position = Position {
        lat: 52.0,
        lon: 4.0,
    };

    fn processor() -> Processor {
        let positions: ReceiverPositions = Arc::default();
        if let Ok(mut p) = positions.write() {
            p.insert(
                "rx-a".into(),
                crate::process::ReceiverSite {
                    position: SITE,
                    alt_m: None,
                },
            );
        }
        Processor::new(0, 1_000, positions)
    }

    fn send(p: &mut Processor, seq: u64, frame: Frame, at_ms: u64, signal: u8) {
        let batch = Batch {
            receiver_id: "rx-a".into(),
            seq,
            created_ms: at_ms,
            frames: vec![WireFrame {
                rx_ms: at_ms,
                timestamp: 0,
                signal,
                frame,
            }],
        };
        p.process(&batch, at_ms);
    }

    /// An airborne position north of the site, `north_deg` degrees of latitude.
    fn position(north_deg: f64) -> Frame {
        let pos = Position {
            lat: SITE.lat + north_deg,
            lon: SITE.lon,
        };
        df17(ICAO, 5, me::airborne_position(11, pos, 35_000, false))
    }

    fn aircraft(p: &Processor, now_ms: u64, hex: &str) -> Value {
        let snap = p.snapshot(now_ms);
        let json: Value = serde_json::from_slice(&snap.json).expect("json");
        json["aircraft"]
            .as_array()
            .and_then(|l| l.iter().find(|a| a["hex"] == hex).cloned())
            .expect("listed")
    }

    #[test]
    fn distance_bearing_rssi_and_source_lists_follow_readsb() {
        let mut p = processor();
        for i in 0..8u64 {
            let north = 1.0 - (7 - i) as f64 * 0.001;
            send(&mut p, i, position(north), T0 + i * 2_000, 128);
        }
        let a = aircraft(&p, T0 + 14_500, "4840d6");
        assert_eq!(a["type"], "adsb_icao");
        // One degree of latitude on readsb's 6371 km sphere: 111,194.9 m.
        assert_eq!(a["r_dst"], 60.041, "{a}");
        assert_eq!(a["r_dir"], 0.0, "{a}");
        assert_eq!(a["seen_pos"], 0.5, "{a}");
        // Eight levels of 128/255: 10·log10((128/255)² + 1.125e-5).
        assert_eq!(a["rssi"], -6.0, "{a}");
        assert_eq!(a["mlat"], Value::Array(vec![]));
        assert_eq!(a["tisb"], Value::Array(vec![]));
        assert_eq!((a["nic"].as_u64(), a["rc"].as_u64()), (Some(8), Some(186)));
    }

    /// readsb's `true_heading`: BDS 6,0's magnetic heading plus the
    /// WMM2020 declination at the aircraft, unless it is 45° or more off
    /// the track.
    #[test]
    fn true_heading_is_the_bds60_heading_plus_the_declination_there() {
        use cloudradar_shared::encode::{bds60, df20};
        use cloudradar_shared::geomag;
        let mut p = processor();
        send(&mut p, 0, position(1.0), T0, 128);
        let velocity = me::velocity(450.0, 90.0, 0, true, None);
        send(&mut p, 1, df17(ICAO, 5, velocity), T0 + 500, 128);
        send(
            &mut p,
            2,
            df20(ICAO, 0, 35_000, bds60(85.0, 250, 0.78, 0)),
            T0 + 1_000,
            128,
        );
        let a = aircraft(&p, T0 + 1_000, "4840d6");
        let (mag, lat, lon) = (&a["mag_heading"], &a["lat"], &a["lon"]);
        let (Some(mag), Some(lat), Some(lon)) = (mag.as_f64(), lat.as_f64(), lon.as_f64()) else {
            panic!("heading and position: {a}");
        };
        let year = geomag::decimal_year(T0 + 1_000);
        let dec = geomag::declination(lat, lon, 35_000.0 * 0.0003048, year).expect("declination");
        let true_heading = a["true_heading"].as_f64().expect("true_heading");
        assert!(
            (true_heading - (mag + dec)).abs() <= 0.005,
            "{mag} + {dec} vs {a}"
        );
        // 180° against a 90° track: more crab than any aircraft flies.
        let mut p = processor();
        send(&mut p, 0, position(1.0), T0, 128);
        send(&mut p, 1, df17(ICAO, 5, velocity), T0 + 500, 128);
        send(
            &mut p,
            2,
            df20(ICAO, 0, 35_000, bds60(180.0, 250, 0.78, 0)),
            T0 + 1_000,
            128,
        );
        let a = aircraft(&p, T0 + 1_000, "4840d6");
        assert!(
            a.get("mag_heading").is_some() && a.get("true_heading").is_none(),
            "{a}"
        );
    }

    #[test]
    fn rssi_with_fewer_than_four_levels_is_readsbs_floor() {
        let mut p = processor();
        send(&mut p, 0, position(1.0), T0, 128);
        // 10·log10(1.125e-5), one decimal.
        assert_eq!(aircraft(&p, T0, "4840d6")["rssi"], -49.5);
    }

    #[test]
    fn a_position_older_than_60_s_takes_all_its_fields_with_it() {
        let mut p = processor();
        send(&mut p, 0, position(1.0), T0, 128);
        send(&mut p, 1, df11(ICAO, 5, 0), T0 + 30_000, 128);
        send(&mut p, 2, df11(ICAO, 5, 0), T0 + 61_000, 128);
        let valid = aircraft(&p, T0 + 60_000, "4840d6");
        for key in ["lat", "lon", "nic", "rc", "seen_pos", "r_dst", "r_dir"] {
            assert!(valid.get(key).is_some(), "{key} at 60 s: {valid}");
        }
        assert_eq!(valid["seen_pos"], 60.0);
        let stale = aircraft(&p, T0 + 61_000, "4840d6");
        for key in ["lat", "lon", "nic", "rc", "seen_pos", "r_dst", "r_dir"] {
            assert!(stale.get(key).is_none(), "{key} at 61 s: {stale}");
        }
        // DF11s 30 and 61 s after the ADS-B position: a worse type needs
        // the current one to be more than 90 s old.
        assert_eq!(stale["type"], "adsb_icao");
    }

    #[test]
    fn sda_comes_from_version_2_operational_status() {
        let mut p = processor();
        // Real frame (lax-messages.txt): version 2, ME bits 31-32 = 0b10.
        let frame = Frame::from_hex("8DAC259FF8132006005AB8DFA302").expect("hex");
        send(&mut p, 0, frame, T0, 128);
        send(&mut p, 1, frame, T0 + 2_000, 128);
        assert_eq!(aircraft(&p, T0 + 2_000, "ac259f")["sda"], 2);
    }

    #[test]
    fn the_site_is_the_receivers_centroid_without_a_configured_one() {
        let site = processor().snapshot(T0).site.expect("a site");
        assert!((site.lat - SITE.lat).abs() < 1e-9 && (site.lon - SITE.lon).abs() < 1e-9);
        let configured = Position {
            lat: 40.64,
            lon: -73.78,
        };
        let p = processor().with_site(Some(configured));
        assert_eq!(p.snapshot(T0).site, Some(configured));
    }

    fn listed(p: &Processor, now_ms: u64, hex: &str) -> bool {
        p.snapshot(now_ms).aircraft.iter().any(|a| a.hex == hex)
    }

    #[test]
    fn aircraft_are_listed_as_readsb_lists_them() {
        let mut p = processor();
        send(&mut p, 0, df11(ICAO, 5, 0), T0, 128);
        assert!(!listed(&p, T0, "4840d6"), "one message without a position");
        send(&mut p, 1, df11(ICAO, 5, 0), T0 + 2_000, 128);
        assert!(listed(&p, T0 + 2_000, "4840d6"), "two messages");
        assert!(listed(&p, T0 + 61_999, "4840d6"), "heard 59.999 s ago");
        assert!(
            !listed(&p, T0 + 62_000, "4840d6"),
            "heard 60 s ago, no position"
        );
        let mut p = processor();
        send(&mut p, 0, position(1.0), T0, 128);
        assert!(listed(&p, T0, "4840d6"), "one message with a position");
    }

    #[test]
    fn the_callsign_lasts_180_s_and_the_version_longer_than_60_s() {
        let mut p = processor();
        send(&mut p, 0, position(1.0), T0, 128);
        send(
            &mut p,
            1,
            df17(ICAO, 5, me::identification("A3", "KLM1302")),
            T0 + 1_000,
            128,
        );
        let status = me::operational_status(false, 2, true, 9, 3);
        send(&mut p, 2, df17(ICAO, 5, status), T0 + 1_000, 128);
        // Positions at most 60 s apart keep the type adsb_icao: in readsb
        // a lapse to mode_s would reset the version.
        send(&mut p, 3, position(1.006), T0 + 60_000, 128);
        p.expire(T0 + 62_000);
        let a = aircraft(&p, T0 + 62_000, "4840d6");
        assert_eq!(
            (&a["flight"], &a["version"]),
            (&"KLM1302 ".into(), &2.into()),
            "{a}"
        );
        assert!(a.get("nac_p").is_none(), "nac_p lasts 60 s: {a}");
        send(&mut p, 4, position(1.012), T0 + 120_000, 128);
        send(&mut p, 5, position(1.017), T0 + 170_000, 128);
        p.expire(T0 + 181_000);
        let a = aircraft(&p, T0 + 181_000, "4840d6");
        assert_eq!(a["flight"], "KLM1302 ", "180 s old: {a}");
        p.expire(T0 + 181_001);
        let a = aircraft(&p, T0 + 181_001, "4840d6");
        assert!(a.get("flight").is_none(), "180.001 s old: {a}");
        assert_eq!(a["version"], 2, "{a}");
    }
}
