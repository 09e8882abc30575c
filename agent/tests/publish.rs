//! The agent as a process against a real broker (Mosquitto): a recording
//! replayed through the agent arrives whole; a broker outage loses nothing
//! and keeps the order; wrong credentials keep the data spooled.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    DATA, LONG_FLIGHT_ACCEPTED, Mosquitto, Stderr, agent, agent_at, mosquitto,
    mosquitto_persistent, socat_pair, subscriber, subscriber_with, unique_frames, wait_for,
    whole_recording_arrives,
};

#[test]
fn a_replayed_recording_arrives_whole_and_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let got = subscriber(port);
    let mut a = agent(
        &dir.path().join("agent"),
        port,
        &format!("file:{DATA}/long_flight.csv"),
        &["--dedup-window-ms", "0"],
    );
    let got = whole_recording_arrives(&got, Duration::from_secs(60));
    let seqs: Vec<u64> = got.iter().map(|(s, _)| *s).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in order without an outage"
    );
    let _ = a.child().kill();
}

#[test]
fn broker_outage_loses_nothing_and_keeps_order() {
    let dir = tempfile::tempdir().expect("tmp");
    // The subscriber's session is kept across the broker's restart, so
    // whatever the agent sends the moment the broker is back is queued for
    // it, however the reconnects race.
    let broker_dir = dir.path().join("broker");
    std::fs::create_dir_all(&broker_dir).expect("broker dir");
    let mut broker = mosquitto_persistent(&broker_dir);
    let port = broker.port;
    let got = subscriber(port);
    broker.stop(); // down from the start: the agent spools
    let _a = agent(
        &dir.path().join("agent"),
        port,
        &format!("file:{DATA}/long_flight.csv"),
        &["--dedup-window-ms", "0"],
    );
    let spool = dir.path().join("agent/spool");
    wait_for!(Duration::from_secs(60), || {
        std::fs::read_dir(&spool)
            .map(|d| d.count() > 50)
            .unwrap_or(false)
    });
    std::thread::sleep(Duration::from_secs(2));
    broker.restart();
    let got = whole_recording_arrives(&got, Duration::from_secs(120));
    // First deliveries come in sequence order (re-sends may repeat a seq).
    let mut firsts = Vec::new();
    for (s, _) in &got {
        if !firsts.contains(s) {
            firsts.push(*s);
        }
    }
    assert!(
        firsts.windows(2).all(|w| w[0] < w[1]),
        "spool drained in order"
    );
    wait_for!(Duration::from_secs(30), || {
        std::fs::read_dir(&spool)
            .map(|d| d.count() == 0)
            .unwrap_or(false)
    });
}

#[test]
fn refused_credentials_keep_the_data_spooled() {
    let dir = tempfile::tempdir().expect("tmp");
    let pw = dir.path().join("passwd");
    std::fs::write(&pw, "").expect("pw");
    let broker = mosquitto(
        dir.path(),
        &format!("allow_anonymous false\npassword_file {}\n", pw.display()),
    );
    let port = broker.port;
    let _a = agent(
        &dir.path().join("agent"),
        port,
        &format!("file:{DATA}/long_flight.csv"),
        &["--mqtt-password", "wrong"],
    );
    let spool = dir.path().join("agent/spool");
    wait_for!(Duration::from_secs(60), || {
        std::fs::read_dir(&spool)
            .map(|d| d.count() > 40)
            .unwrap_or(false)
    });
}

#[test]
fn serial_input_through_a_socat_pty_pair() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b) = (
        dir.path().join("tty-receiver"),
        dir.path().join("tty-agent"),
    );
    let _socat = socat_pair(&a, &b);
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let got = subscriber(port);
    let agent_proc = agent(
        &dir.path().join("agent"),
        port,
        &format!("serial:{}:115200", b.display()),
        &["--dedup-window-ms", "0", "--batch-interval-ms", "100"],
    );
    // The receiver end writes 2,000 real frames as Beast, with garbage in between.
    let text = std::fs::read_to_string(format!("{DATA}/long_flight.csv")).expect("recording");
    let mut bytes = Vec::new();
    for (sent, line) in text.lines().skip(100).take(2_000).enumerate() {
        let (_, rx) = cloudradar_shared::format::csv::parse_line(line).expect("line");
        cloudradar_shared::format::beast::write(&rx, &mut bytes);
        if sent % 100 == 0 {
            bytes.extend_from_slice(b"noise");
        }
    }
    // A pty keeps no bytes written before the agent has the port open.
    wait_for!(Duration::from_secs(10), || agent_proc.has_open(&b));
    let mut tty = std::fs::OpenOptions::new()
        .write(true)
        .open(&a)
        .expect("pty");
    tty.write_all(&bytes).expect("write");
    tty.flush().expect("flush");
    // All frames of that slice pass the CRC (pyModeS: no bad frame in lines 101-2100).
    wait_for!(Duration::from_secs(30), || {
        unique_frames(&got.lock().expect("lock")) >= 2_000
    });
    assert_eq!(unique_frames(&got.lock().expect("lock")), 2_000);
}

#[test]
fn sigkill_with_a_full_spool_then_restart_delivers_every_spooled_batch() {
    let dir = tempfile::tempdir().expect("tmp");
    // The broker's port, for the broker started later.
    let port = common::port::locked();
    let data = dir.path().join("agent");
    // Broker down: everything goes to the spool.
    let mut a = agent(
        &data,
        port,
        &format!("file:{DATA}/long_flight.csv"),
        &["--dedup-window-ms", "0"],
    );
    let spool = data.join("spool");
    let count = || {
        std::fs::read_dir(&spool)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".batch"))
                    .count()
            })
            .unwrap_or(0)
    };
    wait_for!(Duration::from_secs(60), || count() >= 30);
    let _ = a.child().kill(); // SIGKILL
    let _ = a.child().wait();
    // Only complete batches count: a `.tmp` file is a write the kill interrupted,
    // which was never spooled (the agent removes those at start).
    let spooled: Vec<u64> = std::fs::read_dir(&spool)
        .expect("spool")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|name| name.ends_with(".batch"))
        .filter_map(|name| name.split('-').next()?.parse().ok())
        .collect();
    assert!(spooled.len() >= 30);
    let _broker = Mosquitto::start_on(dir.path(), port, "allow_anonymous true\n");
    let got = subscriber(port);
    // Restarted with an input that yields nothing: only the spool is sent.
    let _b = agent(
        &data,
        port,
        &format!("tcp:127.0.0.1:{}", common::port::locked()),
        &[],
    );
    wait_for!(Duration::from_secs(60), || {
        let g = got.lock().expect("lock");
        spooled.iter().all(|s| g.iter().any(|(seq, _)| seq == s))
    });
    wait_for!(Duration::from_secs(30), || count() == 0);
}

/// A TCP relay to `to` whose answers start only after `delay`: a broker
/// across a slow link (its CONNACK arrives late). Counts connections.
fn slow_relay(to: u16, delay: Duration) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = connections.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let Ok(server) = TcpStream::connect(("127.0.0.1", to)) else {
                continue;
            };
            let pipe = |mut from: TcpStream, mut to: TcpStream, wait: Duration| {
                std::thread::spawn(move || {
                    std::thread::sleep(wait);
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            };
            let (c2, s2) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            pipe(client, server, Duration::ZERO);
            pipe(s2, c2, delay);
        }
    });
    (port, connections)
}

/// Regression: the MQTT event loop was polled inside the publisher's
/// select!, so a connection still waiting for its CONNACK was dropped
/// whenever a batch or a tick came first; over a slow link the agent never
/// connected (and each attempt published its "offline" will).
#[test]
fn a_slow_broker_link_still_connects_while_batches_keep_coming() {
    let dir = tempfile::tempdir().expect("tmp");
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let got = subscriber(port);
    let (relay, connections) = slow_relay(port, Duration::from_millis(1500));
    let mut a = agent_at(
        &dir.path().join("agent"),
        &format!("mqtt://127.0.0.1:{relay}"),
        &format!("file:{DATA}/long_flight.csv"),
        &["--dedup-window-ms", "0"],
        Stderr::Keep,
    );
    wait_for!(Duration::from_secs(60), || {
        unique_frames(&got.lock().expect("lock")) >= LONG_FLIGHT_ACCEPTED
    });
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one connection, not a reconnect loop"
    );
    let _ = a.child().kill();
}

/// A Beast recording carries no reception time: its frames are stamped as
/// they are read. Read at disk speed, a back-fill would pack them into a
/// second or two of reception time, and the collector would drop most of
/// it as a flood (`receiver_max_frames_per_s`). Paced, no second of
/// reception time holds more than the pace.
#[test]
fn a_beast_recording_is_paced_so_its_reception_times_are_not_a_flood() {
    const FRAMES: usize = 30_000;
    const PER_S: usize = 10_000;
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(format!("{DATA}/long_flight.csv")).expect("recording");
    let mut beast = Vec::new();
    for line in text.lines().take(FRAMES) {
        let (_, rx) = cloudradar_shared::format::csv::parse_line(line).expect("line");
        cloudradar_shared::format::beast::write(&rx, &mut beast);
    }
    let file = dir.path().join("capture.beast");
    std::fs::write(&file, &beast).expect("write");
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let got = subscriber_with(port, |b| {
        (b.seq, b.frames.iter().map(|f| f.rx_ms).collect::<Vec<_>>())
    });
    let _agent = agent(
        &dir.path().join("agent"),
        port,
        &format!("file:{}", file.display()),
        &[
            "--dedup-window-ms",
            "0",
            "--file-max-frames-per-s",
            &PER_S.to_string(),
        ],
    );
    // long_flight.csv has 4 frames failing the CRC in all.
    let unique = |got: &[(u64, Vec<u64>)]| {
        got.iter()
            .map(|(s, t)| (*s, t.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    wait_for!(Duration::from_secs(60), || {
        unique(&got.lock().expect("lock"))
            .values()
            .map(Vec::len)
            .sum::<usize>()
            >= FRAMES - 4
    });
    let mut per_second = std::collections::BTreeMap::<u64, usize>::new();
    for t in unique(&got.lock().expect("lock")).values().flatten() {
        *per_second.entry(t / 1000).or_default() += 1;
    }
    let busiest = per_second.values().max().copied().unwrap_or(0);
    assert!(
        busiest <= PER_S * 11 / 10,
        "{busiest} frames in one second of reception time (paced at {PER_S}/s): {per_second:?}"
    );
    assert!(per_second.len() >= FRAMES / PER_S, "{per_second:?}");
}
