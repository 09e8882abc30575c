//! The recovery-time objective, measured: a database of a stated size
//! (about 150 MB: a million positions, 200,000 messages with receptions)
//! is backed up to the local S3 server and restored into a fresh data
//! directory; every row comes back. The measured times are printed and
//! written to `target/recovery-measurement.txt` (docs/recovery.md quotes
//! them); the only time assertion is the stated RTO itself.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// The stated recovery-time objective for the restore step (docs/recovery.md).
const RTO_RESTORE: Duration = Duration::from_secs(15 * 60);

fn fill(db: &Path) {
    let conn = cloudradar_collector::store::open(db).expect("sqlite");
    conn.execute_batch(
        "BEGIN;
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000)
         INSERT INTO positions (icao, time_ms, lat, lon, alt_baro, gs, track, receivers)
           SELECT x % 5000, 1795600000000 + x * 100, 50 + (random() % 1000) / 1000.0,
                  5 + (random() % 1000) / 1000.0, x % 40000, 450.5, x % 360, 1 FROM c;
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
         INSERT INTO messages (id, time_ms, icao, df, raw, receivers)
           SELECT x, 1795600000000 + x * 10, x % 5000, 17, randomblob(14), 1 FROM c;
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
         INSERT INTO receptions (message_id, receiver, rx_ms, timestamp, signal, seq)
           SELECT x, 'rx-' || (x % 20), 1795600000000 + x * 10, x * 1200, x % 255, x / 250 FROM c;
         COMMIT;",
    )
    .expect("sqlite");
}

fn counts(db: &Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(db).expect("sqlite");
    ["positions", "messages", "receptions"]
        .iter()
        .map(|t| {
            conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .expect("sqlite")
        })
        .collect()
}

#[test]
#[ignore = "fault tier (scripts/test.sh runs it): cargo test -p cloudradar-collector --test recovery -- --ignored"]
fn a_150_megabyte_database_restores_within_the_stated_rto() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3::start(&dir.path().join("s3"), "backups");
    let env = [
        ("CLOUDRADAR_BACKUP_BUCKET", "backups".to_string()),
        ("CLOUDRADAR_BACKUP_ENDPOINT", s3.url()),
        ("CLOUDRADAR_BACKUP_PATH_STYLE", "true".to_string()),
        ("AWS_ACCESS_KEY_ID", S3_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", S3_SECRET.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ];
    let run = |data: &Path, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"))
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let source = dir.path().join("source");
    std::fs::create_dir_all(&source).unwrap();
    let db = source.join("cloudradar.sqlite");
    fill(&db);
    let size = std::fs::metadata(&db).unwrap().len();
    let expected = counts(&db);

    let started = Instant::now();
    run(&source, &["backup"]);
    let backup = started.elapsed();

    let target = dir.path().join("fresh");
    let started = Instant::now();
    run(&target, &["restore", "--latest"]);
    let restore = started.elapsed();

    assert_eq!(counts(&target.join("cloudradar.sqlite")), expected);
    let line = format!(
        "database {:.0} MB ({} positions, {} messages, {} receptions): backup {:.1} s, restore {:.1} s (debug build, local S3 server)",
        size as f64 / 1e6,
        expected[0],
        expected[1],
        expected[2],
        backup.as_secs_f64(),
        restore.as_secs_f64()
    );
    eprintln!("{line}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/recovery-measurement.txt");
    let _ = std::fs::write(out, format!("{line}\n"));
    assert!(restore < RTO_RESTORE, "{line}");
}
