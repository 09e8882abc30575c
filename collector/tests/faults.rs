//! Faults with real processes, each over in seconds: Redis restarting
//! under load, the collector killed with SIGKILL and restarted behind an
//! external broker (Mosquitto), a stalled and a full store. Every batch
//! accepted must end up stored exactly once. The whole-system scenarios
//! with minute-long outages are in `scenarios.rs` (the fault tier).

mod support;

use std::process::Command;
use std::time::Duration;

use support::*;

/// The fault tests run one at a time: each stalls or kills something on
/// purpose, and run together on two cores their timings interfere.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn stored(http: u16) -> (i64, i64) {
    let s = get_json(http, "/api/v1/stats");
    (
        s["totals"]["receptions"].as_i64().unwrap_or(-1),
        s["totals"]["batches"].as_i64().unwrap_or(-1),
    )
}

#[test]
fn redis_restart_mid_stream_loses_nothing() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let redis_dir = tempfile::tempdir().unwrap();
    let mut redis = Redis::persistent(redis_dir.path());
    let c = start_collector(
        dir.path(),
        0,
        0,
        &["--allow-anonymous", "true", "--redis-url", &redis.url()],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(30_000);
    let all = encoded(&batches("rx-a", &frames, 500, 1));
    let (first, second) = all.split_at(30);
    publish(mqtt, "rx-a", Some(("rx-a", "")), first).expect("publish first half");
    wait_for!(Duration::from_secs(60), || stored(http).0 == 15_000);
    // Redis goes away; the collector keeps accepting into its queue and is not ready.
    redis.kill9();
    publish(mqtt, "rx-a", Some(("rx-a", "")), second).expect("publish while Redis is down");
    wait_for!(Duration::from_secs(20), || {
        get(http, "/readyz").map(|(s, _)| s == 503).unwrap_or(false)
    });
    redis.restart();
    wait_for!(Duration::from_secs(90), || stored(http) == (30_000, 60));
    wait_for!(Duration::from_secs(20), || {
        get(http, "/readyz").map(|(s, _)| s == 200).unwrap_or(false)
    });
}

#[test]
fn collector_sigkill_and_restart_behind_mosquitto_loses_nothing_and_doubles_nothing() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let broker = support::scenario::mosquitto(dir.path());
    let redis = Redis::start();
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    let args = ["--mqtt-url", url.as_str(), "--redis-url", &redis.url()];
    let data = dir.path().join("data");
    let mut c = start_collector(&data, 0, 0, &args);
    let http = c.http;
    let frames = recording(40_000);
    let all = encoded(&batches("rx-a", &frames, 500, 1));
    let (first, rest) = all.split_at(20);
    publish(broker.port, "rx-a", None, first).expect("publish");
    wait_for!(Duration::from_secs(60), || stored(http).1 >= 5);
    // Killed mid-stream, while more arrives at the broker.
    c.proc.kill9();
    publish(broker.port, "rx-a", None, rest).expect("publish while the collector is dead");
    let _c = start_collector(&data, 0, 0, &args);
    let http = _c.http;
    wait_for!(Duration::from_secs(90), || stored(http) == (40_000, 80));
    // Anything the broker still holds for the collector arrives before a
    // marker published now: once the marker's frame is stored (receptions
    // no longer a multiple of 500), a batch applied twice would be too.
    publish(broker.port, "rx-a", None, &marker("rx-a", 81, 0x7F_0000)).expect("marker");
    wait_for!(Duration::from_secs(30), || stored(http).0 % 500 == 1);
    assert_eq!(stored(http), (40_001, 81), "nothing applied twice");
}

/// Regression: XADD MAXLEN trims the oldest entries whether processed or
/// not, so a backlog larger than `redis_maxlen` (SQLite stalled) silently
/// lost batches. Now the writer holds new batches near the bound and the
/// broker keeps them until processing catches up.
#[test]
fn a_stalled_store_holds_batches_instead_of_trimming_them_from_redis() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start();
    let config = dir.path().join("collector.toml");
    std::fs::write(&config, "redis_maxlen = 50\n").unwrap();
    let data = dir.path().join("data");
    let c = start_collector(
        &data,
        0,
        0,
        &[
            "--config",
            config.to_str().unwrap(),
            "--allow-anonymous",
            "true",
            "--redis-url",
            &redis.url(),
        ],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    // Stall SQLite: an exclusive transaction from outside.
    let lock = rusqlite::Connection::open(data.join("cloudradar.sqlite")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let frames = recording(20_000);
    let msgs = encoded(&batches("rx-a", &frames, 100, 1)); // 200 batches
    let publisher = std::thread::spawn(move || publish(mqtt, "rx-a", Some(("rx-a", "x")), &msgs));
    let xlen = || -> i64 {
        redis
            .cli()
            .args(["XLEN", "cloudradar:batches"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(-1)
    };
    // The backlog builds up to the bound while the store is stalled.
    wait_for!(Duration::from_secs(30), || xlen() >= 40);
    wait_for!(
        Duration::from_secs(30),
        || get(http, "/metrics")
            .is_ok_and(|(_, m)| m.contains("cloudradar_collector_redis_backpressure 1")),
        "backpressure reported while the store was stalled"
    );
    let backlog = xlen();
    lock.execute_batch("COMMIT").unwrap();
    drop(lock);
    publisher.join().unwrap().expect("every batch acknowledged");
    // Well under the 30 s reclaim period: a read dropped after Redis had
    // delivered its entries left them pending until a reclaim (regression).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stored(http).0 != 20_000 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    if stored(http).0 != 20_000 {
        eprintln!("stored {:?} xlen {}", stored(http), xlen());
        for args in [
            vec!["XINFO", "GROUPS", "cloudradar:batches"],
            vec!["XPENDING", "cloudradar:batches", "cloudradar"],
        ] {
            let o = redis.cli().args(&args).output().unwrap();
            eprintln!(
                "{args:?}: {}",
                String::from_utf8_lossy(&o.stdout)
                    .chars()
                    .take(600)
                    .collect::<String>()
            );
        }
    }
    assert_eq!(stored(http).0, 20_000, "nothing trimmed away");
    assert!(
        backlog <= 50,
        "the stream stayed within its bound: {backlog}"
    );
    // Stored entries are deleted from the stream once acknowledged.
    wait_for!(Duration::from_secs(10), || xlen() == 0);
}

/// Redis without persistence restarts (comes back empty) while a backlog
/// waits in it behind a stalled store: the collector adds back the
/// batches Redis lost from its own copy, and every batch is stored once.
#[test]
fn redis_restarting_empty_with_a_backlog_loses_nothing() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().expect("tmp");
    let mut redis = Redis::start();
    let data = dir.path().join("data");
    let c = start_collector(
        &data,
        0,
        0,
        &["--allow-anonymous", "true", "--redis-url", &redis.url()],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let lock = rusqlite::Connection::open(data.join("cloudradar.sqlite")).expect("db");
    lock.execute_batch("BEGIN EXCLUSIVE")
        .expect("stall the store");
    let frames = recording(20_000);
    let msgs = encoded(&batches("rx-a", &frames, 100, 1)); // 200 batches
    publish(mqtt, "rx-a", Some(("rx-a", "x")), &msgs).expect("every batch acknowledged");
    let socket = redis.socket();
    let xlen = || -> i64 {
        Command::new("redis-cli")
            .arg("-s")
            .arg(&socket)
            .args(["XLEN", "cloudradar:batches"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(-1)
    };
    // Everything acknowledged to the broker is in Redis, most of it unread.
    wait_for!(Duration::from_secs(30), || xlen() == 200);
    std::thread::sleep(Duration::from_secs(2)); // the writer's copy is trimmed to the backlog
    redis.kill9();
    redis.restart();
    assert!(xlen() <= 0, "Redis came back empty");
    lock.execute_batch("COMMIT").expect("release the store");
    drop(lock);
    wait_for!(Duration::from_secs(60), || stored(http).0 == 20_000);
    // Whatever the writer re-adds is processed before Redis is idle.
    wait_for!(Duration::from_secs(30), || redis_idle(&redis));
    assert_eq!(stored(http), (20_000, 200), "every batch once");
    drop(redis);
}

/// SQLite full (the database cap reached, as on a full disk): commits
/// fail, `/readyz` turns 503 and nothing more is acknowledged in Redis;
/// with room again (restarted without the cap) every batch is stored once.
#[test]
fn a_full_database_keeps_batches_in_redis_until_there_is_room() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start();
    let capped = dir.path().join("capped.toml");
    std::fs::write(&capped, "sqlite_max_bytes = 1000000\n").unwrap();
    let data = dir.path().join("data");
    let args = |config: &str| {
        vec![
            "--config".to_string(),
            config.to_string(),
            "--allow-anonymous".into(),
            "true".into(),
            "--redis-url".into(),
            redis.url(),
        ]
    };
    let first = args(capped.to_str().unwrap());
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let mut c = start_collector(&data, 0, 0, &first);
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(20_000);
    let msgs = encoded(&batches("rx-a", &frames, 500, 1)); // 40 batches
    publish(mqtt, "rx-a", Some(("rx-a", "x")), &msgs).expect("the broker takes every batch");
    // The database fills up: not ready, some batches stored, the rest held.
    wait_for!(Duration::from_secs(60), || {
        get(http, "/readyz").map(|(s, _)| s == 503).unwrap_or(false)
    });
    let (receptions, _) = stored(http);
    assert!(
        receptions < 20_000,
        "the cap stopped the store at {receptions}"
    );
    c.proc
        .terminate()
        .expect("stops while the database is full");

    // Room again: everything arrives, once.
    let plain = dir.path().join("plain.toml");
    std::fs::write(&plain, "sqlite_max_bytes = 0\n").unwrap();
    let second = args(plain.to_str().unwrap());
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    let c = start_collector(&data, 0, 0, &second);
    let http = c.http;
    wait_for!(Duration::from_secs(60), || stored(http) == (20_000, 40));
    // Every batch held in Redis is processed before it is idle.
    wait_for!(Duration::from_secs(30), || redis_idle(&redis));
    assert_eq!(stored(http), (20_000, 40), "exactly once");
}
