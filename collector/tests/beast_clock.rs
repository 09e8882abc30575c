//! A Beast back-fill is timed by the receiver's 12 MHz clock: the same
//! recording back-filled as Beast binary and as CSV (which carries its
//! own absolute times) stores the same positions at the same times, so
//! the speeds they imply are those of the real sky. Real agent, real
//! collector with its embedded broker, SQLite read at the end.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use cloudradar_shared::format::{beast, csv};
use support::DATA;
use support::stored::{Fix, backfill};

/// Writes long_flight.csv as a Beast binary file at `path`, its mtime the
/// time of the last frame (as a receiver recording it would leave it).
fn write_beast(path: &Path) {
    let text = std::fs::read_to_string(format!("{DATA}/long_flight.csv")).expect("recording");
    let mut out = Vec::new();
    let mut last = 0.0;
    for line in text.lines() {
        let (t, rx) = csv::parse_line(line).expect("a recording line");
        beast::write(&rx, &mut out);
        last = t;
    }
    std::fs::write(path, &out).expect("beast file");
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open");
    file.set_modified(UNIX_EPOCH + Duration::from_secs_f64(last))
        .expect("set mtime");
}

/// The fastest ground speed (knots) between two consecutive positions of
/// one aircraft at least a second apart (closer ones amplify CPR noise).
fn max_implied_knots(all: &HashMap<i64, Vec<Fix>>) -> f64 {
    let mut max = 0.0f64;
    for fixes in all.values() {
        let mut prev: Option<Fix> = None;
        for &f in fixes {
            match prev {
                Some(p) if f.0 - p.0 >= 1_000 => {
                    let nm = haversine_nm(p.1, p.2, f.1, f.2);
                    max = max.max(nm / ((f.0 - p.0) as f64 / 3_600_000.0));
                    prev = Some(f);
                }
                Some(_) => {}
                None => prev = Some(f),
            }
        }
    }
    max
}

fn haversine_nm(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 3440.065 * a.sqrt().asin()
}

fn count(all: &HashMap<i64, Vec<Fix>>) -> usize {
    all.values().map(Vec::len).sum()
}

/// Positions of `beast` with no position of `csv` at the same place within
/// 1 ms (the Beast times are whole ms of a base in µs, the CSV's of its own
/// fraction of a second, so one can round the other way).
fn unmatched(beast: &HashMap<i64, Vec<Fix>>, csv: &HashMap<i64, Vec<Fix>>) -> Vec<(i64, Fix)> {
    let mut out = Vec::new();
    for (icao, fixes) in beast {
        let theirs = csv.get(icao).map(Vec::as_slice).unwrap_or(&[]);
        for &f in fixes {
            let near = theirs.partition_point(|g| g.0 < f.0 - 1);
            let found = theirs[near..]
                .iter()
                .take_while(|g| g.0 <= f.0 + 1)
                .any(|g| (g.1 - f.1).abs() < 1e-9 && (g.2 - f.2).abs() < 1e-9);
            if !found {
                out.push((*icao, f));
            }
        }
    }
    out
}

#[test]
fn a_beast_backfill_stores_the_positions_of_its_csv_recording() {
    let dir = tempfile::tempdir().expect("tmp");
    let beast_file: PathBuf = dir.path().join("long_flight.beast");
    write_beast(&beast_file);
    let csv_rows = backfill(
        &dir.path().join("csv"),
        &format!("file:{DATA}/long_flight.csv:csv"),
        &[],
    );
    let beast_rows = backfill(
        &dir.path().join("beast"),
        &format!("file:{}:beast", beast_file.display()),
        &[],
    );
    let (n_csv, n_beast) = (count(&csv_rows), count(&beast_rows));
    let (v_csv, v_beast) = (max_implied_knots(&csv_rows), max_implied_knots(&beast_rows));
    eprintln!(
        "positions: csv {n_csv}, beast {n_beast}; max implied speed: csv {v_csv:.0} kt, beast {v_beast:.0} kt"
    );
    assert!(n_csv > 1_000, "the CSV back-fill stores positions: {n_csv}");
    assert!(
        (n_beast as f64 - n_csv as f64).abs() <= n_csv as f64 * 0.01,
        "counts within 1 %: beast {n_beast}, csv {n_csv}"
    );
    let missing = unmatched(&beast_rows, &csv_rows);
    let extra = unmatched(&csv_rows, &beast_rows);
    eprintln!(
        "beast positions not in csv: {}, csv not in beast: {}",
        missing.len(),
        extra.len()
    );
    eprintln!(
        "beast only (first 10): {:?}\ncsv only (first 10): {:?}",
        &missing[..missing.len().min(10)],
        &extra[..extra.len().min(10)]
    );
    assert!(
        missing.len() <= n_csv / 100 && extra.len() <= n_csv / 100,
        "same positions at the same times: {} of beast unmatched (first {:?}), {} of csv",
        missing.len(),
        missing.first(),
        extra.len()
    );
    assert!(
        (v_beast - v_csv).abs() <= 1.0,
        "same implied speeds: beast {v_beast:.0} kt, csv {v_csv:.0} kt"
    );
}
