//! A receiver may only publish to its own topics. With the embedded broker
//! (plain and TLS listeners), a receiver publishing on another receiver's
//! frames or status topic, leaving its will there, or subscribing to
//! anything but its own done topic, loses its connection, nothing of it is
//! stored and the refusal is counted; its own topics keep working, and a
//! client id other than its user name is refused (CONNACK 2). With an external Mosquitto and the ACL in
//! `deploy/mosquitto/acl`, the forged batch never reaches SQLite either
//! (Mosquitto 2.0 accepts a foreign will at CONNECT and checks it only
//! when publishing it, so that case is the embedded broker's alone).

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cloudradar_shared::wire::{done_topic, encode, frames_topic, status_topic};
use rumqttc::{
    Client, ConnectReturnCode, Event, LastWill, MqttOptions, Packet, QoS, TlsConfiguration,
    Transport,
};
use support::*;

/// How a client session ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Every publish acknowledged (and the subscription, if any).
    Acked,
    /// The broker refused the CONNECT.
    Refused(ConnectReturnCode),
    /// Connected, then the connection was closed with work outstanding.
    Closed,
    /// The broker answered the subscription with a failure code.
    SubRefused,
}

/// What a test client does once connected.
#[derive(Default)]
struct Session {
    /// Client id, when not the user name.
    client_id: Option<String>,
    /// Clean session off (a persistent session, as the collector's).
    persistent: bool,
    will: Option<String>,
    subscribe: Option<String>,
    msgs: Vec<(String, Vec<u8>)>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// Connects as `user`, publishes `msgs` at QoS 1 (or subscribes) and says
/// how it ended: all acknowledged, refused, or closed by the broker.
fn run(port: u16, user: &str, password: &str, s: Session) -> Outcome {
    let host = if s.tls.is_some() {
        "localhost"
    } else {
        "127.0.0.1"
    };
    let mut opts = MqttOptions::new(s.client_id.as_deref().unwrap_or(user), host, port);
    opts.set_credentials(user, password);
    opts.set_clean_session(!s.persistent);
    opts.set_keep_alive(Duration::from_secs(20));
    opts.set_max_packet_size(4 << 20, 4 << 20);
    if let Some(topic) = &s.will {
        opts.set_last_will(LastWill::new(
            topic.clone(),
            br#"{"state":"offline"}"#.to_vec(),
            QoS::AtLeastOnce,
            true,
        ));
    }
    if let Some(tls) = &s.tls {
        opts.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            tls.clone(),
        )));
    }
    let (client, mut conn) = Client::new(opts, s.msgs.len() + 10);
    let mut outstanding = s.msgs.len() + usize::from(s.subscribe.is_some());
    let deadline = Instant::now() + Duration::from_secs(60);
    for event in conn.iter() {
        assert!(Instant::now() < deadline, "no outcome within 60 s");
        match event {
            Ok(Event::Incoming(Packet::ConnAck(a))) => {
                if a.code != ConnectReturnCode::Success {
                    return Outcome::Refused(a.code);
                }
                if let Some(filter) = &s.subscribe {
                    client
                        .subscribe(filter.clone(), QoS::AtLeastOnce)
                        .expect("subscribe");
                }
                for (topic, payload) in &s.msgs {
                    client
                        .publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
                        .expect("publish");
                }
                if outstanding == 0 {
                    return Outcome::Acked;
                }
            }
            Ok(Event::Incoming(Packet::SubAck(a)))
                if a.return_codes
                    .contains(&rumqttc::SubscribeReasonCode::Failure) =>
            {
                return Outcome::SubRefused;
            }
            Ok(Event::Incoming(Packet::PubAck(_) | Packet::SubAck(_))) => {
                outstanding -= 1;
                if outstanding == 0 {
                    let _ = client.disconnect();
                    return Outcome::Acked;
                }
            }
            Ok(_) => {}
            Err(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                return Outcome::Refused(code);
            }
            Err(_) => return Outcome::Closed,
        }
    }
    Outcome::Closed
}

/// A rustls client trusting the test CA.
fn client_tls(ca: &Path) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("CA file") {
        roots.add(cert.expect("CA PEM")).expect("CA certificate");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// `cloudradar_collector_mqtt_acl_denied_total{receiver="rx-a"}` from /metrics.
fn denied(http: u16) -> u64 {
    let (_, metrics) = get(http, "/metrics").expect("metrics");
    metrics
        .lines()
        .find(|l| l.starts_with("cloudradar_collector_mqtt_acl_denied_total{receiver=\"rx-a\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Receiver ids the API knows.
fn receivers(http: u16) -> Vec<String> {
    get_json(http, "/api/v1/receivers")["receivers"]
        .as_array()
        .expect("receivers array")
        .iter()
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect()
}

/// Every refusal over one listener (plain or TLS) of a collector with
/// receivers rx-a and rx-b; rx-a's own batches are stored afterwards.
fn forged_topics_are_refused(mqtt: u16, http: u16, tls: Option<Arc<rustls::ClientConfig>>) {
    let frames = recording(2_000);
    let (b_frames, a_frames) = frames.split_at(1_000);
    let as_b = encoded(&batches("rx-b", b_frames, 500, 1));
    let status = br#"{"state":"online","version":"forged"}"#.to_vec();
    let before = denied(http);
    let session = |msgs: Vec<(String, Vec<u8>)>, will: Option<String>, sub: Option<&str>| {
        run(
            mqtt,
            "rx-a",
            "pw-a",
            Session {
                will,
                subscribe: sub.map(String::from),
                msgs,
                tls: tls.clone(),
                ..Session::default()
            },
        )
    };

    // B's frames topic, with a batch that B would have sent.
    assert_eq!(session(as_b.clone(), None, None), Outcome::Closed);
    // B's status topic.
    assert_eq!(
        session(vec![(status_topic("rx-b"), status.clone())], None, None),
        Outcome::Closed
    );
    // A will on B's status topic: refused at CONNECT.
    assert_eq!(
        session(Vec::new(), Some(status_topic("rx-b")), None),
        Outcome::Refused(ConnectReturnCode::NotAuthorized)
    );
    // Subscriptions: only to its own done topic, literally.
    for filter in ["cloudradar/v1/#", "#", "cloudradar/v1/+/done"] {
        assert_eq!(session(Vec::new(), None, Some(filter)), Outcome::Closed);
    }
    assert_eq!(
        session(Vec::new(), None, Some(&done_topic("rx-b"))),
        Outcome::Closed
    );
    assert_eq!(
        session(
            vec![(status_topic("rx-a"), status.clone())],
            None,
            Some(&done_topic("rx-a"))
        ),
        Outcome::Acked,
        "own done topic: SUBACK granted and the publish after it acknowledged"
    );
    wait_for!(Duration::from_secs(30), || denied(http) == before + 7);

    // A's own topics, with its will on its own status: stored.
    let own = encoded(&batches("rx-a", a_frames, 500, 1));
    let mut msgs = vec![(status_topic("rx-a"), status)];
    msgs.extend(own);
    assert_eq!(
        session(msgs, Some(status_topic("rx-a")), None),
        Outcome::Acked
    );
    wait_for!(Duration::from_secs(30), || receptions(http) == 1_000);
    // Everything A sent reached the collector in order after the refusals;
    // nothing of B's is there.
    assert!(!receivers(http).contains(&"rx-b".to_string()));
    assert_eq!(receptions(http), 1_000);
}

#[test]
fn a_receiver_publishing_on_another_receivers_topics_is_disconnected_and_nothing_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    support::pki::certificates(dir.path());
    let creds = dir.path().join("creds");
    std::fs::write(&creds, "rx-a:pw-a\nrx-b:pw-b\n").expect("creds");
    let tls_listen = "127.0.0.1:0".to_string();
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server.key");
    let mut c = start_collector(
        &dir.path().join("data"),
        0,
        0,
        &[
            "--credentials-file",
            creds.to_str().expect("path"),
            "--mqtt-tls-listen",
            &tls_listen,
            "--mqtt-tls-cert-file",
            cert.to_str().expect("path"),
            "--mqtt-tls-key-file",
            key.to_str().expect("path"),
        ],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let tls = bound_port(&mut c.proc, "mqtt_tls_addr");
    forged_topics_are_refused(mqtt, http, None);

    // The same over TLS. A's batches are the same ones (already stored:
    // recognised as duplicates), so the count stays at 1,000.
    forged_topics_are_refused(tls, http, Some(client_tls(&dir.path().join("ca.pem"))));
    assert_eq!(denied(http), 14);

    // B itself still publishes on its own topic.
    let b_frames = recording(3_000);
    let as_b = encoded(&batches("rx-b", &b_frames[2_000..], 500, 1));
    assert_eq!(
        run(
            mqtt,
            "rx-b",
            "pw-b",
            Session {
                msgs: as_b,
                ..Session::default()
            }
        ),
        Outcome::Acked
    );
    wait_for!(Duration::from_secs(30), || receptions(http) == 2_000);
}

/// Anonymous (demo) mode: any password, but the user name still decides
/// the topics.
#[test]
fn anonymous_mode_still_keeps_receivers_to_their_own_topics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(500);
    let forged = encoded(&batches("rx-b", &frames, 500, 1));
    let outcome = run(
        mqtt,
        "rx-a",
        "anything",
        Session {
            msgs: forged,
            ..Session::default()
        },
    );
    assert_eq!(outcome, Outcome::Closed);
    wait_for!(Duration::from_secs(30), || denied(http) == 1);
    let own = vec![(
        frames_topic("rx-a"),
        encode(&batches("rx-a", &frames, 500, 1)[0]),
    )];
    let outcome = run(
        mqtt,
        "rx-a",
        "anything",
        Session {
            msgs: own,
            ..Session::default()
        },
    );
    assert_eq!(outcome, Outcome::Acked);
    wait_for!(Duration::from_secs(30), || receptions(http) == 500);
    assert_eq!(receivers(http), vec!["rx-a".to_string()]);
}

/// Mosquitto with a password file and `deploy/mosquitto/acl`, killed on drop.
/// Mosquitto with password logins for `users` and the ACL from `deploy/`.
fn mosquitto(dir: &Path, users: &[(&str, &str)]) -> support::scenario::Mosquitto {
    let passwd = dir.join("passwd");
    for (i, (user, password)) in users.iter().enumerate() {
        let mut cmd = Command::new("mosquitto_passwd");
        if i == 0 {
            cmd.arg("-c");
        }
        let status = cmd
            .arg("-b")
            .arg(&passwd)
            .args([user, password])
            .status()
            .expect("mosquitto_passwd installed");
        assert!(status.success(), "mosquitto_passwd {user}");
    }
    let acl = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/mosquitto/acl");
    support::scenario::mosquitto_with(
        dir,
        &format!(
            "allow_anonymous false\npassword_file {}\nacl_file {acl}\n",
            passwd.display()
        ),
    )
}

#[test]
fn mosquitto_with_the_deploy_acl_drops_a_batch_on_another_receivers_topic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = mosquitto(
        dir.path(),
        &[
            ("rx-a", "pw-a"),
            ("rx-b", "pw-b"),
            ("cloudradar-collector", "pw-c"),
        ],
    );
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    let c = start_collector(
        &dir.path().join("data"),
        0,
        0,
        &[
            "--mqtt-url",
            &url,
            "--mqtt-username",
            "cloudradar-collector",
            "--mqtt-password",
            "pw-c",
        ],
    );
    let http = c.http;
    let frames = recording(2_000);
    let (b_frames, a_frames) = frames.split_at(1_000);
    // Mosquitto acknowledges a denied QoS 1 publish (MQTT 3.1.1 has no
    // negative acknowledgement) and drops it.
    let forged = encoded(&batches("rx-b", b_frames, 500, 1));
    publish(broker.port, "rx-a", Some(("rx-a", "pw-a")), &forged).expect("publish forged");
    // A's own batches, on the same path afterwards, are stored.
    let own = encoded(&batches("rx-a", a_frames, 500, 1));
    publish(broker.port, "rx-a", Some(("rx-a", "pw-a")), &own).expect("publish own");
    wait_for!(Duration::from_secs(30), || receptions(http) == 1_000);
    assert_eq!(receivers(http), vec!["rx-a".to_string()]);
}

/// A CONNECT for `user`/`password`, MQTT 3.1.1, written by hand.
fn raw_connect(user: &str, password: &str) -> Vec<u8> {
    let field = |out: &mut Vec<u8>, s: &[u8]| {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s);
    };
    let mut body = Vec::new();
    field(&mut body, b"MQTT");
    body.extend_from_slice(&[4, 0xc2, 0, 30]);
    field(&mut body, user.as_bytes());
    field(&mut body, user.as_bytes());
    field(&mut body, password.as_bytes());
    let mut out = vec![0x10, body.len() as u8];
    out.extend(body);
    out
}

/// Malformed and oversized packets after a good CONNECT close the
/// connection and are counted by reason.
#[test]
fn malformed_and_oversized_packets_close_the_connection_and_are_counted() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    for (reason, packet) in [
        // A remaining length of five bytes.
        ("malformed", vec![0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
        // A PUBLISH of about 200 MB (over max_batch_bytes).
        ("oversized", vec![0x32, 0x80, 0x80, 0x80, 0x60]),
    ] {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", mqtt)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        s.write_all(&raw_connect("rx-a", "x")).expect("CONNECT");
        let mut connack = [0u8; 4];
        s.read_exact(&mut connack).expect("CONNACK");
        assert_eq!(connack, [0x20, 2, 0, 0], "accepted");
        s.write_all(&packet).expect("packet");
        let mut rest = Vec::new();
        // Closed by the gate: end of stream (or a reset), never a timeout.
        match s.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert!(
                !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "{e}"
            ),
        }
        let line =
            format!("cloudradar_collector_mqtt_packets_refused_total{{reason=\"{reason}\"}} 1");
        wait_for!(Duration::from_secs(30), || {
            get(http, "/metrics").is_ok_and(|(_, m)| m.contains(&line))
        });
    }
}

/// A receiver that stays connected: its event loop runs on a thread and
/// hands every event over; the first connection error ends it (a receiver
/// kicked off by a takeover shows up as that error).
struct Live {
    client: Client,
    events: std::sync::mpsc::Receiver<Result<Event, String>>,
}

impl Live {
    /// Connects as `user` (client id `user`) and waits for the CONNACK.
    fn connect(port: u16, user: &str, password: &str) -> Self {
        let mut opts = MqttOptions::new(user, "127.0.0.1", port);
        opts.set_credentials(user, password);
        opts.set_keep_alive(Duration::from_secs(20));
        opts.set_max_packet_size(4 << 20, 4 << 20);
        let (client, mut conn) = Client::new(opts, 100);
        let (tx, events) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for event in conn.iter() {
                let end = event.is_err();
                if tx.send(event.map_err(|e| e.to_string())).is_err() || end {
                    break;
                }
            }
        });
        let live = Self { client, events };
        live.until(|e| match e {
            Event::Incoming(Packet::ConnAck(a)) => {
                assert_eq!(a.code, ConnectReturnCode::Success, "{user} refused");
                true
            }
            _ => false,
        });
        live
    }

    /// Takes events until `done` says so; panics on a connection error or
    /// after 30 s.
    fn until(&self, mut done: impl FnMut(&Event) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Ok(e)) => {
                    if done(&e) {
                        return;
                    }
                }
                Ok(Err(e)) => panic!("connection lost: {e}"),
                Err(_) => panic!("no such event within 30 s"),
            }
        }
    }

    /// Publishes at QoS 1 and waits for every acknowledgement.
    fn publish_all(&self, msgs: &[(String, Vec<u8>)]) {
        for (topic, payload) in msgs {
            self.client
                .publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
                .expect("publish");
        }
        let mut acked = 0;
        self.until(|e| {
            acked += usize::from(matches!(e, Event::Incoming(Packet::PubAck(_))));
            acked == msgs.len()
        });
    }

    /// Subscribes at QoS 1 and returns whether the broker granted it.
    fn subscribe(&self, filter: &str) -> bool {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .expect("subscribe");
        let mut granted = None;
        self.until(|e| match e {
            Event::Incoming(Packet::SubAck(a)) => {
                granted = Some(
                    !a.return_codes
                        .contains(&rumqttc::SubscribeReasonCode::Failure),
                );
                true
            }
            _ => false,
        });
        granted.unwrap_or(false)
    }
}

/// The collector's MQTT reconnections so far.
fn reconnects(http: u16) -> f64 {
    support::scenario::scrape(http, "cloudradar_collector_mqtt_reconnects_total")
}

/// Client-id takeover on the embedded broker: rx-a, with its own valid
/// password, asks for the collector's client id (with a persistent
/// session) and then for rx-b's. Both are refused with CONNACK 2 and
/// counted; the collector's subscriber is never kicked and the real rx-b,
/// connected all along, keeps delivering.
#[test]
fn a_receiver_cannot_take_over_another_client_id_on_the_embedded_broker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let creds = dir.path().join("creds");
    std::fs::write(&creds, "rx-a:pw-a\nrx-b:pw-b\n").expect("creds");
    let c = start_collector(
        &dir.path().join("data"),
        0,
        0,
        &["--credentials-file", creds.to_str().expect("path")],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let b = Live::connect(mqtt, "rx-b", "pw-b");
    let before = reconnects(http);
    for id in ["cloudradar-collector", "rx-b"] {
        let outcome = run(
            mqtt,
            "rx-a",
            "pw-a",
            Session {
                client_id: Some(id.into()),
                persistent: true,
                ..Session::default()
            },
        );
        assert_eq!(
            outcome,
            Outcome::Refused(ConnectReturnCode::BadClientId),
            "{id}"
        );
    }
    let series = "cloudradar_collector_mqtt_auth_refused_total{reason=\"client_id\"}";
    wait_for!(Duration::from_secs(30), || {
        support::scenario::scrape(http, series) == 2.0
    });
    // rx-b, on the connection it opened before, still delivers.
    b.publish_all(&encoded(&batches("rx-b", &recording(1_000), 500, 1)));
    wait_for!(Duration::from_secs(30), || receptions(http) == 1_000);
    assert_eq!(
        reconnects(http),
        before,
        "the collector's subscriber was kicked"
    );
}

/// Mosquitto with the shipped password, ACL and `mosquitto.conf` settings
/// for rx-a, rx-b and the collector.
fn shipped_mosquitto(dir: &Path) -> support::scenario::Mosquitto {
    mosquitto(
        dir,
        &[
            ("rx-a", "pw-a"),
            ("rx-b", "pw-b"),
            ("cloudradar-collector", "pw-c"),
        ],
    )
}

/// A collector reading from the external broker on `port`; returns its
/// HTTP port.
fn collector_on(dir: &Path, port: u16) -> (Collector, u16) {
    let url = format!("mqtt://127.0.0.1:{port}");
    let c = start_collector(
        &dir.join("data"),
        0,
        0,
        &[
            "--mqtt-url",
            &url,
            "--mqtt-username",
            "cloudradar-collector",
            "--mqtt-password",
            "pw-c",
        ],
    );
    let http = c.http;
    (c, http)
}

/// The same takeover against Mosquitto with the shipped configuration:
/// `use_username_as_clientid` makes it ignore the client id rx-a asks for
/// (it logs in as rx-a), so the collector is never kicked, the real rx-b
/// stays connected, and every batch of both is stored.
#[test]
fn mosquitto_with_the_shipped_config_ignores_a_claimed_client_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = shipped_mosquitto(dir.path());
    let (_c, http) = collector_on(dir.path(), broker.port);
    let b = Live::connect(broker.port, "rx-b", "pw-b");
    let before = reconnects(http);
    let frames = recording(2_000);
    let (a_frames, b_frames) = frames.split_at(1_000);
    let a_batches = batches("rx-a", a_frames, 500, 1);
    for (id, batch) in ["cloudradar-collector", "rx-b"].into_iter().zip(&a_batches) {
        let outcome = run(
            broker.port,
            "rx-a",
            "pw-a",
            Session {
                client_id: Some(id.into()),
                persistent: true,
                msgs: encoded(std::slice::from_ref(batch)),
                ..Session::default()
            },
        );
        assert_eq!(outcome, Outcome::Acked, "{id}");
    }
    b.publish_all(&encoded(&batches("rx-b", b_frames, 500, 1)));
    wait_for!(Duration::from_secs(30), || receptions(http) == 2_000);
    assert_eq!(
        reconnects(http),
        before,
        "the collector's session was taken over"
    );
    let mut ids = receivers(http);
    ids.sort();
    assert_eq!(ids, vec!["rx-a".to_string(), "rx-b".to_string()]);
}

/// Subscriptions on Mosquitto with the shipped ACL: a receiver gets its own
/// done topic and what the collector publishes there; nothing published on
/// another receiver's done topic reaches it, whatever it subscribed to, and
/// a confirmation forged by another receiver is dropped.
#[test]
fn mosquitto_with_the_shipped_acl_lets_a_receiver_read_only_its_own_done_topic() {
    use cloudradar_shared::wire::Done;
    let dir = tempfile::tempdir().expect("tempdir");
    let broker = shipped_mosquitto(dir.path());
    let a = Live::connect(broker.port, "rx-a", "pw-a");
    assert!(a.subscribe(&done_topic("rx-a")), "own done topic refused");
    // Mosquitto 2.0 grants any filter and checks `read` on each delivery.
    a.subscribe(&done_topic("rx-b"));
    a.subscribe("#");
    let theirs = Done::from_seqs([7]).encode();
    let mine = Done::from_seqs([1, 2, 3]).encode();
    publish(
        broker.port,
        "cloudradar-collector",
        Some(("cloudradar-collector", "pw-c")),
        &[
            (done_topic("rx-b"), theirs),
            (done_topic("rx-a"), mine.clone()),
        ],
    )
    .expect("the collector publishes confirmations");
    // Delivered in publishing order: the first message rx-a gets is its own.
    a.until(|e| match e {
        Event::Incoming(Packet::Publish(p)) => {
            assert_eq!(p.topic, done_topic("rx-a"));
            assert_eq!(Done::decode(&p.payload).ok(), Done::decode(&mine).ok());
            true
        }
        _ => false,
    });
    // A receiver may not confirm batches itself: rx-b's forged
    // confirmation is acknowledged and dropped. The collector's next one is
    // the next message rx-a gets (Mosquitto handled rx-b's first).
    let forged = vec![(done_topic("rx-a"), Done::from_seqs([9]).encode())];
    publish(broker.port, "rx-b", Some(("rx-b", "pw-b")), &forged).expect("acknowledged, dropped");
    let next = Done::from_seqs([4]).encode();
    publish(
        broker.port,
        "cloudradar-collector",
        Some(("cloudradar-collector", "pw-c")),
        &[(done_topic("rx-a"), next.clone())],
    )
    .expect("the collector publishes confirmations");
    a.until(|e| match e {
        Event::Incoming(Packet::Publish(p)) => {
            assert_eq!(
                p.payload.as_ref(),
                next.as_slice(),
                "a forged confirmation arrived"
            );
            true
        }
        _ => false,
    });
}
