//! Fairness under a flood: three receivers at a normal rate and one at 50
//! times that, all at once, into a real collector with Redis. Every batch
//! of the normal receivers is stored; the flooder is held to its rate
//! limit and what it loses is counted, not silently dropped.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use support::scenario::metric;
use support::*;

/// Normal rate, frames per second of reception time.
const NORMAL_PER_S: u64 = 1_000;
/// The limit configured: twice a normal receiver.
const LIMIT_PER_S: u64 = 2_000;
/// Seconds of reception time each receiver sends.
const SECONDS: u64 = 8;
/// `per_s` frames a second of reception time for `SECONDS`, in batches of
/// `per_batch`, reception times from `start_ms`.
fn stream(receiver: &str, per_s: u64, per_batch: usize, start_ms: u64) -> Vec<(String, Vec<u8>)> {
    let total = (per_s * SECONDS) as usize;
    let source = recording(20_000);
    let frames: Vec<(u64, cloudradar_shared::format::Received)> = (0..total)
        .map(|i| {
            let rx_ms = start_ms + i as u64 * 1000 / per_s;
            (rx_ms, source[i % source.len()].1)
        })
        .collect();
    encoded(&batches(receiver, &frames, per_batch, 1))
}

/// Publishes at QoS 1 with `pause` between messages, waiting for every
/// PubAck; returns how many were acknowledged.
fn publish_paced(port: u16, id: &str, msgs: Vec<(String, Vec<u8>)>, pause: Duration) -> usize {
    let mut opts = MqttOptions::new(id, "127.0.0.1", port);
    opts.set_max_packet_size(4 << 20, 4 << 20);
    opts.set_keep_alive(Duration::from_secs(10));
    // Anonymous mode still ties a client to its receiver id (the username).
    opts.set_credentials(id, "");
    let (client, mut conn) = Client::new(opts, msgs.len() + 10);
    let acked = Arc::new(AtomicUsize::new(0));
    let (connected_tx, connected) = mpsc::channel();
    let counter = acked.clone();
    let total = msgs.len();
    let events = std::thread::spawn(move || {
        for e in conn.iter() {
            match e {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = connected_tx.send(());
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    if counter.fetch_add(1, Ordering::SeqCst) + 1 == total {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
    });
    connected
        .recv_timeout(Duration::from_secs(30))
        .expect("connected to the broker");
    for (topic, payload) in msgs {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .expect("publish");
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    events.join().expect("every publish acknowledged");
    let _ = client.disconnect();
    acked.load(Ordering::SeqCst)
}

fn receptions_of(data: &std::path::Path, receiver: &str) -> i64 {
    let db = rusqlite::Connection::open_with_flags(
        data.join("cloudradar.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("database");
    db.query_row(
        "SELECT count(*) FROM receptions WHERE receiver = ?1",
        [receiver],
        |r| r.get(0),
    )
    .expect("count")
}

#[test]
#[ignore = "fault tier (scripts/test.sh runs it): cargo test -p cloudradar-collector --test flood -- --ignored"]
fn a_receiver_flooding_at_50_times_its_rate_does_not_starve_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start();
    let config = dir.path().join("collector.toml");
    std::fs::write(
        &config,
        format!("receiver_max_frames_per_s = {LIMIT_PER_S}\n"),
    )
    .unwrap();
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
    let start_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        - SECONDS * 1000;
    let normal = ["rx-a", "rx-b", "rx-c"];
    let flood = "rx-flood";
    // Batches as an agent closes them: the normal ones every 250 ms, the
    // flooder's full (2,500 frames, every 50 ms of reception time).
    let flood_msgs = stream(flood, 50 * NORMAL_PER_S, 2_500, start_ms);
    let flood_frames = (50 * NORMAL_PER_S * SECONDS) as i64;
    let flood_batches = flood_msgs.len();
    // All four at once: the normal ones paced like agents (a batch every
    // 250 ms), the flooder as fast as the broker takes it.
    let mut publishers = Vec::new();
    for id in normal {
        let msgs = stream(id, NORMAL_PER_S, NORMAL_PER_S as usize / 4, start_ms);
        publishers.push(std::thread::spawn(move || {
            publish_paced(mqtt, id, msgs, Duration::from_millis(250))
        }));
    }
    publishers.push(std::thread::spawn(move || {
        publish_paced(mqtt, flood, flood_msgs, Duration::ZERO)
    }));
    let acked: Vec<usize> = publishers
        .into_iter()
        .map(|p| p.join().expect("publisher"))
        .collect();
    assert_eq!(acked[3], flood_batches, "the broker took the whole flood");

    let limited = |text: &str, what: &str| {
        metric(
            text,
            &format!("cloudradar_collector_{what}_rate_limited_total{{receiver=\"{flood}\"}}"),
        )
        .unwrap_or(0.0) as i64
    };
    // Settled: every normal frame stored, and every flooder frame either
    // stored or counted as rate limited.
    let normal_frames = (NORMAL_PER_S * SECONDS) as i64;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let (stored_flood, limited_frames, limited_batches) = loop {
        let (_, text) = get(http, "/metrics").expect("metrics");
        let stored_flood = receptions_of(&data, flood);
        let settled = normal
            .iter()
            .all(|id| receptions_of(&data, id) == normal_frames)
            && stored_flood + limited(&text, "frames") == flood_frames;
        if settled {
            break (
                stored_flood,
                limited(&text, "frames"),
                limited(&text, "batches"),
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not settled: normal {:?}, flooder stored {stored_flood} + limited {} of {flood_frames}",
            normal.map(|id| receptions_of(&data, id)),
            limited(&text, "frames")
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    // Nothing limited for the normal receivers.
    let (_, text) = get(http, "/metrics").expect("metrics");
    for id in normal {
        let series =
            format!("cloudradar_collector_batches_rate_limited_total{{receiver=\"{id}\"}}");
        assert_eq!(metric(&text, &series), None, "{id} was not limited");
    }
    // The flooder got its burst (10 s of the limit) plus the limit over the
    // reception time it covered, and no more.
    assert!(limited_batches > 0, "the flooder was limited");
    let allowed = (LIMIT_PER_S * (10 + SECONDS)) as i64;
    assert!(
        stored_flood <= allowed,
        "flooder stored {stored_flood} frames, more than the {allowed} its limit allows"
    );
    assert!(stored_flood > 0, "the flooder is limited, not cut off");
    eprintln!(
        "flood: {normal_frames} frames stored for each normal receiver; flooder sent {flood_frames}, stored {stored_flood}, {limited_frames} frames in {limited_batches} of {flood_batches} batches rate limited"
    );
}
