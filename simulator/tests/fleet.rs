//! Fleet mode against a real broker (Mosquitto): the simulator acting as
//! three agents publishes batches a collector would accept — topic and
//! receiver id agree, sequence numbers increase by one, frames pass the
//! CRC, a retained online status with position and version comes first
//! and a retained offline status last. The status carries the position
//! the receiver reports (here 500 m from its true site), not its site. The broker's ACL only lets a
//! client write under its own username, so a wrong login loses the data.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::decode::{CrcStatus, DecodeOptions, decode};
use cloudradar_shared::wire::{self, Batch, Limits, ReceiverStatus, State, parse_topic};
use cloudradar_test_support::Mosquitto;
use common::Sim;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

/// Mosquitto with an ACL that lets a client write only under its own
/// username, and its directory; `None` when the binary is not installed.
fn mosquitto() -> Option<(Mosquitto, tempfile::TempDir)> {
    ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let dir = tempfile::tempdir().expect("temp dir");
    // Mosquitto started as root drops to its own user before reading the ACL.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod temp dir");
    let acl = dir.path().join("acl");
    std::fs::write(
        &acl,
        "user tester\ntopic read cloudradar/v1/#\n\npattern readwrite cloudradar/v1/%u/#\n",
    )
    .expect("writing the ACL");
    std::fs::set_permissions(&acl, std::fs::Permissions::from_mode(0o644)).expect("chmod ACL");
    let m = Mosquitto::start(
        dir.path(),
        &format!("allow_anonymous true\nacl_file {}\n", acl.display()),
    );
    Some((m, dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_virtual_agents_publish_batches_the_collector_accepts() {
    let Some((broker, _dir)) = mosquitto() else {
        assert!(
            std::env::var_os("CLOUDRADAR_REQUIRE_MOSQUITTO").is_none(),
            "mosquitto is required but not installed"
        );
        eprintln!("mosquitto not installed; skipped");
        return;
    };
    let port = broker.port;
    let mut opts = MqttOptions::new("tester", "127.0.0.1", port);
    opts.set_credentials("tester", "");
    opts.set_max_packet_size(4 << 20, 4 << 20);
    let (client, mut events) = AsyncClient::new(opts, 100);
    client
        .subscribe("cloudradar/v1/+/frames", QoS::AtLeastOnce)
        .await
        .unwrap();
    client
        .subscribe("cloudradar/v1/+/status", QoS::AtLeastOnce)
        .await
        .unwrap();
    let mut subacks = 0;
    while subacks < 2 {
        if let Event::Incoming(Packet::SubAck(_)) = events.poll().await.unwrap() {
            subacks += 1;
        }
    }

    let url = format!("mqtt://127.0.0.1:{port}");
    let mut sim = Sim::start(&[
        "--aircraft",
        "80",
        "--receivers",
        "3",
        "--agents-mqtt",
        &url,
        "--duration-s",
        "4",
        "--position-error-m",
        "500",
    ]);
    let started_ms = cloudradar_shared::time::now_ms();

    let mut batches: BTreeMap<String, Vec<Batch>> = BTreeMap::new();
    let mut statuses: BTreeMap<String, Vec<ReceiverStatus>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let offline_all = |s: &BTreeMap<String, Vec<ReceiverStatus>>| {
        s.len() == 3
            && s.values()
                .all(|v| v.last().is_some_and(|x| x.state == State::Offline))
    };
    while Instant::now() < deadline && !offline_all(&statuses) {
        let Ok(Ok(ev)) = tokio::time::timeout(Duration::from_millis(500), events.poll()).await
        else {
            continue;
        };
        let Event::Incoming(Packet::Publish(p)) = ev else {
            continue;
        };
        let (id, kind) = parse_topic(&p.topic).expect("topic layout");
        match kind {
            "frames" => {
                let b = wire::decode(&p.payload, &Limits::default()).expect("batch decodes");
                assert_eq!(b.receiver_id, id, "batch receiver id matches its topic");
                batches.entry(id.to_string()).or_default().push(b);
            }
            "status" => statuses
                .entry(id.to_string())
                .or_default()
                .push(serde_json::from_slice(&p.payload).expect("status JSON")),
            other => panic!("unexpected topic kind {other}"),
        }
    }
    assert!(sim.terminate(Duration::from_secs(5)) || sim.0.child().try_wait().is_ok());

    let ids: Vec<&str> = batches.keys().map(String::as_str).collect();
    assert_eq!(ids, ["sim-1", "sim-2", "sim-3"]);
    let opts = DecodeOptions::default();
    let mut aircraft = HashSet::new();
    for (id, list) in &batches {
        // 4 s of simulation in 250 ms batches.
        assert!(
            (8..=30).contains(&list.len()),
            "{id}: {} batches",
            list.len()
        );
        for w in list.windows(2) {
            assert_eq!(
                w[1].seq,
                w[0].seq + 1,
                "{id}: sequence has a gap or goes back"
            );
        }
        let first = list[0].seq;
        assert!(
            first > started_ms * 1000 - 60_000_000,
            "{id}: sequence starts at the clock in microseconds ({first})"
        );
        for b in list {
            assert!(!b.frames.is_empty());
            for f in &b.frames {
                let m = decode(&f.frame, &opts).expect("only frames passing the CRC are sent");
                assert_ne!(
                    m.crc,
                    CrcStatus::Corrected { bits: 1 },
                    "repaired before sending"
                );
                if matches!(f.frame.df(), 17 | 11) {
                    aircraft.insert(m.address.icao);
                }
                assert!(
                    f.rx_ms + 5_000 > started_ms && f.rx_ms < started_ms + 15_000,
                    "rx_ms is wall clock"
                );
                assert!(f.timestamp > 0 && f.signal > 0);
            }
        }
    }
    assert!(aircraft.len() >= 20, "{} aircraft", aircraft.len());
    for (id, list) in &statuses {
        // Regression: with the MQTT event loop polled inside a select!, a
        // first connection sometimes broke at start and the will came first.
        let online = list.first().unwrap_or_else(|| panic!("{id}: no status"));
        assert_eq!(online.state, State::Online, "{id}: {list:?}");
        assert!(online.lat.is_some() && online.lon.is_some() && online.version.is_some());
        if id == "sim-1" {
            // The first generated receiver stands at the airport.
            let (lat, lon) = online.position().expect("a position on Earth");
            let airport = Position {
                lat: 52.3086,
                lon: 4.7639,
            };
            let d = distance_m(Position { lat, lon }, airport);
            assert!(
                (d - 500.0).abs() < 1.0,
                "{id} reports {lat},{lon}, {d} m away"
            );
        }
        assert_eq!(list.last().unwrap().state, State::Offline, "{id}");
    }
}
