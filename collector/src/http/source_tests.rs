//! A position's source through every history format: a multilaterated fix
//! and a TIS-B position go through the processor and the real writer,
//! and come back from the positions API (JSON, CSV, GeoJSON) and the
//! export (CSV, Parquet) with `mlat` and `tisb`.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use cloudradar_shared::cpr::Position;
use cloudradar_shared::encode::{df18, me};
use cloudradar_shared::wire::{Batch, WireFrame};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use tower::ServiceExt as _;

use super::{AppState, Auth, router};
use crate::health::Health;
use crate::mlat::MlatFix;
use crate::pipeline::Shared;
use crate::process::Processor;
use crate::store::{Reader, fixture};

const MLAT: u32 = 0x4CA7E1;
const TISB: u32 = 0xA1B2C3;

/// The fixture's database plus one TIS-B position and one fix after it.
async fn app(dir: &std::path::Path) -> axum::Router {
    let path = dir.join("db.sqlite");
    let f = fixture::fill(&path).await;
    let t = f.base as u64 + 10_000;
    let mut p = Processor::new(100, 1_000, Arc::default());
    let at = Position {
        lat: 52.4,
        lon: 4.9,
    };
    let frame = |odd| df18(TISB, 2, me::airborne_position(11, at, 35_000, odd));
    let frames = [(t, frame(false)), (t + 500, frame(true))].map(|(rx_ms, frame)| WireFrame {
        rx_ms,
        timestamp: 1,
        signal: 100,
        frame,
    });
    let batch = Batch {
        receiver_id: "rx-a".into(),
        seq: 99,
        created_ms: t,
        frames: frames.to_vec(),
    };
    fixture::write(&path, p.process(&batch, t + 500)).await;
    let fix = MlatFix {
        icao: MLAT,
        time_ms: t + 1_000,
        lat: 51.5,
        lon: -0.125,
        alt_baro_ft: Some(12_000),
        error_m: 40.0,
        gs_kt: Some(250.0),
        track_deg: Some(180.0),
        receivers: 5,
    };
    fixture::write(&path, p.apply_mlat(&[fix], t + 1_500)).await;
    let state = AppState {
        shared: Shared {
            snapshot: Arc::new(std::sync::RwLock::new(Default::default())),
            health: Health::default(),
        },
        reader: Reader::new(path, 2),
        metrics: None,
        auth: Arc::new(Auth::default()),
        backups: None,
        gzip: Default::default(),
    };
    router(state)
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, axum::body::Bytes) {
    let req = Request::get(path).body(Body::empty()).expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await;
    (status, body.expect("body"))
}

async fn json(app: &axum::Router, path: &str) -> Value {
    let (status, body) = get(app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    serde_json::from_slice(&body).expect("json")
}

async fn text(app: &axum::Router, path: &str) -> String {
    let (status, body) = get(app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    String::from_utf8(body.to_vec()).expect("utf-8")
}

#[tokio::test]
async fn positions_come_back_with_their_source_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = app(dir.path()).await;
    let list = json(&app, "/api/v1/positions").await;
    let sources: Vec<(String, String)> = list["positions"]
        .as_array()
        .expect("positions")
        .iter()
        .map(|p| {
            (
                p["hex"].as_str().unwrap_or("").into(),
                p["source"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    let want = |hex: &str, s: &str| (hex.to_string(), s.to_string());
    assert_eq!(
        sources,
        [
            want("4840d6", "adsb"),
            want("3c6444", "adsb"),
            want("4840d6", "adsb"),
            want("a1b2c3", "tisb"),
            want("4ca7e1", "mlat"),
        ]
    );
    let one = json(&app, "/api/v1/positions?icao=4ca7e1").await;
    let p = &one["positions"][0];
    assert_eq!(
        (p["lat"].as_f64(), p["lon"].as_f64()),
        (Some(51.5), Some(-0.125))
    );
    assert_eq!(
        (p["alt_baro"].as_i64(), p["gs"].as_f64()),
        (Some(12_000), Some(250.0))
    );
    let geo = json(&app, "/api/v1/positions?format=geojson&icao=4ca7e1").await;
    assert_eq!(geo["features"][0]["properties"]["source"], "mlat", "{geo}");
    let csv = text(&app, "/api/v1/positions?format=csv&icao=4ca7e1").await;
    assert!(
        csv.lines().nth(1).is_some_and(|l| l.ends_with(",mlat")),
        "{csv}"
    );
    let export = text(&app, "/api/v1/export/positions?icao=a1b2c3").await;
    assert!(
        export.lines().nth(1).is_some_and(|l| l.ends_with(",tisb")),
        "{export}"
    );
}

#[tokio::test]
async fn the_parquet_export_carries_the_source() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = app(dir.path()).await;
    let (status, body) = get(&app, "/api/v1/export/positions?format=parquet").await;
    assert_eq!(status, StatusCode::OK);
    let reader = ParquetRecordBatchReaderBuilder::try_new(body)
        .expect("parquet")
        .build()
        .expect("reader");
    let mut rows = Vec::new();
    for b in reader {
        let b = b.expect("batch");
        let col = |name: &str| {
            b.column_by_name(name)
                .expect(name)
                .as_string::<i32>()
                .clone()
        };
        let (icao, source) = (col("icao24"), col("source"));
        for i in 0..b.num_rows() {
            rows.push(format!("{}:{}", icao.value(i), source.value(i)));
        }
    }
    assert_eq!(
        rows,
        [
            "4840d6:adsb",
            "3c6444:adsb",
            "4840d6:adsb",
            "a1b2c3:tisb",
            "4ca7e1:mlat"
        ]
    );
}
