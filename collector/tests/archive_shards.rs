//! Collectors as shards of one network: two collectors on one machine,
//! each with its own receivers and SQLite, archive into one dataset on one
//! S3 server. Their receivers overlap (one receiver of each hears the same
//! transmissions), and DuckDB over the whole dataset counts every
//! transmission once (`scripts/archive/transmissions.sql`).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;

const BUCKET: &str = "network";

/// A collector archiving as `shard`, its receivers in `creds`.
fn shard(dir: &Path, s3: &S3, name: &str, creds: &str) -> Collector {
    let creds_file = dir.join(format!("{name}.creds"));
    std::fs::write(&creds_file, creds).expect("creds");
    let args = [
        "--credentials-file",
        creds_file.to_str().expect("utf-8"),
        "--archive",
        "true",
        "--archive-shard",
        name,
        // The recording is from 2023.
        "--retention-positions-days",
        "36500",
        "--retention-messages-days",
        "36500",
    ];
    let env = s3_env(s3, BUCKET, S3_SECRET);
    start_collector_env(&dir.join(name), 0, 0, &args, &env)
}

/// Publishes `frames` as `receiver` to `c` and waits until they are stored.
fn feed(c: &Collector, receiver: &str, frames: &[(u64, cloudradar_shared::format::Received)]) {
    let b = batches(receiver, frames, 1_000, 1);
    let before = batches_committed(c.http);
    publish(c.mqtt, receiver, Some((receiver, "pw")), &encoded(&b)).expect("publish");
    let want = before + b.len() as f64;
    wait_for!(Duration::from_secs(60), || batches_committed(c.http)
        >= want);
}

/// `cloudradar-collector archive --all` for the shard in `dir/name`.
fn archive_all(dir: &Path, s3: &S3, name: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"))
        .arg("--data-dir")
        .arg(dir.join(name))
        .args([
            "--archive",
            "true",
            "--archive-shard",
            name,
            "archive",
            "--all",
        ])
        .envs(s3_env(s3, BUCKET, S3_SECRET))
        .env("RUST_LOG", "warn")
        .output()
        .expect("cloudradar-collector archive");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn messages(dir: &Path, name: &str) -> i64 {
    let db = rusqlite::Connection::open(dir.join(name).join("cloudradar.sqlite")).expect("db");
    db.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn two_shards_with_overlapping_receivers_count_each_transmission_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s3 = S3::start(&dir.path().join("s3"), BUCKET);
    let north = shard(dir.path(), &s3, "north", "rx-n:pw\n");
    let south = shard(dir.path(), &s3, "south", "rx-s:pw\nrx-s2:pw\n");
    let all = recording(usize::MAX);
    // Both shards hear the first 20,000 frames: rx-n in the north, rx-s
    // in the south 3 ms later. Only the south hears 20,000 more.
    let shared = &all[..20_000];
    let later: Vec<_> = shared.iter().map(|(t, r)| (t + 3, *r)).collect();
    feed(&north, "rx-n", shared);
    feed(&south, "rx-s", &later);
    feed(&south, "rx-s2", &all[60_000..80_000]);
    archive_all(dir.path(), &s3, "north");
    archive_all(dir.path(), &s3, "south");
    let (n, s) = (messages(dir.path(), "north"), messages(dir.path(), "south"));
    let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/venv/bin/python");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/archive/read_back.py"
    );
    let out = Command::new(python)
        .arg(script)
        .args(["--endpoint", &s3.url(), "--bucket", BUCKET])
        .args(["--prefix", "archive", "--transmissions"])
        .envs(s3_env(&s3, BUCKET, S3_SECRET))
        .output()
        .expect("run read_back.py");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    eprintln!("north {n} messages, south {s}; dataset {got}");
    assert_eq!(
        got["messages"].as_i64(),
        Some(n + s),
        "every shard's messages"
    );
    // Everything the north heard, the south heard too: the network heard
    // what the south did.
    assert_eq!(
        got["transmissions"].as_i64(),
        Some(s),
        "each transmission once"
    );
    assert!(n > 10_000 && s > n, "north {n}, south {s}");
}
