//! The history endpoints over a database the real writer filled: every
//! body is pinned byte for byte (field names, order, units, nulls), so a
//! change in how rows are read cannot change what clients get.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt as _;

use super::{AppState, Auth, router};
use crate::health::Health;
use crate::pipeline::Shared;
use crate::store::{Reader, fixture};

/// The router over a freshly filled database, and the fixture's times.
async fn app(dir: &std::path::Path) -> (axum::Router, fixture::Fixture) {
    app_with(dir, Default::default()).await
}

/// Like [`app`], with `snapshot` as the live view.
async fn app_with(
    dir: &std::path::Path,
    snapshot: crate::process::Snapshot,
) -> (axum::Router, fixture::Fixture) {
    let path = dir.join("db.sqlite");
    let f = fixture::fill(&path).await;
    let state = AppState {
        shared: Shared {
            snapshot: Arc::new(std::sync::RwLock::new(snapshot)),
            health: Health::default(),
        },
        reader: Reader::new(path, 2),
        metrics: None,
        auth: Arc::new(Auth::default()),
        backups: None,
        gzip: Default::default(),
    };
    (router(state), f)
}

/// GETs `path`: (status, body).
async fn get(app: &axum::Router, path: &str) -> (StatusCode, String) {
    let req = Request::get(path).body(Body::empty()).expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8(body.to_vec()).expect("utf-8"))
}

/// `template` with the fixture's times put in: `{b}` the first time,
/// `{p2}` five seconds later, `{t}` the fixture's minute in Unix seconds.
fn expected(f: fixture::Fixture, template: &str) -> String {
    template
        .replace("{p2}", &(f.base + 5_000).to_string())
        .replace("{b}", &f.base.to_string())
        .replace("{t}", &(f.minute() * 60).to_string())
}

/// Checks every (path, status, body template) against the app.
async fn check(app: &axum::Router, f: fixture::Fixture, cases: &[(&str, u16, &str)]) {
    for (path, status, template) in cases {
        let path = &expected(f, path);
        let (s, body) = get(app, path).await;
        assert_eq!(s.as_u16(), *status, "{path}: {body}");
        assert_eq!(body, expected(f, template), "{path}");
    }
}

#[tokio::test]
async fn stats_count_every_table() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, f) = app(dir.path()).await;
    check(&app, f, &[(
        "/api/v1/stats",
        200,
        r#"{"health":{"broker":false,"redis":null,"sqlite":false},"live_aircraft":0,"totals":{"aircraft":1,"batches":2,"flights":2,"messages":1,"positions":3,"receptions":1}}"#,
    )]).await;
}

const KLM_FLIGHT: &str =
    r#"{"callsign":"KLM1302","first_seen_ms":{b},"hex":"4840d6","id":1,"last_seen_ms":{b}}"#;
const DLH_FLIGHT: &str =
    r#"{"callsign":"DLH4AB","first_seen_ms":{p2},"hex":"3c6444","id":2,"last_seen_ms":{p2}}"#;

#[tokio::test]
async fn flights_filter_page_and_render_as_before() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, f) = app(dir.path()).await;
    let both = format!(r#"{{"flights":[{KLM_FLIGHT},{DLH_FLIGHT}],"next":null}}"#);
    let klm = format!(r#"{{"flights":[{KLM_FLIGHT}],"next":null}}"#);
    let first_page = format!(r#"{{"flights":[{KLM_FLIGHT}],"next":1}}"#);
    let second_page = format!(r#"{{"flights":[{DLH_FLIGHT}],"next":2}}"#);
    let dlh = format!(r#"{{"flights":[{DLH_FLIGHT}],"next":null}}"#);
    check(
        &app,
        f,
        &[
            ("/api/v1/flights", 200, &both),
            ("/api/v1/flights?callsign=klm1302", 200, &klm),
            ("/api/v1/flights?limit=1", 200, &first_page),
            ("/api/v1/flights?limit=1&after=1", 200, &second_page),
            ("/api/v1/flights?icao=3c6444", 200, &dlh),
            ("/api/v1/flights?from={p2}", 200, &dlh),
            (
                "/api/v1/flights?format=csv&limit=1",
                200,
                "id,hex,callsign,first_seen_ms,last_seen_ms\n1,4840d6,KLM1302,{b},{b}\n",
            ),
        ],
    )
    .await;
}

const POS_1: &str = r#"{"alt_baro":35000,"gs":450.5,"hex":"4840d6","id":1,"lat":52.25,"lon":4.5,"source":"adsb","time_ms":{b},"track":90.25}"#;
const POS_2: &str = r#"{"alt_baro":35000,"gs":450.5,"hex":"3c6444","id":2,"lat":50.0,"lon":8.5,"source":"adsb","time_ms":{b},"track":90.25}"#;
const POS_3: &str = r#"{"alt_baro":null,"gs":null,"hex":"4840d6","id":3,"lat":52.5,"lon":4.75,"source":"adsb","time_ms":{p2},"track":null}"#;
const CSV_HEAD: &str = "id,hex,time_ms,lat,lon,alt_baro,gs,track,source\n";
const CSV_3: &str = "3,4840d6,{p2},52.5,4.75,,,,adsb\n";

#[tokio::test]
async fn positions_filter_page_and_render_as_before() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, f) = app(dir.path()).await;
    let all = format!(r#"{{"next":null,"positions":[{POS_1},{POS_2},{POS_3}]}}"#);
    let klm = format!(r#"{{"next":null,"positions":[{POS_1},{POS_3}]}}"#);
    let after = format!(r#"{{"next":3,"positions":[{POS_2},{POS_3}]}}"#);
    let late = format!(r#"{{"next":null,"positions":[{POS_3}]}}"#);
    let geo = r#"{"features":[{"geometry":{"coordinates":[4.5,52.25],"type":"Point"},"properties":{"alt_baro":35000,"gs":450.5,"hex":"4840d6","id":1,"source":"adsb","time_ms":{b},"track":90.25},"type":"Feature"}],"next":1,"type":"FeatureCollection"}"#;
    let csv = format!(
        "{CSV_HEAD}1,4840d6,{{b}},52.25,4.5,35000,450.5,90.25,adsb\n2,3c6444,{{b}},50.0,8.5,35000,450.5,90.25,adsb\n{CSV_3}"
    );
    check(
        &app,
        f,
        &[
            ("/api/v1/positions", 200, &all),
            ("/api/v1/positions?icao=4840d6", 200, &klm),
            ("/api/v1/positions?bbox=51,4,53,5", 200, &klm),
            ("/api/v1/positions?limit=2&after=1", 200, &after),
            ("/api/v1/positions?from={p2}&to={p2}", 200, &late),
            ("/api/v1/positions?icao=4840d6&from={p2}", 200, &late),
            ("/api/v1/positions?format=geojson&limit=1", 200, geo),
            ("/api/v1/positions?format=csv", 200, &csv),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_export_streams_every_matching_position() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, f) = app(dir.path()).await;
    // Floats print as Rust's `Display` here (`50`), as JSON in the paged CSV.
    let all = format!(
        "{CSV_HEAD}1,4840d6,{{b}},52.25,4.5,35000,450.5,90.25,adsb\n2,3c6444,{{b}},50,8.5,35000,450.5,90.25,adsb\n{CSV_3}"
    );
    let late = format!("{CSV_HEAD}{CSV_3}");
    check(
        &app,
        f,
        &[
            ("/api/v1/export/positions", 200, &all),
            (
                "/api/v1/export/positions?icao=4840d6&bbox=52.4,4,53,5",
                200,
                &late,
            ),
            ("/api/v1/export/positions?from={p2}", 200, &late),
            ("/api/v1/export/positions?icao=abcdef", 200, CSV_HEAD),
        ],
    )
    .await;
}

#[tokio::test]
async fn the_export_gives_parquet_in_the_archive_columns() {
    use arrow_array::cast::AsArray;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path()).await;
    let parquet = |path: &str| {
        let app = app.clone();
        let path = path.to_string();
        async move {
            let req = Request::get(&path).body(Body::empty()).expect("request");
            let resp = app.oneshot(req).await.expect("response");
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
            assert_eq!(kind, "application/vnd.apache.parquet");
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(body)
                .unwrap()
                .build()
                .unwrap();
            let mut icaos = Vec::new();
            for b in reader {
                let b = b.unwrap();
                let col = b
                    .column_by_name("icao24")
                    .unwrap()
                    .as_string::<i32>()
                    .clone();
                icaos.extend(col.iter().map(|v| v.unwrap().to_string()));
            }
            icaos
        }
    };
    let all = parquet("/api/v1/export/positions?format=parquet").await;
    assert_eq!(all, ["4840d6", "3c6444", "4840d6"]);
    let one = parquet("/api/v1/export/positions?format=parquet&icao=3c6444").await;
    assert_eq!(one, ["3c6444"]);
    let none = parquet("/api/v1/export/positions?format=parquet&icao=abcdef").await;
    assert!(none.is_empty());
    let (status, body) = get(&app, "/api/v1/export/positions?format=xml").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn receivers_list_coverage_and_rates_render_as_before() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, f) = app(dir.path()).await;
    let list = r#"{"receivers":[{"batches":1,"first_seen_ms":{b},"frames":10,"id":"rx-a","last_seen_ms":{b},"lat":52.0,"lon":4.5,"messages_per_s":0.4,"online":true,"range_m":20000.6,"version":"1.2.3"},{"batches":1,"first_seen_ms":{p2},"frames":1,"id":"rx-b","last_seen_ms":{p2},"lat":null,"lon":null,"messages_per_s":0.0,"online":false,"range_m":null,"version":null}]}"#;
    let sectors = |s3: &str, s35: &str| {
        let mut v = vec!["null"; 36];
        (v[3], v[35]) = (s3, s35);
        v.join(",")
    };
    let cov_a = format!(
        r#"{{"max_range_m":[{}],"receiver":"rx-a","sector_degrees":10.0}}"#,
        sectors("10000.0", "20001.0")
    );
    let cov_b = format!(
        r#"{{"max_range_m":[{}],"receiver":"rx-b","sector_degrees":10.0}}"#,
        sectors("null", "null")
    );
    let rates = r#"{"points":[{"accepted_per_s":1.6666666666666667,"aircraft":2,"max_range_m":20001.0,"messages_per_s":2.0,"positions":5,"rejected":20,"signal_bands":[1,2,3,4,5,6],"span_s":60,"t":{t}}],"receiver":"rx-a","signal_band_edges_dbfs":[-30.0,-24.0,-18.0,-12.0,-6.0]}"#;
    let unknown = r#"{"code":"not_found","message":"receiver not known"}"#;
    check(&app, f, &[
        ("/api/v1/receivers", 200, list),
        ("/api/v1/receivers/rx-a/coverage", 200, &cov_a),
        ("/api/v1/receivers/rx-b/coverage", 200, &cov_b),
        ("/api/v1/receivers/rx-a/rates?minutes=10", 200, rates),
        ("/api/v1/receivers/rx-b/rates", 200, r#"{"points":[],"receiver":"rx-b","signal_band_edges_dbfs":[-30.0,-24.0,-18.0,-12.0,-6.0]}"#),
        ("/api/v1/receivers/nope/rates", 404, unknown),
        ("/api/v1/receivers/nope/coverage", 404, unknown),
    ]).await;
}

#[tokio::test]
async fn an_aircraft_answers_with_its_last_hour_of_track() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, f) = app(dir.path()).await;
    check(&app, f, &[
        ("/api/v1/aircraft/4840d6", 200, r#"{"hex":"4840d6","live":null,"track":[[{b},52.25,4.5,35000,450.5,90.25],[{p2},52.5,4.75,null,null,null]],"track_fields":["time_ms","lat","lon","alt_baro","gs","track"]}"#),
        ("/api/v1/aircraft/abcdef", 404, r#"{"code":"not_found","message":"aircraft abcdef not seen in the last hour"}"#),
    ]).await;
}

/// tar1090 centres on `receiver.json`'s `lat`/`lon` (script.js reads
/// `receiverJson.lat`); readsb prints them to six decimals.
#[tokio::test]
async fn receiver_json_carries_the_site() {
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app(dir.path()).await;
    let (_, body) = get(&app, "/data/receiver.json").await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert!(v.get("lat").is_none(), "no site, no lat: {body}");
    let snapshot = crate::process::Snapshot {
        site: Some(cloudradar_shared::cpr::Position {
            lat: 40.639_751_3,
            lon: -73.778_925_2,
        }),
        ..Default::default()
    };
    let dir = tempfile::tempdir().expect("tmp");
    let (app, _) = app_with(dir.path(), snapshot).await;
    let (_, body) = get(&app, "/data/receiver.json").await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (v["lat"].as_f64(), v["lon"].as_f64()),
        (Some(40.639751), Some(-73.778925)),
        "{body}"
    );
    assert_eq!(v["refresh"], 1000);
}
