//! Backup and restore against a real S3-compatible server (s3s-fs): a
//! backup taken during live ingest, restore into an empty data directory
//! with the same rows, restore on start, and every failure (wrong
//! credentials, missing bucket, tampered object) reported clearly without
//! touching the local database.

mod support;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::*;

const BUCKET: &str = "backups";
const TOKEN: &str = "backup-test-token-0123456789";

/// Runs `cloudradar-collector <args>` for `data_dir` with `env`.
fn cli(data_dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run cloudradar-collector")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Row count and a hash of every row, per table, in rowid order.
fn digest(db: &Path) -> Vec<(String, i64, u64)> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("tables");
    tables
        .into_iter()
        .map(|t| {
            let mut st = conn.prepare(&format!("SELECT * FROM {t}")).expect("select");
            let cols = st.column_count();
            let mut h = DefaultHasher::new();
            let mut n = 0;
            let mut rows = st.query([]).expect("query");
            while let Some(row) = rows.next().expect("row") {
                n += 1;
                for i in 0..cols {
                    format!("{:?}", row.get_ref(i).expect("col")).hash(&mut h);
                }
            }
            (t, n, h.finish())
        })
        .collect()
}

#[test]
fn backup_during_ingest_restores_into_an_empty_directory_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3::start(&dir.path().join("s3"), BUCKET);
    let env = s3_env(&s3, BUCKET, S3_SECRET);
    let data = dir.path().join("a");
    let mut c = start_collector_env(
        &data,
        0,
        0,
        &[
            "--allow-anonymous",
            "true",
            "--http-auth-tokens",
            TOKEN,
            "--http-public-read",
            "true",
        ],
        &env,
    );
    let (mqtt, http) = (c.mqtt, c.http);
    // Ingest and a backup (a second process on the same files) at once.
    let frames = recording(20_000);
    let msgs = encoded(&batches("rx-a", &frames, 250, 1));
    let publisher = std::thread::spawn(move || publish(mqtt, "rx-a", Some(("rx-a", "any")), &msgs));
    // The backup starts once ingest is under way.
    wait_for!(Duration::from_secs(30), || receptions(http) > 0);
    let during = cli(&data, &env, &["backup"]);
    assert!(during.status.success(), "{}", text(&during));
    let report: serde_json::Value = serde_json::from_slice(&during.stdout).expect("report");
    assert!(
        report["location"]
            .as_str()
            .unwrap_or("")
            .starts_with("s3://backups/cloudradar/")
    );
    publisher.join().unwrap().expect("publish");
    wait_for!(Duration::from_secs(60), || receptions(http) == 20_000);

    // The administrative endpoint needs the token.
    let (code, body) = request(http, "POST", "/api/v1/admin/backup", &[]).unwrap();
    assert_eq!(code, 401, "{body}");
    let auth = format!("Bearer {TOKEN}");
    let (code, body) = request(
        http,
        "POST",
        "/api/v1/admin/backup",
        &[("Authorization", &auth)],
    )
    .unwrap();
    assert_eq!(code, 200, "{body}");
    let (_, metrics) = get(http, "/metrics").unwrap();
    assert!(
        metrics.contains("cloudradar_collector_backup_last_success_timestamp_seconds"),
        "{metrics}"
    );
    c.proc.terminate().expect("collector stops");
    let original = digest(&data.join("cloudradar.sqlite"));

    // Restore into an empty directory: every table, every row.
    let restored = dir.path().join("b");
    let started = Instant::now();
    let out = cli(&restored, &env, &["restore", "--latest"]);
    assert!(out.status.success(), "{}", text(&out));
    let size = std::fs::metadata(restored.join("cloudradar.sqlite"))
        .unwrap()
        .len();
    eprintln!(
        "restore of a {:.1} MB database took {:.2} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(digest(&restored.join("cloudradar.sqlite")), original);
    assert!(
        original
            .iter()
            .any(|(t, n, _)| t == "receptions" && *n == 20_000)
    );
    // An existing database is replaced only with --force.
    let again = cli(&restored, &env, &["restore", "--latest"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("--force"), "{}", text(&again));
    // Retention keeps the newest backup of the day; the one taken during
    // ingest is gone.
    let list = cli(&restored, &env, &["backups"]);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert_eq!(listed.lines().count(), 1, "{}", text(&list));
    let first = report["location"]
        .as_str()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("-")
        .to_string();
    assert!(!listed.contains(&first), "{listed}");

    // A collector started on an empty directory restores the latest backup.
    let fresh = dir.path().join("c");
    let c2 = start_collector_env(&fresh, 0, 0, &["--allow-anonymous", "true"], &env);
    assert_eq!(receptions(c2.http), 20_000);
}

#[test]
fn bad_credentials_missing_bucket_and_tampering_fail_clearly_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = S3::start(&dir.path().join("s3"), BUCKET);
    let data = dir.path().join("a");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("cloudradar.sqlite");
    {
        let conn = cloudradar_collector::store::open(&db).unwrap();
        for i in 0..500 {
            conn.execute(
                "INSERT INTO positions (icao, time_ms, lat, lon, receivers) VALUES (?1, ?1, 1, 2, 1)",
                [i],
            )
            .unwrap();
        }
    }
    let before = digest(&db);

    let wrong = cli(&data, &s3_env(&s3, BUCKET, "not-the-secret"), &["backup"]);
    assert!(!wrong.status.success());
    let msg = text(&wrong);
    assert!(
        msg.contains("SignatureDoesNotMatch")
            || msg.contains("InvalidAccessKeyId")
            || msg.contains("AccessDenied"),
        "{msg}"
    );
    let missing = cli(
        &data,
        &s3_env(&s3, "no-such-bucket", S3_SECRET),
        &["backup"],
    );
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("NoSuchBucket"),
        "{}",
        text(&missing)
    );
    assert_eq!(
        digest(&db),
        before,
        "failed backups leave the database alone"
    );

    // A good backup, then its object corrupted in the store.
    let env = s3_env(&s3, BUCKET, S3_SECRET);
    let ok = cli(&data, &env, &["backup"]);
    assert!(ok.status.success(), "{}", text(&ok));
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    let key = report["location"]
        .as_str()
        .and_then(|l| l.strip_prefix("s3://backups/"))
        .unwrap()
        .to_string();
    let object = s3.root.join(BUCKET).join(&key);
    let mut bytes = std::fs::read(&object).expect("object on disk");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&object, &bytes).unwrap();
    let target = dir.path().join("b");
    let bad = cli(&target, &env, &["restore", "--latest"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("checksum mismatch"), "{}", text(&bad));
    assert!(
        !target.join("cloudradar.sqlite").exists(),
        "nothing installed"
    );
    // A date before any backup finds none.
    let none = cli(&target, &env, &["restore", "--at", "2000-01-01"]);
    assert!(text(&none).contains("no backup found"), "{}", text(&none));
    // A malformed date names the flag.
    let bad_date = cli(&target, &env, &["restore", "--at", "last tuesday"]);
    assert!(text(&bad_date).contains("--at"), "{}", text(&bad_date));
    // A collector whose start-up restore fails does not start empty.
    let refused = Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"))
        .arg("--data-dir")
        .arg(&target)
        .args(["--http-listen", "127.0.0.1:0"])
        .args(["--mqtt-listen", "127.0.0.1:0"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("restore_on_start"),
        "{}",
        text(&refused)
    );
    assert!(!target.join("cloudradar.sqlite").exists());
}
