//! The agent's inputs against real parts: a TCP feed that goes away and
//! comes back, a serial receiver unplugged and plugged in again (socat
//! ptys), a stream full of garbage, cut-off and damaged frames, and SIGTERM
//! flushing the batch still open.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloudradar_shared::format::{Received, beast, csv};
use common::{
    DATA, Mosquitto, Proc, agent, http_port, mosquitto, port, socat_pair, subscriber_with, wait_for,
};

/// Lines `from..to` of long_flight.csv (pyModeS: every frame of lines
/// 101-2100 passes the CRC).
fn recorded(from: usize, to: usize) -> Vec<Received> {
    std::fs::read_to_string(format!("{DATA}/long_flight.csv"))
        .expect("recording")
        .lines()
        .skip(from)
        .take(to - from)
        .map(|l| csv::parse_line(l).expect("line").1)
        .collect()
}

fn as_beast(frames: &[Received]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        beast::write(f, &mut out);
    }
    out
}

/// Every distinct message the broker got, as bytes.
type Seen = Arc<Mutex<HashSet<Vec<u8>>>>;

fn seen(port: u16) -> Seen {
    let all = subscriber_with(port, |b| {
        b.frames
            .iter()
            .map(|f| f.frame.as_bytes().to_vec())
            .collect::<Vec<_>>()
    });
    let set: Seen = Arc::default();
    let out = set.clone();
    std::thread::spawn(move || {
        loop {
            let batches: Vec<Vec<Vec<u8>>> = std::mem::take(&mut *all.lock().expect("lock"));
            out.lock()
                .expect("lock")
                .extend(batches.into_iter().flatten());
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    set
}

fn all_seen(seen: &Seen, frames: &[Received]) -> bool {
    let s = seen.lock().expect("lock");
    frames.iter().all(|f| s.contains(f.frame.as_bytes()))
}

/// The sum of every series of `name` on the agent's /metrics.
fn metric(http: u16, name: &str) -> f64 {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", http)) else {
        return 0.0;
    };
    let _ = s.write_all(b"GET /metrics HTTP/1.0\r\nHost: agent\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with([' ', '{']))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Mosquitto with a subscriber, and a Beast feed (a listening socket) for
/// one agent to read.
struct Site {
    dir: tempfile::TempDir,
    mqtt: u16,
    _broker: Mosquitto,
    seen: Seen,
    listener: Option<TcpListener>,
    feed: u16,
    http: u16,
}

impl Site {
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let broker = mosquitto(dir.path(), "allow_anonymous true\n");
        let mqtt = broker.port;
        // The feed goes away and comes back on the same port: the agent
        // keeps the address it was given.
        let feed = port::locked();
        let listener = TcpListener::bind(("127.0.0.1", feed)).expect("bind the feed");
        Self {
            seen: seen(mqtt),
            dir,
            mqtt,
            _broker: broker,
            listener: Some(listener),
            feed,
            http: 0,
        }
    }

    /// The agent reading the feed, closing batches after `batch_ms`, its
    /// /metrics on `self.http`.
    fn agent(&mut self, batch_ms: u64) -> Proc {
        let mut a = agent(
            &self.dir.path().join("agent"),
            self.mqtt,
            &format!("tcp:127.0.0.1:{}:beast", self.feed),
            &[
                "--dedup-window-ms",
                "0",
                "--batch-interval-ms",
                &batch_ms.to_string(),
                "--http-listen",
                "127.0.0.1:0",
            ],
        );
        self.http = http_port(&mut a);
        a
    }

    /// The agent's connection to the feed.
    fn accept(&self) -> TcpStream {
        let listener = self.listener.as_ref().expect("feed listening");
        listener.accept().expect("agent connects").0
    }
}

#[test]
fn a_tcp_feed_that_goes_away_and_comes_back_is_read_again() {
    let mut site = Site::start();
    let _agent = site.agent(100);
    let (before, after) = (recorded(100, 1_100), recorded(1_100, 2_100));
    let mut conn = site.accept();
    conn.write_all(&as_beast(&before)).expect("write");
    wait_for!(Duration::from_secs(30), || all_seen(&site.seen, &before));
    // The receiver goes away: connection and listening socket both closed,
    // so the agent's reconnects are refused for a while.
    drop(conn);
    site.listener = None;
    std::thread::sleep(Duration::from_secs(2));
    site.listener = Some(TcpListener::bind(("127.0.0.1", site.feed)).expect("rebind"));
    site.accept().write_all(&as_beast(&after)).expect("write");
    wait_for!(Duration::from_secs(30), || all_seen(&site.seen, &after));
}

#[test]
fn a_serial_receiver_unplugged_and_plugged_back_is_read_again() {
    let dir = tempfile::tempdir().expect("tmp");
    let (tty_rx, tty_agent) = (
        dir.path().join("tty-receiver"),
        dir.path().join("tty-agent"),
    );
    let socat = socat_pair(&tty_rx, &tty_agent);
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let mqtt = broker.port;
    let seen = seen(mqtt);
    let _agent = agent(
        &dir.path().join("agent"),
        mqtt,
        &format!("serial:{}:115200:beast", tty_agent.display()),
        &["--dedup-window-ms", "0", "--batch-interval-ms", "100"],
    );
    let (before, after) = (recorded(100, 1_100), recorded(1_100, 2_100));
    // Written until they arrive: bytes written before the agent has the
    // port open are not kept by the pty.
    let write_until_seen = |frames: &[Received]| {
        let bytes = as_beast(frames);
        wait_for!(Duration::from_secs(60), || {
            if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open(&tty_rx) {
                let _ = tty.write_all(&bytes);
            }
            std::thread::sleep(Duration::from_secs(2));
            all_seen(&seen, frames)
        });
    };
    write_until_seen(&before);
    // Unplugged: the device node goes away, the open port fails.
    drop(socat);
    wait_for!(Duration::from_secs(10), || !tty_agent.exists());
    std::thread::sleep(Duration::from_secs(2));
    let _socat = socat_pair(&tty_rx, &tty_agent);
    write_until_seen(&after);
}

#[test]
fn a_corrupt_and_truncated_stream_is_counted_and_resynchronised() {
    let mut site = Site::start();
    let _agent = site.agent(100);
    let good = recorded(100, 1_100);
    // Between good frames: noise, a frame cut off half way, and a DF17
    // with three bits flipped (beyond single-bit repair).
    let mut bytes = Vec::new();
    let mut damaged = Vec::new();
    for (i, f) in good.iter().enumerate() {
        match i % 50 {
            10 => bytes.extend_from_slice(b"\x00\xffnoise\x1a\x1a\x42"),
            20 => {
                let mut cut = Vec::new();
                beast::write(f, &mut cut);
                bytes.extend_from_slice(&cut[..cut.len() / 2]);
            }
            _ if i % 13 == 0 && f.frame.as_bytes()[0] >> 3 == 17 => {
                let mut m = f.frame.as_bytes().to_vec();
                for bit in [9usize, 40, 77] {
                    m[bit / 8] ^= 0x80 >> (bit % 8);
                }
                let mut bad = *f;
                bad.frame = cloudradar_shared::frame::Frame::new(&m).expect("frame");
                beast::write(&bad, &mut bytes);
                damaged.push(m);
            }
            _ => {}
        }
        beast::write(f, &mut bytes);
    }
    let mut conn = site.accept();
    // Written in odd-sized pieces, so frames also straddle reads.
    for piece in bytes.chunks(997) {
        conn.write_all(piece).expect("write");
    }
    wait_for!(Duration::from_secs(30), || all_seen(&site.seen, &good));
    assert!(!damaged.is_empty());
    let s = site.seen.lock().expect("lock");
    assert!(
        damaged.iter().all(|m| !s.contains(m)),
        "damaged frame passed"
    );
    let distinct: HashSet<&[u8]> = good.iter().map(|f| f.frame.as_bytes()).collect();
    assert_eq!(s.len(), distinct.len(), "nothing but the good frames");
    drop(s);
    wait_for!(Duration::from_secs(10), || {
        metric(site.http, "cloudradar_agent_garbage_bytes_total") > 0.0
            && metric(site.http, "cloudradar_agent_frames_rejected_total") >= damaged.len() as f64
    });
}

#[test]
fn sigterm_flushes_the_open_batch() {
    let mut site = Site::start();
    // A batch would stay open for ten minutes.
    let mut a = site.agent(600_000);
    let frames = recorded(100, 600);
    site.accept().write_all(&as_beast(&frames)).expect("write");
    wait_for!(Duration::from_secs(30), || {
        metric(site.http, "cloudradar_agent_frames_accepted_total") >= frames.len() as f64
    });
    assert!(
        site.seen.lock().expect("lock").is_empty(),
        "nothing sent yet"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &a.id().to_string()])
        .status();
    let status = a.child().wait().expect("agent exits");
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    wait_for!(Duration::from_secs(10), || all_seen(&site.seen, &frames));
}
