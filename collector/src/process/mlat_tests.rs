//! Multilaterated fixes through the processor: the rows they produce, the
//! rule that keeps a current ADS-B position, and aircraft.json as readsb
//! writes it for MLAT and TIS-B aircraft (`json_out.c`: `type`, the
//! `mlat`/`tisb` lists by `append_flags`, nic/rc 0 for a position without
//! a type code). Expected values come from those rules, not our output.

use std::sync::Arc;

use cloudradar_shared::encode::{df11, df17, df18, me};
use cloudradar_shared::frame::Frame;
use cloudradar_shared::wire::{Batch, WireFrame};
use serde_json::{Value, json};

use super::*;
use crate::process::{Processor, ReceiverPositions};
use crate::store::PositionSource;

const ICAO: u32 = 0x4CA7E1;
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

fn send(p: &mut Processor, seq: u64, frame: Frame, at_ms: u64) -> WriteBatch {
    let batch = Batch {
        receiver_id: "rx-a".into(),
        seq,
        created_ms: at_ms,
        frames: vec![WireFrame {
            rx_ms: at_ms,
            timestamp: 1,
            signal: 100,
            frame,
        }],
    };
    p.process(&batch, at_ms)
}

pub(crate) fn fix(at_ms: u64, lat: f64, lon: f64) -> MlatFix {
    MlatFix {
        icao: ICAO,
        time_ms: at_ms,
        lat,
        lon,
        alt_baro_ft: Some(24_000),
        error_m: 35.0,
        gs_kt: Some(420.0),
        track_deg: Some(271.25),
        receivers: 4,
    }
}

fn aircraft_json(p: &Processor, now_ms: u64) -> Value {
    let snap = p.snapshot(now_ms);
    let json: Value = serde_json::from_slice(&snap.json).expect("json");
    json["aircraft"]
        .as_array()
        .and_then(|l| l.iter().find(|a| a["hex"] == "4ca7e1").cloned())
        .expect("listed")
}

#[test]
fn a_fix_becomes_an_mlat_position_and_an_aircraft_row() {
    let mut p = processor();
    send(&mut p, 1, df11(ICAO, 5, 0), T0);
    let out = p.apply_mlat(&[fix(T0 + 1_000, 52.3, 4.5)], T0 + 1_500);
    assert_eq!(
        (out.receiver.as_str(), out.seq),
        (MLAT_BATCH_RECEIVER, (T0 + 1_500) as i64)
    );
    assert!(out.derived && out.messages.is_empty() && out.receptions.is_empty());
    let pos = out.positions.first().expect("a position");
    assert_eq!(out.positions.len(), 1);
    assert_eq!(
        (pos.icao, pos.time_ms),
        (i64::from(ICAO), (T0 + 1_000) as i64)
    );
    assert_eq!(
        (pos.lat, pos.lon, pos.source),
        (52.3, 4.5, PositionSource::Mlat)
    );
    assert_eq!(
        (pos.alt_baro, pos.gs, pos.track),
        (Some(24_000), Some(420.0), Some(271.25))
    );
    assert_eq!(pos.receivers, 4);
    let rows: Vec<_> = out.aircraft.iter().map(|a| (a.icao, a.messages)).collect();
    assert_eq!(rows, [(i64::from(ICAO), 0)], "a fix is not a message");
    // The next batch's sequence still grows when the clock does not.
    assert_eq!(p.apply_mlat(&[], T0 + 1_500).seq, (T0 + 1_501) as i64);
}

#[test]
fn a_fix_does_not_move_an_aircraft_with_a_current_adsb_position() {
    let mut p = processor();
    let at = Position {
        lat: 52.4,
        lon: 4.9,
    };
    send(
        &mut p,
        1,
        df17(ICAO, 5, me::airborne_position(11, at, 35_000, false)),
        T0,
    );
    send(
        &mut p,
        2,
        df17(ICAO, 5, me::airborne_position(11, at, 35_000, true)),
        T0 + 500,
    );
    let before = aircraft_json(&p, T0 + 2_000);
    // A few hundred metres away: plausible, refused only for its source.
    let out = p.apply_mlat(&[fix(T0 + 2_000, 52.402, 4.902)], T0 + 2_000);
    assert!(out.positions.is_empty(), "{:?}", out.positions);
    let after = aircraft_json(&p, T0 + 2_000);
    assert_eq!(
        (&after["lat"], &after["lon"]),
        (&before["lat"], &before["lon"])
    );
    assert_eq!(after["type"], "adsb_icao");
    assert_eq!(after["mlat"], json!([]));
}

#[test]
fn aircraft_json_marks_an_mlat_aircraft_as_readsb_does() {
    let mut p = processor();
    send(&mut p, 1, df11(ICAO, 5, 0), T0);
    send(&mut p, 2, df11(ICAO, 5, 0), T0 + 100);
    p.apply_mlat(&[fix(T0 + 1_000, 52.3, 4.5)], T0 + 1_000);
    let a = aircraft_json(&p, T0 + 3_000);
    assert_eq!(a["type"], "mlat", "{a}");
    assert_eq!(
        a["mlat"],
        json!(["altitude", "gs", "track", "lat", "lon", "nic", "rc"]),
        "{a}"
    );
    assert_eq!(a["tisb"], json!([]));
    assert_eq!((&a["lat"], &a["lon"]), (&json!(52.3), &json!(4.5)));
    assert_eq!((&a["nic"], &a["rc"]), (&json!(0), &json!(0)));
    assert_eq!(a["seen_pos"], 2.0, "the fix's time dates the position");
    assert_eq!(a["alt_baro"], 24_000);
}

#[test]
fn aircraft_json_lists_tis_b_fields_and_the_position_is_stored_as_tisb() {
    let mut p = processor();
    let at = Position {
        lat: 52.4,
        lon: 4.9,
    };
    let tisb = |odd| df18(ICAO, 2, me::airborne_position(11, at, 35_000, odd));
    send(&mut p, 1, tisb(false), T0);
    let out = send(&mut p, 2, tisb(true), T0 + 500);
    let sources: Vec<_> = out.positions.iter().map(|r| r.source).collect();
    assert_eq!(sources, [PositionSource::Tisb]);
    let velocity = me::velocity(300.0, 90.0, 0, true, None);
    send(&mut p, 3, df18(ICAO, 2, velocity), T0 + 600);
    let a = aircraft_json(&p, T0 + 1_000);
    assert_eq!(a["type"], "tisb_icao");
    assert_eq!(
        a["tisb"],
        json!([
            "altitude",
            "gs",
            "track",
            "baro_rate",
            "lat",
            "lon",
            "nic",
            "rc",
            "nac_v"
        ]),
        "{a}"
    );
    assert_eq!(a["mlat"], json!([]));
}
