//! The agent keeps a batch until the collector confirms it (decision
//! record 0007): against a broker with no collector behind it, as with a
//! collector older than these confirmations, every batch the broker took
//! stays spooled and is sent again after `confirm_timeout_s`; a `Done`
//! message on the agent's own done topic then deletes exactly the batches
//! it names, and a file agent exits once all are confirmed.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use cloudradar_shared::wire::{Done, done_topic};
use common::{agent, http_port, mosquitto, recording_excerpt, subscriber, unique_frames, wait_for};
use rumqttc::{Client, MqttOptions, QoS};

fn metric(http: &str, name: &str) -> f64 {
    let Ok(mut s) = std::net::TcpStream::connect(http) else {
        return -1.0;
    };
    let _ = write!(s, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
    let mut body = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut body);
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} "))?.trim().parse().ok())
        .unwrap_or(-1.0)
}

/// Publishes `done` to the receiver's done topic, as the collector does.
fn confirm(port: u16, done: &Done) {
    let (client, mut conn) = Client::new(MqttOptions::new("test-collector", "127.0.0.1", port), 10);
    client
        .publish(
            done_topic("rx-test"),
            QoS::AtLeastOnce,
            false,
            done.encode(),
        )
        .expect("publish");
    for e in conn.iter() {
        if let Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(_))) = e {
            break;
        }
        assert!(e.is_ok(), "{e:?}");
    }
}

#[test]
fn without_confirmations_batches_stay_spooled_and_are_sent_again_until_confirmed() {
    let dir = tempfile::tempdir().expect("tmp");
    let excerpt = recording_excerpt(dir.path(), 3_000);
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let got = subscriber(port);
    let mut a = agent(
        &dir.path().join("agent"),
        port,
        &format!("file:{}", excerpt.display()),
        &[
            "--http-listen",
            "127.0.0.1:0",
            "--dedup-window-ms",
            "0",
            "--delivery",
            "collector",
            "--confirm-timeout-s",
            "2",
            "--batch-interval-ms",
            "50",
        ],
    );
    let http = format!("127.0.0.1:{}", http_port(&mut a));
    // Every batch reaches the broker and the subscriber...
    wait_for!(Duration::from_secs(30), || {
        unique_frames(&got.lock().expect("lock")) >= 2_900
    });
    // ...but none is confirmed: all stay spooled and are sent again.
    wait_for!(Duration::from_secs(30), || {
        metric(&http, "cloudradar_agent_batches_resent_total") > 0.0
    });
    let spooled = metric(&http, "cloudradar_agent_spool_batches");
    assert!(spooled >= 2.0, "batches kept in the spool: {spooled}");
    assert_eq!(
        metric(&http, "cloudradar_agent_batches_confirmed_total"),
        0.0
    );
    assert!(
        a.child().try_wait().expect("agent").is_none(),
        "still delivering"
    );
    let seqs: Vec<u64> = got.lock().expect("lock").iter().map(|g| g.0).collect();
    let (lo, hi) = (
        *seqs.iter().min().expect("a batch"),
        *seqs.iter().max().expect("a batch"),
    );
    assert!(hi > lo, "several batches");

    // Confirming the first one deletes that one only.
    confirm(port, &Done::from_seqs([lo]));
    wait_for!(Duration::from_secs(10), || {
        metric(&http, "cloudradar_agent_batches_confirmed_total") == 1.0
    });
    assert_eq!(
        metric(&http, "cloudradar_agent_spool_batches"),
        spooled - 1.0
    );

    // Confirming the rest: the spool empties and the agent is done.
    confirm(port, &Done::from_seqs(lo..=hi));
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = a.child().try_wait().expect("agent") {
            break s;
        }
        assert!(
            Instant::now() < end,
            "the agent did not exit once confirmed"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    let left = std::fs::read_dir(dir.path().join("agent/spool"))
        .expect("spool")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "batch"))
        })
        .count();
    assert_eq!(left, 0, "confirmed batches are deleted from the spool");
}
