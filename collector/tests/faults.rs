//! Faults with real processes: Redis restarting under load, the collector
//! killed with SIGKILL and restarted behind an external broker (Mosquitto),
//! a stalled and a full store; then whole-system scenarios (simulator,
//! agents, broker, collector, Redis, SQLite) reconciled with the
//! simulator's ground truth. Every batch accepted must end up stored
//! exactly once.

mod support;

use std::process::Command;
use std::time::Duration;

use support::scenario::{Broker, Scenario, scrape};
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
    let mut redis = Redis::start(free_port(), Some(redis_dir.path()));
    let (mqtt, http) = (free_port(), free_port());
    let _c = start_collector(
        dir.path(),
        mqtt,
        http,
        &["--allow-anonymous", "true", "--redis-url", &redis.url()],
    );
    let frames = recording(30_000);
    let all = encoded(&batches("rx-a", &frames, 500, 1));
    let (first, second) = all.split_at(30);
    publish(mqtt, "rx-a", Some(("rx-a", "")), first).expect("publish first half");
    wait_for(Duration::from_secs(60), || stored(http).0 == 15_000);
    // Redis goes away; the collector keeps accepting into its queue and is not ready.
    redis.proc.kill9();
    publish(mqtt, "rx-a", Some(("rx-a", "")), second).expect("publish while Redis is down");
    wait_for(Duration::from_secs(20), || {
        get(http, "/readyz").map(|(s, _)| s == 503).unwrap_or(false)
    });
    let port = redis.port;
    let _redis = Redis::start(port, Some(redis_dir.path()));
    wait_for(Duration::from_secs(90), || stored(http) == (30_000, 60));
    wait_for(Duration::from_secs(20), || {
        get(http, "/readyz").map(|(s, _)| s == 200).unwrap_or(false)
    });
}

#[test]
fn collector_sigkill_and_restart_behind_mosquitto_loses_nothing_and_doubles_nothing() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let broker = support::scenario::Mosquitto::start(dir.path());
    let redis = Redis::start(free_port(), None);
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    let args = ["--mqtt-url", url.as_str(), "--redis-url", &redis.url()];
    let data = dir.path().join("data");
    let http = free_port();
    let mut c = start_collector(&data, free_port(), http, &args);
    let frames = recording(40_000);
    let all = encoded(&batches("rx-a", &frames, 500, 1));
    let (first, rest) = all.split_at(20);
    publish(broker.port, "rx-a", None, first).expect("publish");
    wait_for(Duration::from_secs(60), || stored(http).1 >= 5);
    // Killed mid-stream, while more arrives at the broker.
    c.proc.kill9();
    publish(broker.port, "rx-a", None, rest).expect("publish while the collector is dead");
    let http = free_port();
    let _c = start_collector(&data, free_port(), http, &args);
    wait_for(Duration::from_secs(90), || stored(http) == (40_000, 80));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(stored(http), (40_000, 80), "nothing applied twice");
}

/// Regression: XADD MAXLEN trims the oldest entries whether processed or
/// not, so a backlog larger than `redis_maxlen` (SQLite stalled) silently
/// lost batches. Now the writer holds new batches near the bound and the
/// broker keeps them until processing catches up.
#[test]
fn a_stalled_store_holds_batches_instead_of_trimming_them_from_redis() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start(free_port(), None);
    let config = dir.path().join("collector.toml");
    std::fs::write(&config, "redis_maxlen = 50\n").unwrap();
    let data = dir.path().join("data");
    let (mqtt, http) = (free_port(), free_port());
    let _c = start_collector(
        &data,
        mqtt,
        http,
        &[
            "--config",
            config.to_str().unwrap(),
            "--allow-anonymous",
            "true",
            "--redis-url",
            &redis.url(),
        ],
    );
    // Stall SQLite: an exclusive transaction from outside.
    let lock = rusqlite::Connection::open(data.join("cloudradar.sqlite")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let frames = recording(20_000);
    let msgs = encoded(&batches("rx-a", &frames, 100, 1)); // 200 batches
    let publisher = std::thread::spawn(move || publish(mqtt, "rx-a", Some(("rx-a", "x")), &msgs));
    let xlen = || -> i64 {
        Command::new("redis-cli")
            .args(["-p", &redis.port.to_string(), "XLEN", "cloudradar:batches"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(-1)
    };
    // The backlog builds up to the bound while the store is stalled.
    wait_for(Duration::from_secs(30), || xlen() >= 40);
    std::thread::sleep(Duration::from_secs(3));
    let (_, metrics) = get(http, "/metrics").unwrap();
    let held = metrics.contains("cloudradar_collector_redis_backpressure 1");
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
            let o = Command::new("redis-cli")
                .arg("-p")
                .arg(redis.port.to_string())
                .args(&args)
                .output()
                .unwrap();
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
    assert!(held, "backpressure reported while the store was stalled");
    assert!(
        backlog <= 50,
        "the stream stayed within its bound: {backlog}"
    );
    // Stored entries are deleted from the stream once acknowledged.
    wait_for(Duration::from_secs(10), || xlen() == 0);
}

/// Redis without persistence restarts (comes back empty) while a backlog
/// waits in it behind a stalled store: the collector adds back the
/// batches Redis lost from its own copy, and every batch is stored once.
#[test]
fn redis_restarting_empty_with_a_backlog_loses_nothing() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().expect("tmp");
    let mut redis = Redis::start(free_port(), None);
    let data = dir.path().join("data");
    let (mqtt, http) = (free_port(), free_port());
    let _c = start_collector(
        &data,
        mqtt,
        http,
        &["--allow-anonymous", "true", "--redis-url", &redis.url()],
    );
    let lock = rusqlite::Connection::open(data.join("cloudradar.sqlite")).expect("db");
    lock.execute_batch("BEGIN EXCLUSIVE")
        .expect("stall the store");
    let frames = recording(20_000);
    let msgs = encoded(&batches("rx-a", &frames, 100, 1)); // 200 batches
    publish(mqtt, "rx-a", Some(("rx-a", "x")), &msgs).expect("every batch acknowledged");
    let port = redis.port;
    let xlen = || -> i64 {
        Command::new("redis-cli")
            .args(["-p", &port.to_string(), "XLEN", "cloudradar:batches"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(-1)
    };
    // Everything acknowledged to the broker is in Redis, most of it unread.
    wait_for(Duration::from_secs(30), || xlen() == 200);
    std::thread::sleep(Duration::from_secs(2)); // the writer's copy is trimmed to the backlog
    redis.proc.kill9();
    redis = Redis::start(port, None);
    assert!(xlen() <= 0, "Redis came back empty");
    lock.execute_batch("COMMIT").expect("release the store");
    drop(lock);
    wait_for(Duration::from_secs(60), || stored(http).0 == 20_000);
    std::thread::sleep(Duration::from_secs(2));
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
    let redis = Redis::start(free_port(), None);
    let capped = dir.path().join("capped.toml");
    std::fs::write(&capped, "sqlite_max_bytes = 1000000\n").unwrap();
    let data = dir.path().join("data");
    let (mqtt, http) = (free_port(), free_port());
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
    let mut c = start_collector(&data, mqtt, http, &first);
    let frames = recording(20_000);
    let msgs = encoded(&batches("rx-a", &frames, 500, 1)); // 40 batches
    publish(mqtt, "rx-a", Some(("rx-a", "x")), &msgs).expect("the broker takes every batch");
    // The database fills up: not ready, some batches stored, the rest held.
    wait_for(Duration::from_secs(60), || {
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
    let _c = start_collector(&data, mqtt, http, &second);
    wait_for(Duration::from_secs(60), || stored(http) == (20_000, 40));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(stored(http), (20_000, 40), "exactly once");
}

// Whole-system scenarios: simulator → agents → broker → collector → Redis
// → SQLite, one fault each, then a reconciliation of SQLite with what the
// agents accepted and with the simulator's ground truth (see
// `support::scenario`). Progress is measured in stored batches, never in
// elapsed time.

/// Batches each receiver gets stored before the fault and after recovery.
const PROGRESS: i64 = 3;

/// How long the broker stays down in the Mosquitto scenario.
const OUTAGE: Duration = Duration::from_secs(60);

fn settle_and_reconcile(mut s: Scenario, what: &str) {
    let truth = s.finish(Duration::from_secs(120));
    for line in s.reconcile(&truth) {
        eprintln!("{what}: {line}");
    }
}

#[test]
fn scenario_collector_sigkill_with_agents_spooling_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(false);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    // The collector dies with its embedded broker: agents keep accepting
    // frames and spool them; Redis keeps what was added but not processed.
    s.kill_collector();
    wait_for(Duration::from_secs(60), || {
        s.agents.iter().all(|a| a.spooling(PROGRESS as f64))
    });
    s.start_collector();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    settle_and_reconcile(s, "collector SIGKILL");
}

#[test]
fn scenario_redis_sigkill_and_restart_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(false);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    let http = s.http();
    let reconnects = || scrape(http, "cloudradar_collector_mqtt_reconnects_total");
    let reconnects_before = reconnects();
    s.kill_redis();
    let down = std::time::Instant::now();
    wait_for(Duration::from_secs(30), || {
        get(http, "/readyz").is_ok_and(|(code, _)| code == 503)
    });
    // Traffic goes on while Redis is gone: every agent makes more batches.
    let made = |s: &Scenario| -> Vec<f64> {
        s.agents
            .iter()
            .map(|a| a.metric("cloudradar_agent_batches_total"))
            .collect()
    };
    let at_kill = made(&s);
    wait_for(Duration::from_secs(60), || {
        made(&s)
            .iter()
            .zip(&at_kill)
            .all(|(now, then)| *now >= then + PROGRESS as f64)
    });
    // The collector's queue is full: the embedded broker's gate holds the
    // receivers back, so their new batches wait in their own spools
    // instead of piling up in the broker's memory.
    wait_for(Duration::from_secs(60), || {
        scrape(http, "cloudradar_collector_receivers_held") == 1.0
            && s.agents.iter().all(|a| a.spooled() >= PROGRESS as f64)
    });
    // Down longer than the embedded broker waits for the subscriber's
    // keep-alive (1.5 x 15 s): the subscriber must keep its connection.
    std::thread::sleep(Duration::from_secs(30).saturating_sub(down.elapsed()));
    s.restart_redis();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    // Regression: the subscriber stopped polling its connection while the
    // queue was full, the broker dropped it, and the batches queued from it
    // were acknowledged on the next connection under stale packet ids,
    // which the broker answered by disconnecting again, several times.
    assert_eq!(reconnects(), reconnects_before, "subscriber reconnected");
    settle_and_reconcile(s, "Redis SIGKILL");
}

#[test]
fn scenario_agent_sigkill_and_restart_stores_what_it_made_durable_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(false);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    // Killed with batches in its spool: the collector (and its broker) is
    // frozen, so nothing is acknowledged; some may have reached the broker.
    s.freeze_collector(true);
    wait_for(Duration::from_secs(60), || {
        s.agents[0].spooled() >= PROGRESS as f64
    });
    s.kill_agent(0);
    s.freeze_collector(false);
    // The others go on while it is dead.
    let at_kill = s.batches_stored();
    let others: Vec<String> = s.agents[1..].iter().map(|a| a.id.clone()).collect();
    wait_for(Duration::from_secs(60), || {
        let now = s.batches_stored();
        others.iter().all(|id| {
            now.get(id).copied().unwrap_or(0) >= at_kill.get(id).copied().unwrap_or(0) + PROGRESS
        })
    });
    s.agents[0].restart();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    settle_and_reconcile(s, "agent SIGKILL");
}

#[test]
fn scenario_mosquitto_down_while_agents_spool_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(true);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    let Broker::Mosquitto(m) = &mut s.broker else {
        unreachable!("started with Mosquitto")
    };
    m.stop();
    let down = std::time::Instant::now();
    wait_for(Duration::from_secs(60), || {
        s.agents.iter().all(|a| a.spooling(PROGRESS as f64))
    });
    // Down for a minute, as the issue asks, while the spools fill.
    std::thread::sleep(OUTAGE.saturating_sub(down.elapsed()));
    let Broker::Mosquitto(m) = &mut s.broker else {
        unreachable!("started with Mosquitto")
    };
    m.restart();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    settle_and_reconcile(s, "Mosquitto down");
}

/// The link between the receiver site (simulator and agents in their own
/// network namespace) and the collector is cut: packets vanish, no error
/// either side. Held until the embedded broker has given up on every agent
/// (keepalive) and published its last will, then restored: the agents find
/// their connection dead, reconnect and re-send their spools.
#[test]
fn scenario_network_cut_between_agents_and_collector_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let Some(netns) = support::scenario::netns_or_skip("scenario_network_cut") else {
        return;
    };
    let s = Scenario::start_with(false, Some(netns));
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    let cut_at = std::time::Instant::now();
    s.netns.as_ref().expect("netns").cut(true);
    // Read from the spool directories: the agents' /metrics is across the cut.
    wait_for(Duration::from_secs(60), || {
        s.agents
            .iter()
            .all(|a| a.spool_files() >= PROGRESS as usize)
    });
    let http = s.http();
    let ids: Vec<String> = s.agents.iter().map(|a| a.id.clone()).collect();
    wait_for(Duration::from_secs(120), || {
        get(http, "/metrics").is_ok_and(|(_, text)| {
            ids.iter().all(|id| {
                let series = format!("cloudradar_collector_receiver_online{{receiver=\"{id}\"}}");
                support::scenario::metric(&text, &series) == Some(0.0)
            })
        })
    });
    s.netns.as_ref().expect("netns").cut(false);
    eprintln!("network cut: link down for {:?}", cut_at.elapsed());
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(120));
    settle_and_reconcile(s, "network cut");
}
