//! A small database for tests of the read side: written through the real
//! [`Writer`](super::Writer), so queries are tested against rows as the
//! writer lays them out.

use std::path::Path;
use std::sync::Arc;

use super::{
    AircraftRow, CoverageRow, FlightRow, MessageRow, PositionRow, PositionSource,
    ReceiverMinuteRow, ReceptionRow, Retention, StatusRow, WriteBatch, Writer,
};

/// The first aircraft. The fixture: two aircraft on `rx-a` (KLM1302 at
/// 0x4840d6 with two positions, the later one with every optional field
/// missing, and an identity; DLH4AB at 0x3c6444 with one position), a
/// second receiver `rx-b` with no status, one message heard once.
pub const KLM: i64 = 0x4840d6;
/// The second aircraft.
pub const DLH: i64 = 0x3c6444;

/// The fixture's times: every row is at `base` or `base + 5000`, `base`
/// being a whole minute two minutes before the wall clock.
#[derive(Debug, Clone, Copy)]
pub struct Fixture {
    /// The first position's time, Unix ms (a whole minute).
    pub base: i64,
}

impl Fixture {
    /// The minute the fixture's receiver counts are at.
    pub fn minute(&self) -> i64 {
        self.base / 60_000
    }
}

fn position(icao: i64, time_ms: i64, lat: f64, lon: f64, full: bool) -> PositionRow {
    PositionRow {
        icao,
        time_ms,
        lat,
        lon,
        alt_baro: full.then_some(35_000),
        alt_geom: full.then_some(35_500),
        gs: full.then_some(450.5),
        track: full.then_some(90.25),
        baro_rate: full.then_some(-64),
        source: PositionSource::Adsb,
        receivers: 1,
    }
}

fn batches(base: i64) -> [WriteBatch; 2] {
    let a = WriteBatch {
        receiver: "rx-a".into(),
        seq: 1,
        time_ms: base,
        frames: 10,
        messages: vec![MessageRow {
            id: 1,
            time_ms: base,
            icao: Some(KLM),
            df: 17,
            raw: vec![0x8d, 0x48, 0x40, 0xd6],
        }],
        receptions: vec![ReceptionRow {
            message_id: 1,
            rx_ms: base,
            timestamp: 12_000_000,
            signal: 200,
        }],
        positions: vec![
            position(KLM, base, 52.25, 4.5, true),
            position(DLH, base, 50.0, 8.5, true),
            position(KLM, base + 5_000, 52.5, 4.75, false),
        ],
        aircraft: vec![AircraftRow {
            icao: KLM,
            time_ms: base,
            callsign: Some("KLM1302".into()),
            squawk: Some("1000".into()),
            category: Some("A3".into()),
            messages: 1,
        }],
        flights: vec![
            FlightRow {
                icao: KLM,
                callsign: "KLM1302".into(),
                time_ms: base,
            },
            FlightRow {
                icao: DLH,
                callsign: "DLH4AB".into(),
                time_ms: base + 5_000,
            },
        ],
        minutes: vec![ReceiverMinuteRow {
            minute: base / 60_000,
            frames: 120,
            accepted: 100,
            rejected: 20,
            positions: 5,
            aircraft: 2,
            max_range_m: Some(20_000.6),
            signal: [1, 2, 3, 4, 5, 6],
        }],
        coverage: vec![
            CoverageRow {
                sector: 3,
                range_m: 10_000.4,
                time_ms: base,
            },
            CoverageRow {
                sector: 35,
                range_m: 20_000.6,
                time_ms: base,
            },
        ],
        ..WriteBatch::default()
    };
    let b = WriteBatch {
        receiver: "rx-b".into(),
        seq: 1,
        time_ms: base + 5_000,
        frames: 1,
        ..WriteBatch::default()
    };
    [a, b]
}

/// Creates the database at `path` and fills it.
pub async fn fill(path: &Path) -> Fixture {
    let base = (cloudradar_shared::time::now_ms() as i64 / 60_000 - 2) * 60_000;
    let year = 365 * 86_400_000;
    let retention = Retention {
        positions_ms: year,
        messages_ms: year,
        batches_ms: year,
        archived_only: false,
    };
    let (writer, handle) =
        Writer::start(path.to_path_buf(), 1_800_000, retention, 0, None).expect("writer");
    handle
        .status(StatusRow {
            receiver: "rx-a".into(),
            online: true,
            lat: Some(52.0),
            lon: Some(4.5),
            alt_m: None,
            version: Some("1.2.3".into()),
            time_ms: base,
        })
        .await;
    for b in batches(base) {
        assert_eq!(handle.write(Arc::new(b)).await, Ok(true), "fixture batch");
    }
    drop(handle);
    writer.join();
    Fixture { base }
}

/// Commits `b` to the database at `path` (after [`fill`]) through the
/// real writer.
pub async fn write(path: &Path, b: WriteBatch) {
    let year = 365 * 86_400_000;
    let retention = Retention {
        positions_ms: year,
        messages_ms: year,
        batches_ms: year,
        archived_only: false,
    };
    let (writer, handle) =
        Writer::start(path.to_path_buf(), 1_800_000, retention, 0, None).expect("writer");
    assert_eq!(handle.write(Arc::new(b)).await, Ok(true), "batch stored");
    drop(handle);
    writer.join();
}
