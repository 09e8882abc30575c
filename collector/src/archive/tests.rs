//! The archive's parts against a database written by the real writer,
//! read back with the parquet crate's own reader.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rusqlite::Connection;

use super::ledger::{self, Part, Table};
use super::{flights, positions, receptions};
use crate::store::fixture::{self, KLM};

/// Every record batch of the Parquet file at `path`.
pub(super) fn read(path: &std::path::Path) -> Vec<arrow_array::RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn plan_all(conn: &mut Connection) -> Vec<Part> {
    ledger::plan(conn, ledger::Due::ALL, "archive", "eu1", &[]).unwrap()
}

/// The fixture's database with every part planned; the parts of `table`.
async fn planned(table: Table) -> (tempfile::TempDir, fixture::Fixture, Connection, Vec<Part>) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let fx = fixture::fill(&db).await;
    let mut conn = crate::store::open(&db).unwrap();
    let parts = plan_all(&mut conn)
        .into_iter()
        .filter(|p| p.table == table)
        .collect();
    (dir, fx, conn, parts)
}

#[tokio::test]
async fn a_part_holds_its_hours_rows_in_opensky_units() {
    let (dir, fx, conn, parts) = planned(Table::Positions).await;
    let total: i64 = parts
        .iter()
        .map(|p| {
            let path = dir.path().join(format!("{}.parquet", p.hour));
            let n = positions::write(&conn, p, &path).unwrap();
            let batches = read(&path);
            assert_eq!(batches.iter().map(|b| b.num_rows() as i64).sum::<i64>(), n);
            n
        })
        .sum();
    assert_eq!(total, 3, "the fixture's three positions, once each");
    // The KLM position with every field, at `base`.
    let hour = fx.base / 3_600_000;
    let part = parts.iter().find(|p| p.hour == hour).unwrap();
    let path = dir.path().join(format!("{hour}.parquet"));
    let batch = &read(&path)[0];
    let col = |name: &str| batch.column_by_name(name).unwrap().clone();
    let row = (0..batch.num_rows())
        .find(|&i| col("icao24").as_string::<i32>().value(i) == format!("{KLM:06x}"))
        .unwrap();
    let f64_at = |name: &str| col(name).as_primitive::<Float64Type>().value(row);
    assert_eq!(
        col("time_ms").as_primitive::<Int64Type>().value(row),
        fx.base
    );
    assert_eq!(
        col("time").as_primitive::<Int64Type>().value(row),
        fx.base / 1000
    );
    assert_eq!((f64_at("lat"), f64_at("lon")), (52.25, 4.5));
    assert!((f64_at("velocity") - 450.5 * 1852.0 / 3600.0).abs() < 1e-9);
    assert_eq!(f64_at("heading"), 90.25);
    assert!((f64_at("vertrate") - -64.0 * 0.3048 / 60.0).abs() < 1e-9);
    assert!((f64_at("baroaltitude") - 35_000.0 * 0.3048).abs() < 1e-9);
    assert!((f64_at("geoaltitude") - 35_500.0 * 0.3048).abs() < 1e-9);
    assert_eq!(col("receivers").as_primitive::<Int32Type>().value(row), 1);
    assert_eq!(col("callsign").as_string::<i32>().value(row), "KLM1302");
    assert_eq!(col("source").as_string::<i32>().value(row), "adsb");
    assert!(col("onground").is_null(row) && col("squawk").is_null(row));
    assert!(part.key.starts_with("archive/positions/date="));
}

#[tokio::test]
async fn a_reception_is_archived_with_its_message() {
    let (dir, fx, conn, parts) = planned(Table::Receptions).await;
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert!(parts[0].key.starts_with("archive/receptions/date="));
    let path = dir.path().join("r.parquet");
    assert_eq!(
        receptions::write(&conn, &parts[0], "eu1", &path).unwrap(),
        1
    );
    let batch = &read(&path)[0];
    let text = |name: &str| {
        let c = batch.column_by_name(name).unwrap();
        c.as_string::<i32>().value(0).to_string()
    };
    let int = |name: &str| {
        let c = batch.column_by_name(name).unwrap();
        c.as_primitive::<Int64Type>().value(0)
    };
    assert_eq!(
        (text("shard"), text("icao24"), text("receiver")),
        ("eu1".into(), format!("{KLM:06x}"), "rx-a".into())
    );
    let raw = batch.column_by_name("raw").unwrap();
    assert_eq!(raw.as_binary::<i32>().value(0), [0x8d, 0x48, 0x40, 0xd6]);
    assert_eq!(
        (int("message_id"), int("time_ms"), int("rx_ms")),
        (1, fx.base, fx.base)
    );
    assert_eq!(int("timestamp"), 12_000_000);
    let signal = batch.column_by_name("signal").unwrap();
    assert_eq!(signal.as_primitive::<Int32Type>().value(0), 200);
}

#[tokio::test]
async fn rows_after_a_part_become_the_next_part_and_nothing_is_planned_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    fixture::fill(&db).await;
    let mut conn = crate::store::open(&db).unwrap();
    let mut first = plan_all(&mut conn);
    assert!(!first.is_empty());
    first.sort_by_key(|p| (p.hour, p.table.name(), p.after));
    assert_eq!(
        ledger::pending(&conn).unwrap(),
        first,
        "recorded before upload (in hour and table order)"
    );
    assert!(plan_all(&mut conn).is_empty(), "no new rows, no new part");
    for p in &first {
        ledger::done(&conn, p, 1, 100).unwrap();
    }
    assert!(ledger::pending(&conn).unwrap().is_empty());
    // A late back-fill into an hour already archived.
    let hour = first[0].hour;
    conn.execute(
        "INSERT INTO positions (icao, time_ms, lat, lon, receivers) VALUES (1, ?1, 1.0, 2.0, 1)",
        [hour * 3_600_000 + 1],
    )
    .unwrap();
    let rowid = conn.last_insert_rowid();
    conn.execute(
        "UPDATE archive_hours SET max_rowid = ?2, rows = rows + 1 WHERE tbl = 'positions' AND hour = ?1",
        [hour, rowid],
    )
    .unwrap();
    let next = plan_all(&mut conn);
    let upto = first
        .iter()
        .find(|p| p.hour == hour && p.table == Table::Positions)
        .unwrap()
        .upto;
    assert_eq!(next.len(), 1);
    assert_eq!(
        (next[0].hour, next[0].after, next[0].upto),
        (hour, upto, rowid)
    );
    let path = dir.path().join("late.parquet");
    assert_eq!(positions::write(&conn, &next[0], &path).unwrap(), 1);
}

/// An hour's first part starts at that hour's first row, not at the
/// table's: at 100,000 frames/s a part starting at rowid 0 would read
/// every earlier hour SQLite still keeps (a day: 8.6 billion rows).
#[tokio::test]
async fn a_new_hours_first_part_starts_at_its_own_first_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let fx = fixture::fill(&db).await;
    let next = fx.base + 3_600_000;
    fixture::write(
        &db,
        crate::store::WriteBatch {
            receiver: "rx-a".into(),
            seq: 2,
            time_ms: next,
            frames: 1,
            messages: vec![crate::store::MessageRow {
                id: 2,
                time_ms: next,
                icao: Some(KLM),
                df: 17,
                raw: vec![0x8d, 0x48, 0x40, 0xd6],
            }],
            receptions: vec![crate::store::ReceptionRow {
                message_id: 2,
                rx_ms: next,
                timestamp: 24_000_000,
                signal: 100,
            }],
            ..Default::default()
        },
    )
    .await;
    let mut conn = crate::store::open(&db).unwrap();
    let hour = next.div_euclid(3_600_000);
    let part = plan_all(&mut conn)
        .into_iter()
        .find(|p| p.table == Table::Receptions && p.hour == hour)
        .expect("the new hour's part");
    let first: i64 = conn
        .query_row(
            "SELECT min(rowid) FROM receptions WHERE rx_ms >= ?1",
            [hour * 3_600_000],
            |r| r.get(0),
        )
        .unwrap();
    assert!(first > 1, "the fixture's hour came first");
    assert_eq!(part.after, first - 1);
    let path = dir.path().join("r.parquet");
    assert_eq!(receptions::write(&conn, &part, "eu1", &path).unwrap(), 1);
}

#[tokio::test]
async fn flights_are_archived_by_their_end_and_new_ones_become_the_next_part() {
    let (dir, fx, mut conn, parts) = planned(Table::Flights).await;
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert!(parts[0].key.starts_with("archive/flights/date="));
    let path = dir.path().join("f.parquet");
    assert_eq!(flights::write(&conn, &parts[0], "eu1", &path).unwrap(), 2);
    let batch = &read(&path)[0];
    let col = |name: &str| batch.column_by_name(name).unwrap().clone();
    assert_eq!(
        col("icao24").as_string::<i32>().value(0),
        format!("{KLM:06x}")
    );
    assert_eq!(col("callsign").as_string::<i32>().value(1), "DLH4AB");
    assert_eq!(col("shard").as_string::<i32>().value(1), "eu1");
    let int = |name: &str, row| col(name).as_primitive::<Int64Type>().value(row);
    assert_eq!(
        (int("firstseen_ms", 1), int("lastseen", 1)),
        (fx.base + 5_000, fx.base / 1000 + 5)
    );
    assert!(
        plan_all(&mut conn).is_empty(),
        "nothing new, nothing planned"
    );
    // A new flight ending in the same hour.
    conn.execute(
        "INSERT INTO flights (icao, callsign, first_seen_ms, last_seen_ms) VALUES (7, 'X', ?1, ?1)",
        [fx.base + 6_000],
    )
    .unwrap();
    let next = plan_all(&mut conn);
    assert_eq!(next.len(), 1);
    assert_eq!(
        (next[0].table, next[0].after, next[0].upto),
        (Table::Flights, 2, 3)
    );
}

/// A multilaterated position is archived with source `mlat` and the
/// receivers of its solve, next to the fixture's ADS-B ones.
#[tokio::test]
async fn a_multilaterated_position_is_archived_as_mlat() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let fx = fixture::fill(&db).await;
    let mut processor = crate::process::Processor::new(0, 1_000, Default::default());
    let fix = crate::mlat::MlatFix {
        icao: 0x4CA7E1,
        time_ms: fx.base as u64 + 1_000,
        lat: 52.3,
        lon: 4.5,
        alt_baro_ft: Some(24_000),
        error_m: 30.0,
        gs_kt: None,
        track_deg: None,
        receivers: 4,
    };
    let rows = processor.apply_mlat(&[fix], fx.base as u64 + 2_000);
    fixture::write(&db, rows).await;
    let mut conn = crate::store::open(&db).unwrap();
    let hour = fx.base / 3_600_000;
    let parts = plan_all(&mut conn);
    let part = parts
        .iter()
        .find(|p| p.table == Table::Positions && p.hour == hour)
        .unwrap();
    let path = dir.path().join("mlat.parquet");
    positions::write(&conn, part, &path).unwrap();
    let batch = &read(&path)[0];
    let col = |name: &str| batch.column_by_name(name).unwrap().clone();
    let by_source: Vec<(String, String, i32)> = (0..batch.num_rows())
        .map(|i| {
            (
                col("icao24").as_string::<i32>().value(i).to_string(),
                col("source").as_string::<i32>().value(i).to_string(),
                col("receivers").as_primitive::<Int32Type>().value(i),
            )
        })
        .filter(|(icao, _, _)| icao == "4ca7e1" || icao == &format!("{KLM:06x}"))
        .collect();
    assert_eq!(
        by_source,
        [
            (format!("{KLM:06x}"), "adsb".to_string(), 1),
            ("4ca7e1".to_string(), "mlat".to_string(), 4),
            (format!("{KLM:06x}"), "adsb".to_string(), 1),
        ],
        "in time order: KLM at base, the fix a second later, KLM at base + 5 s"
    );
}

/// The hour's flights read once give each position the callsign the
/// per-row query gives, overlapping flights of one address included.
#[test]
fn the_hours_callsigns_answer_as_the_query_does() {
    let dir = tempfile::tempdir().unwrap();
    let conn = crate::store::open(&dir.path().join("db.sqlite")).unwrap();
    for (icao, callsign, first, last) in [
        (1, "LONG1", 0, 100),
        (1, "SHORT2", 50, 80),
        (1, "LATER3", 200, 300),
        (2, "OTHER4", 90, 250),
        (1, "BEFORE5", -500, -10),
    ] {
        conn.execute(
            "INSERT INTO flights (icao, callsign, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![icao, callsign, first, last],
        )
        .unwrap();
    }
    let hour = positions::Callsigns::between(&conn, 0, 400).unwrap();
    for icao in [1, 2, 3] {
        for t in [0, 10, 50, 60, 80, 81, 100, 150, 200, 250, 300, 399] {
            let want = positions::callsign_at(&conn, icao, t).unwrap();
            assert_eq!(hour.at(icao, t), want.as_deref(), "{icao} at {t}");
        }
    }
    assert_eq!(hour.at(1, 60), Some("SHORT2"), "the one that ended first");
}

/// Regression: `archive` run beside the collector wrote the collector's
/// pending parts too, to the same work file: one truncated the file the
/// other was uploading, and an empty object was archived.
#[test]
fn two_writes_of_one_part_never_share_a_file() {
    let part = Part {
        table: Table::Receptions,
        hour: 1,
        after: 0,
        upto: 9,
        key: String::new(),
        spooled: None,
    };
    let dir = std::path::Path::new("work");
    assert_ne!(super::work_file(dir, &part), super::work_file(dir, &part));
}
