//! Collector test support: starting the collector, a tiny HTTP client,
//! MQTT publishing of wire batches, a local S3 server; processes, ports,
//! waiting and Redis come from `cloudradar-test-support`.
#![allow(dead_code)]

pub mod archive_rows;
pub mod backfill;
pub mod file_agent;
pub mod pki;
pub mod scenario;
pub mod stored;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// Each test crate uses a different part of it.
use cloudradar_shared::Frame;
use cloudradar_shared::format::csv;
use cloudradar_shared::wire::{Batch, WireFrame, encode, frames_topic};
#[allow(unused_imports)]
pub use cloudradar_test_support::{Proc, Redis, port, wait_for};
use rumqttc::{Client, Event, MqttOptions, Outgoing, Packet, QoS};

pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// Ports and paths of one collector under test.
pub struct Collector {
    pub proc: Proc,
    pub http: u16,
    pub mqtt: u16,
}

/// Starts the collector binary with `args` and waits until `/readyz` says
/// ready. A port given as 0 is bound by the collector and read back from
/// its log (what [`Collector`] holds); a fixed one comes from
/// [`port::locked`], for a collector restarted on the same address.
pub fn start_collector(data_dir: &Path, mqtt: u16, http: u16, extra: &[&str]) -> Collector {
    start_collector_env(data_dir, mqtt, http, extra, &[])
}

/// [`start_collector`] with extra environment variables.
pub fn start_collector_env(
    data_dir: &Path,
    mqtt: u16,
    http: u16,
    extra: &[&str],
    envs: &[(&str, String)],
) -> Collector {
    start_collector_on("127.0.0.1", data_dir, mqtt, http, extra, envs)
}

/// [`start_collector_env`] with its MQTT listener on `mqtt_host`.
pub fn start_collector_on<S: AsRef<std::ffi::OsStr>>(
    mqtt_host: &str,
    data_dir: &Path,
    mqtt: u16,
    http: u16,
    extra: &[S],
    envs: &[(&str, String)],
) -> Collector {
    let mut proc = Proc::spawn(
        "collector",
        Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"))
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--http-listen")
            .arg(format!("127.0.0.1:{http}"))
            .arg("--mqtt-listen")
            .arg(format!("{mqtt_host}:{mqtt}"))
            .args(extra)
            .env("RUST_LOG", "info,rumqttd=warn")
            .stdout(Stdio::null()),
    );
    let http = bound_port(&mut proc, "http_addr");
    // With an external broker there is no embedded one listening.
    let external = extra.iter().any(|a| a.as_ref() == "--mqtt-url");
    let mqtt = if external {
        0
    } else {
        bound_port(&mut proc, "mqtt_addr")
    };
    wait_for!(
        Duration::from_secs(30),
        || get(http, "/readyz").map(|(s, _)| s == 200).unwrap_or(false),
        "the collector's /readyz to answer 200 (stderr:\n{})",
        proc.tail()
    );
    Collector { proc, http, mqtt }
}

/// The port of the address logged in `field` in the log file `log`,
/// waiting up to 30 s for the line.
pub fn logged_port(log: &Path, field: &str) -> u16 {
    let mut addr = None;
    wait_for!(
        Duration::from_secs(30),
        || {
            addr = std::fs::read_to_string(log).ok().and_then(|t| {
                t.lines()
                    .find_map(|l| cloudradar_test_support::log_field(l, field))
            });
            addr.is_some()
        },
        "{field}= in {}",
        log.display()
    );
    let addr = addr.unwrap_or_default();
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or_else(|| panic!("{field}={addr} is not an address"))
}

/// The port of the address a process logged in `field` (`0.0.0.0:p` or
/// `127.0.0.1:p`).
pub fn bound_port(proc: &mut Proc, field: &str) -> u16 {
    let addr = proc.wait_for_field(field, Duration::from_secs(30));
    let port = addr.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
    port.unwrap_or_else(|| panic!("{field}={addr} is not an address"))
}

/// HTTP GET on loopback: (status, body).
pub fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    get_with(port, path, &[])
}

/// HTTP GET with extra headers.
pub fn get_with(port: u16, path: &str, headers: &[(&str, &str)]) -> std::io::Result<(u16, String)> {
    request(port, "GET", path, headers)
}

/// An HTTP request without a body: (status, body).
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    // Chunked bodies: strip the chunk sizes.
    let body = if text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    Ok((status, body))
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

/// Receptions stored, from `/api/v1/stats` (-1 when unreadable).
pub fn receptions(http: u16) -> i64 {
    get_json(http, "/api/v1/stats")["totals"]["receptions"]
        .as_i64()
        .unwrap_or(-1)
}

/// Batches the collector's store has committed, applied or recognised as
/// duplicates (what it has finished with), from its `/metrics`.
pub fn batches_committed(http: u16) -> f64 {
    let text = get(http, "/metrics").map(|(_, t)| t).unwrap_or_default();
    ["stored", "duplicate"]
        .iter()
        .filter_map(|k| scenario::metric(&text, &format!("cloudradar_collector_batches_{k}_total")))
        .sum()
}

/// Whether Redis holds nothing for the collector: the stream is empty (a
/// processed entry is deleted) and nothing is pending.
pub fn redis_idle(redis: &Redis) -> bool {
    let run = |args: &[&str]| -> Option<String> {
        let o = redis.cli().args(args).output().ok()?;
        Some(String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let len = run(&["XLEN", "cloudradar:batches"]);
    // XPENDING's summary starts with the count.
    let pending = run(&["XPENDING", "cloudradar:batches", "cloudradar"]);
    len.as_deref() == Some("0")
        && pending.is_some_and(|p| p.lines().next().map(str::trim) == Some("0"))
}

/// GET returning parsed JSON.
pub fn get_json(port: u16, path: &str) -> serde_json::Value {
    let (status, body) = get(port, path).expect("GET");
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// The first `n` frames of long_flight.csv with their times (ms), shifted
/// so the recording ends now (the live view only shows current aircraft).
pub fn recording(n: usize) -> Vec<(u64, cloudradar_shared::format::Received)> {
    let frames: Vec<(u64, cloudradar_shared::format::Received)> =
        std::fs::read_to_string(format!("{DATA}/long_flight.csv"))
            .expect("recording")
            .lines()
            .take(n)
            .map(|l| {
                let (t, r) = csv::parse_line(l).expect("line");
                ((t * 1000.0) as u64, r)
            })
            .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let shift = now - frames.last().map(|(t, _)| *t).unwrap_or(now);
    frames.into_iter().map(|(t, r)| (t + shift, r)).collect()
}

/// Batches of `per_batch` frames for `receiver`, seqs from `first_seq`.
pub fn batches(
    receiver: &str,
    frames: &[(u64, cloudradar_shared::format::Received)],
    per_batch: usize,
    first_seq: u64,
) -> Vec<Batch> {
    frames
        .chunks(per_batch)
        .enumerate()
        .map(|(i, chunk)| Batch {
            receiver_id: receiver.to_string(),
            seq: first_seq + i as u64,
            created_ms: chunk.last().map(|(t, _)| *t).unwrap_or(0),
            frames: chunk
                .iter()
                .map(|(t, r)| WireFrame {
                    rx_ms: *t,
                    timestamp: r.timestamp,
                    signal: r.signal,
                    frame: r.frame,
                })
                .collect(),
        })
        .collect()
}

/// Publishes payloads at QoS 1 to `topic`s and waits for every PubAck,
/// as an agent does it when the broker drops its session: reconnect and
/// send again what was not acknowledged (the collector keeps a batch
/// once, and a status again is the same status). rumqttd 0.20 reuses
/// connection ids, and the late teardown of a session that just ended
/// under the same client id (an agent just stopped, or the previous
/// publish) now and then closes the new one ("no-connection id 1 is
/// already gone", about 1 run in 40 under load). Up to 5 tries; any other
/// error (a refusal, a broker that is not there) is returned at once.
pub fn publish(
    port: u16,
    client_id: &str,
    creds: Option<(&str, &str)>,
    msgs: &[(String, Vec<u8>)],
) -> Result<(), String> {
    let mut tries = 0;
    loop {
        match publish_once(port, client_id, creds, msgs) {
            Err(e) if e.starts_with("connection lost") && tries < 4 => tries += 1,
            other => return other,
        }
    }
}

/// One connection of [`publish`]: `Err` with the broker's refusal if the
/// connection is refused, "connection lost …" if it drops.
fn publish_once(
    port: u16,
    client_id: &str,
    creds: Option<(&str, &str)>,
    msgs: &[(String, Vec<u8>)],
) -> Result<(), String> {
    let mut opts = MqttOptions::new(client_id, "127.0.0.1", port);
    opts.set_max_packet_size(4 << 20, 4 << 20);
    opts.set_keep_alive(Duration::from_secs(10));
    if let Some((u, p)) = creds {
        opts.set_credentials(u, p);
    }
    // Room for every request: publishing happens inside the event loop's
    // iteration, so a full request queue would block it for good.
    let (client, mut conn) = Client::new(opts, msgs.len() + 10);
    let mut sent = 0;
    let mut acked = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut iter = conn.iter();
    let mut connected = false;
    while acked < msgs.len() {
        if Instant::now() > deadline {
            return Err(format!("timed out: {acked}/{} acked", msgs.len()));
        }
        match iter.next() {
            Some(Ok(Event::Incoming(Packet::ConnAck(a)))) => {
                if a.code != rumqttc::ConnectReturnCode::Success {
                    return Err(format!("refused: {:?}", a.code));
                }
                connected = true;
                for (topic, payload) in msgs {
                    client
                        .publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
                        .map_err(|e| e.to_string())?;
                    sent += 1;
                }
            }
            Some(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Some(Ok(Event::Outgoing(Outgoing::Publish(_)))) => {}
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                if !connected {
                    return Err(format!("connection failed: {e}"));
                }
                return Err(format!("connection lost after {sent} sent: {e}"));
            }
            None => return Err("event loop ended".into()),
        }
    }
    // Send the DISCONNECT before the socket closes: a session dropped
    // without one stays open in the broker until it notices, and a
    // reconnect under the same client id then races with it (rumqttd
    // 0.20 dropped the new connection: "Duplicate client_id").
    let _ = client.disconnect();
    for event in iter {
        match event {
            Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
            _ if Instant::now() > deadline => break,
            _ => {}
        }
    }
    Ok(())
}

/// The 12 MHz timestamp of a [`marker`] frame; no test's recording has it.
pub const MARKER_TIMESTAMP: u64 = 0xFFFF_FFFF_FFF0;

/// A one-frame batch `seq` from `receiver` (an identification message
/// from `address`, received now) that a test publishes behind everything
/// else: the broker and the collector keep one client's order, so once it
/// is stored every message before it has been stored or dropped.
pub fn marker(receiver: &str, seq: u64, address: u32) -> Vec<(String, Vec<u8>)> {
    use cloudradar_shared::encode::{bds20, df17};
    let now_ms = cloudradar_shared::time::now_ms();
    let frame = cloudradar_shared::format::Received {
        frame: df17(address, 5, bds20("MARKER00")),
        timestamp: MARKER_TIMESTAMP,
        signal: 0,
    };
    encoded(&batches(receiver, &[(now_ms, frame)], 1, seq))
}

/// Encoded batches ready to publish.
pub fn encoded(batches: &[Batch]) -> Vec<(String, Vec<u8>)> {
    batches
        .iter()
        .map(|b| (frames_topic(&b.receiver_id), encode(b)))
        .collect()
}

/// A frame from hex (test convenience).
pub fn frame(hex: &str) -> Frame {
    Frame::from_hex(hex).expect("hex")
}

/// A local S3-compatible server (`s3s-fs`, installed by `scripts/test.sh`
/// into `target/tools/bin`) with one bucket and fixed credentials.
pub struct S3 {
    pub proc: Proc,
    pub port: u16,
    pub root: std::path::PathBuf,
}

/// Credentials the test S3 server accepts.
pub const S3_KEY: &str = "cloudradar-test-key";
/// Secret for [`S3_KEY`].
pub const S3_SECRET: &str = "cloudradar-test-secret";

/// Environment for the collector's S3 settings (backups and archive).
pub fn s3_env(s3: &S3, bucket: &str, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CLOUDRADAR_BACKUP_BUCKET", bucket.to_string()),
        ("CLOUDRADAR_BACKUP_ENDPOINT", s3.url()),
        ("CLOUDRADAR_BACKUP_PATH_STYLE", "true".to_string()),
        ("AWS_ACCESS_KEY_ID", S3_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ]
}

impl S3 {
    /// Starts the server with `bucket` created, on a port it binds itself
    /// and reports.
    pub fn start(root: &Path, bucket: &str) -> Self {
        Self::start_on(root, bucket, 0)
    }

    /// [`S3::start`] on `port` (0: any), e.g. the port of a server the
    /// test stopped, so clients configured with it reach the new one.
    pub fn start_on(root: &Path, bucket: &str, port: u16) -> Self {
        let bin = std::env::var("S3S_FS").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../target/tools/bin/s3s-fs").to_string()
        });
        std::fs::create_dir_all(root.join(bucket)).expect("bucket dir");
        assert!(
            Path::new(&bin).exists(),
            "{bin} is missing (scripts/test.sh installs it)"
        );
        let mut proc = Proc::spawn_with_stdout(
            "s3s-fs",
            Command::new(&bin)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", S3_KEY, "--secret-key", S3_SECRET])
                .arg(root)
                .env("RUST_LOG", "info"),
        );
        // "INFO s3s_fs: server is running at http://127.0.0.1:41519"
        let line = proc.wait_for_line("server is running at", Duration::from_secs(20));
        let port = line
            .rsplit_once(':')
            .and_then(|(_, p)| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Self {
            proc,
            port,
            root: root.to_path_buf(),
        }
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
