//! Agent test harness: Mosquitto, a subscriber collecting every batch, the
//! agent binary as a child process; processes, ports and waiting come from
//! `cloudradar-test-support`.
#![allow(dead_code)] // each test crate uses a different part of it

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// Each test crate uses a different part of it.
use cloudradar_shared::wire::{Batch, Limits, decode};
#[allow(unused_imports)]
pub use cloudradar_test_support::{Mosquitto, Proc, port, wait_for};
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// Mosquitto on a port of its own, anyone allowed unless `extra` says
/// otherwise; `extra` follows its listener line.
/// The offset saved for the (only) file input, if any.
pub fn saved_offset(inputs: &Path) -> Option<u64> {
    let entry = std::fs::read_dir(inputs)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".pos"))?;
    let text = std::fs::read_to_string(entry.path()).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

pub fn mosquitto(dir: &Path, extra: &str) -> Mosquitto {
    Mosquitto::start(dir, extra)
}

/// Mosquitto that keeps sessions (and the messages queued for them) in
/// `dir` across a graceful restart, so a subscriber's session outlives the
/// broker going down. `user root`: started as root, Mosquitto would switch
/// to its own user and could not write the file (no effect otherwise).
pub fn mosquitto_persistent(dir: &Path) -> Mosquitto {
    mosquitto(
        dir,
        &format!(
            "allow_anonymous true\npersistence true\npersistence_location {}/\nuser root\n",
            dir.display()
        ),
    )
}

/// Subscribes to every batch; returns (seq -> frame count) as received, in arrival order.
pub fn subscriber(port: u16) -> Arc<Mutex<Vec<(u64, usize)>>> {
    subscriber_with(port, |b| (b.seq, b.frames.len()))
}

/// Subscribes to every batch; returns what `keep` takes of each, in arrival order.
pub fn subscriber_with<T: Send + 'static>(
    port: u16,
    keep: impl Fn(&Batch) -> T + Send + 'static,
) -> Arc<Mutex<Vec<T>>> {
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let mut opts = MqttOptions::new("test-sub", "127.0.0.1", port);
    opts.set_max_packet_size(4 << 20, 4 << 20);
    opts.set_clean_session(false);
    let (client, mut conn) = Client::new(opts, 100);
    let ready = Arc::new(Mutex::new(false));
    let r = ready.clone();
    std::thread::spawn(move || {
        for e in conn.iter() {
            match e {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.subscribe("cloudradar/v1/+/frames", QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => *r.lock().expect("lock") = true,
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if let Ok(b) = decode(&p.payload, &Limits::default()) {
                        sink.lock().expect("lock").push(keep(&b));
                    }
                }
                Ok(_) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    });
    wait_for!(Duration::from_secs(10), || *ready.lock().expect("lock"));
    got
}

pub fn agent(data: &Path, mqtt: u16, inputs: &str, extra: &[&str]) -> Proc {
    agent_at(
        data,
        &format!("mqtt://127.0.0.1:{mqtt}"),
        inputs,
        extra,
        Stderr::Keep,
    )
}

/// The agent publishing to `url`, its stderr going to `stderr`. Its peer
/// in these tests is a broker and a plain subscriber, no collector, so a
/// batch is delivered when the broker acknowledges it
/// (`--delivery broker`) unless `extra` says otherwise; `tests/confirm.rs`
/// covers the collector's confirmations.
pub fn agent_at(data: &Path, url: &str, inputs: &str, extra: &[&str], stderr: Stderr) -> Proc {
    let delivery: &[&str] = if extra.contains(&"--delivery") {
        &[]
    } else {
        &["--delivery", "broker"]
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudradar-agent"));
    cmd.args(["--receiver-id", "rx-test", "--mqtt-url", url])
        .arg("--data-dir")
        .arg(data)
        .args(["--input", inputs])
        .args(delivery)
        .args(extra)
        // The HTTP endpoint's bound address, for tests that bind port 0.
        .env("RUST_LOG", "warn,cloudradar_agent::http=info")
        .stdout(Stdio::null());
    match stderr {
        Stderr::Keep => Proc::spawn("agent", &mut cmd),
        Stderr::To(to) => Proc::adopt(
            "agent",
            cmd.stderr(to)
                .spawn()
                .unwrap_or_else(|e| panic!("agent: {e}")),
        ),
    }
}

/// Where an agent's stderr goes.
#[derive(Debug)]
pub enum Stderr {
    /// Kept by its [`Proc`] (read with `wait_for_line`, printed on failure).
    Keep,
    /// Elsewhere.
    To(Stdio),
}

/// The port of the agent's HTTP endpoint (started with
/// `--http-listen 127.0.0.1:0`), from its log.
pub fn http_port(a: &mut Proc) -> u16 {
    let addr = a.wait_for_field("http_addr", Duration::from_secs(10));
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("http_addr={addr} is not an address"))
}

/// Waits until the subscriber `got` has every accepted frame of the
/// recording, checks none is missing or extra, and returns what arrived.
/// Batches go out in sequence order, so an extra one (a frame the agent
/// should have dropped) would be counted by the time the last arrives.
pub fn whole_recording_arrives(
    got: &Mutex<Vec<(u64, usize)>>,
    timeout: Duration,
) -> Vec<(u64, usize)> {
    let end = Instant::now() + timeout;
    while unique_frames(&got.lock().expect("lock")) < LONG_FLIGHT_ACCEPTED {
        if Instant::now() > end {
            let got = got.lock().expect("lock");
            panic!(
                "{} of {LONG_FLIGHT_ACCEPTED} frames in {} batches (seq {:?}..{:?}) within {timeout:?}",
                unique_frames(&got),
                got.len(),
                got.iter().map(|g| g.0).min(),
                got.iter().map(|g| g.0).max()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let got = got.lock().expect("lock").clone();
    assert_eq!(unique_frames(&got), LONG_FLIGHT_ACCEPTED);
    got
}

pub fn unique_frames(got: &[(u64, usize)]) -> usize {
    got.iter()
        .copied()
        .collect::<BTreeMap<u64, usize>>()
        .values()
        .sum()
}

/// Frames of the CSV recording that pass the CRC (what the agent accepts).
/// pyModeS 3.6 counts 4 DF11 in long_flight.csv whose parity is not an
/// interrogator code, and none of them becomes valid by flipping one bit
/// (checked with pyModeS.util.crc), so 172,432 - 4 pass.
pub const LONG_FLIGHT_ACCEPTED: usize = 172_428;

/// A socat pty pair: the receiver writes to `receiver`, the agent opens
/// `agent` as its serial device.
pub fn socat_pair(receiver: &Path, agent: &Path) -> Proc {
    let mut p = Proc::spawn(
        "socat",
        Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", receiver.display()))
            .arg(format!("pty,raw,echo=0,link={}", agent.display()))
            .stdout(Stdio::null()),
    );
    wait_for!(
        Duration::from_secs(10),
        || (receiver.exists() && agent.exists()) || p.exited().is_some(),
        "socat's ptys {} and {}",
        receiver.display(),
        agent.display()
    );
    assert!(p.exited().is_none(), "socat exited: {}", p.tail());
    p
}

/// The first `lines` frames of the recording as a CSV file in `dir`.
pub fn recording_excerpt(dir: &Path, lines: usize) -> std::path::PathBuf {
    use std::io::{BufRead, Write};
    let excerpt = dir.join("excerpt.csv");
    let mut out = std::fs::File::create(&excerpt).expect("excerpt");
    let recording = std::fs::File::open(format!("{DATA}/long_flight.csv")).expect("recording");
    for line in std::io::BufReader::new(recording).lines().take(lines) {
        writeln!(out, "{}", line.expect("line")).expect("write");
    }
    excerpt
}
