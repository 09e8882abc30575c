//! Whole-system fault scenarios: the simulator (fixed seed, small fleet,
//! ground truth file) feeding one real agent per receiver over Beast TCP,
//! agents publishing to a broker (the collector's embedded one or
//! Mosquitto), the collector with Redis, SQLite at the end. A test starts a
//! [`Scenario`], injects its fault, stops the traffic, waits until every
//! agent's spool is empty and the collector idle, then [`Scenario::reconcile`]s
//! what SQLite holds with what the agents accepted and with the
//! simulator's truth.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cloudradar_shared::Frame;
use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::wire::{self, Limits};

use super::*;

/// A workspace binary next to this test's executable, built if missing
/// (`cargo test -p cloudradar-collector` alone does not build the others;
/// `cargo test --workspace` does, with the workspace's features).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .join(name);
    // One build at a time: tests in this binary may ask together.
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            // Each binary is its own package's, named alike (a bare `--bin`
            // only looks in the collector's package).
            .args(["build", "-p", name, "--bin", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build");
        assert!(status.success(), "building {name}");
    }
    bin
}

/// The value of one series in Prometheus text (`name` or `name{labels}`),
/// `None` when absent.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().ok()).flatten()
    })
}

/// A metric of the process serving `/metrics` on `port` (0 when absent or unreachable).
pub fn scrape(port: u16, series: &str) -> f64 {
    scrape_at("127.0.0.1", port, series)
}

/// [`scrape`] of a process on `host`.
pub fn scrape_at(host: &str, port: u16, series: &str) -> f64 {
    metrics_at(host, port)
        .and_then(|text| metric(&text, series))
        .unwrap_or(0.0)
}

/// The `/metrics` text of the process on `host:port`, if it answers.
pub fn metrics_at(host: &str, port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let addr: std::net::SocketAddr = format!("{host}:{port}").parse().ok()?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    let (head, body) = buf.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// A network namespace joined to the host by a veth pair: a receiver
/// site whose link to the collector can be cut. Removed when dropped.
pub struct Netns {
    pub name: String,
    host_if: String,
    /// The host's address on the link (where the collector is reached).
    pub host_ip: String,
    /// The namespace's address on the link.
    pub ns_ip: String,
}

impl Netns {
    /// Creates the namespace and the link, or says why it cannot.
    pub fn create() -> Result<Self, String> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let id = std::process::id() % 10_000;
        let subnet = format!("10.201.{}", (std::process::id() + n) % 250);
        let ns = Self {
            name: format!("cloudradar-test-{id}-{n}"),
            host_if: format!("cr{id}h{n}"),
            host_ip: format!("{subnet}.1"),
            ns_ip: format!("{subnet}.2"),
        };
        let ns_if = format!("cr{id}a{n}");
        let steps: Vec<Vec<&str>> = vec![
            vec!["netns", "add", &ns.name],
            vec![
                "link",
                "add",
                &ns.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &ns_if,
            ],
            vec!["link", "set", &ns_if, "netns", &ns.name],
        ];
        let host_cidr = format!("{}/30", ns.host_ip);
        let ns_cidr = format!("{}/30", ns.ns_ip);
        let in_ns: Vec<Vec<&str>> = vec![
            vec!["addr", "add", &ns_cidr, "dev", &ns_if],
            vec!["link", "set", &ns_if, "up"],
            vec!["link", "set", "lo", "up"],
        ];
        let run = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("ip")
                .args(args)
                .output()
                .map_err(|e| format!("running ip: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "ip {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        for step in &steps {
            run(step)?;
        }
        run(&["addr", "add", &host_cidr, "dev", &ns.host_if])?;
        run(&["link", "set", &ns.host_if, "up"])?;
        for step in &in_ns {
            let mut args = vec!["netns", "exec", &ns.name, "ip"];
            args.extend(step);
            run(&args)?;
        }
        Ok(ns)
    }

    /// A command running `program` inside the namespace.
    pub fn command(&self, program: &Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }

    /// Cuts (`true`) or restores the link: the host's end goes down, so
    /// packets both ways are dropped without an error to either side.
    pub fn cut(&self, cut: bool) {
        let state = if cut { "down" } else { "up" };
        let status = Command::new("ip")
            .args(["link", "set", &self.host_if, state])
            .status()
            .expect("ip");
        assert!(status.success(), "ip link set {} {state}", self.host_if);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// A namespace for a network-cut test, or `None` (with the reason
/// printed) where the environment refuses one; `CLOUDRADAR_REQUIRE_NETNS=1`
/// (CI) makes that a failure instead.
pub fn netns_or_skip(test: &str) -> Option<Netns> {
    match Netns::create() {
        Ok(ns) => Some(ns),
        Err(reason) => {
            assert!(
                std::env::var("CLOUDRADAR_REQUIRE_NETNS").as_deref() != Ok("1"),
                "{test}: network namespaces are required (CLOUDRADAR_REQUIRE_NETNS=1) but unavailable: {reason}"
            );
            eprintln!(
                "{test}: SKIPPED, network namespaces unavailable ({reason}; needs root and iproute2)"
            );
            None
        }
    }
}

/// `program` on the host or inside `netns`.
fn command(netns: Option<&Netns>, program: &Path) -> Command {
    match netns {
        Some(ns) => ns.command(program),
        None => Command::new(program),
    }
}

/// The shipped `deploy/mosquitto/mosquitto.conf`.
pub const MOSQUITTO_CONF: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../deploy/mosquitto/mosquitto.conf"
);
/// The shipped `deploy/mosquitto/acl`.
pub const MOSQUITTO_ACL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/mosquitto/acl");

/// Settings a test replaces in the shipped configuration: where it listens,
/// where its files are, who may log in, how it logs.
const TEST_OWNS: &[&str] = &[
    "listener",
    "certfile",
    "keyfile",
    "cafile",
    "user",
    "persistence_location",
    "allow_anonymous",
    "password_file",
    "acl_file",
    "log_dest",
];

/// The shipped configuration without the settings a test owns and `drop`
/// (comments and blank lines left out).
fn shipped_settings(drop: &[&str]) -> String {
    let text = std::fs::read_to_string(MOSQUITTO_CONF).expect("deploy/mosquitto/mosquitto.conf");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| {
            let key = l.split_whitespace().next().unwrap_or_default();
            !TEST_OWNS.contains(&key) && !drop.contains(&key)
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

pub use cloudradar_test_support::Mosquitto;

/// Mosquitto with the shipped settings and anyone allowed, but without
/// `use_username_as_clientid` (which refuses clients without a user name,
/// as the anonymous scenarios' are).
pub fn mosquitto(dir: &Path) -> Mosquitto {
    mosquitto_conf(dir, "allow_anonymous true\n", &["use_username_as_clientid"])
}

/// Mosquitto with `access` as its access settings (`allow_anonymous`,
/// `password_file`, `acl_file`) and every shipped setting.
pub fn mosquitto_with(dir: &Path, access: &str) -> Mosquitto {
    mosquitto_conf(dir, access, &[])
}

/// Mosquitto that keeps sessions and queued messages in `dir` across a
/// graceful restart (a production broker persists: without it, batches
/// acknowledged to agents while the collector's session was down would be
/// gone). Started as root, Mosquitto switches to the `mosquitto` user
/// unless told `user root`, and then cannot write its database into the
/// test's directory: it logs an error on the way out and every session is
/// lost (this made the scenario lose batches).
fn mosquitto_conf(dir: &Path, access: &str, drop: &[&str]) -> Mosquitto {
    Mosquitto::start(
        dir,
        &format!(
            "user root\npersistence_location {}/\n{access}{}",
            dir.display(),
            shipped_settings(drop),
        ),
    )
}

/// One transmission of the ground truth.
#[derive(Debug, Clone)]
pub struct Transmission {
    /// Simulated time, seconds.
    pub t: f64,
    /// Transmitting aircraft (hex).
    pub icao: String,
    /// The frame as sent.
    pub raw: Vec<u8>,
    /// Receivers that heard it, with the bits noise flipped.
    pub heard: Vec<(String, u8)>,
}

/// The simulator's truth file: every transmission, in time order.
pub fn read_truth(path: &Path) -> Vec<Transmission> {
    let text = std::fs::read_to_string(path).expect("truth file");
    let mut out: Vec<Transmission> = text
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("truth JSON line");
            (v["type"] == "frame").then(|| Transmission {
                t: v["t"].as_f64().expect("t"),
                icao: v["icao"].as_str().expect("icao").to_string(),
                raw: Frame::from_hex(v["raw"].as_str().expect("raw"))
                    .expect("raw hex")
                    .as_bytes()
                    .to_vec(),
                heard: v["heard"]
                    .as_array()
                    .expect("heard")
                    .iter()
                    .map(|h| {
                        (
                            h[0].as_str().expect("receiver").to_string(),
                            h[1].as_u64().expect("flipped") as u8,
                        )
                    })
                    .collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// The simulator as a child process, its Beast servers on free ports.
pub struct Sim {
    pub proc: Proc,
    /// Per receiver: id, Beast address, latitude, longitude.
    pub receivers: Vec<(String, String, f64, f64)>,
    pub truth: PathBuf,
}

impl Sim {
    /// Starts `receivers` receivers and `aircraft` aircraft at `speed`
    /// times real time, seed `seed`; returns once every server listens.
    pub fn start(
        dir: &Path,
        netns: Option<&Netns>,
        seed: u64,
        aircraft: usize,
        receivers: usize,
        speed: f64,
    ) -> Self {
        let truth = dir.join("truth.jsonl");
        let mut child = command(netns, &workspace_bin("cloudradar-sim"))
            .args(["--seed", &seed.to_string()])
            .args(["--aircraft", &aircraft.to_string()])
            .args(["--receivers", &receivers.to_string()])
            .args(["--speed", &speed.to_string()])
            .args(["--beast-port-base", "0"])
            // Check (c) reads a reception's send time from its timestamp:
            // the perfect shared clock, not per-receiver counters.
            .args(["--clock", "ideal"])
            // A bound in case the test dies without killing it.
            .args(["--duration-s", "3600"])
            .arg("--truth")
            .arg(&truth)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("simulator");
        let stdout = child.stdout.take().expect("simulator stdout");
        let proc = Proc::adopt("simulator", child);
        let mut found = Vec::new();
        // "receiver sim-1 at 52.3086,4.7639 height 10.0: beast 127.0.0.1:40001 avr 127.0.0.1:40002"
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.expect("simulator output");
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["receiver", id, "at", pos, "height", _, "beast", beast, ..] = words.as_slice() {
                let (lat, lon) = pos.split_once(',').expect("receiver position");
                found.push((
                    id.to_string(),
                    beast.to_string(),
                    lat.parse().expect("lat"),
                    lon.parse().expect("lon"),
                ));
            }
            if found.len() == receivers {
                break;
            }
        }
        assert_eq!(found.len(), receivers, "simulator listed its receivers");
        Self {
            proc,
            receivers: found,
            truth,
        }
    }

    /// Ends the traffic (SIGTERM: the truth file is flushed) and reads the truth.
    pub fn stop(&mut self) -> Vec<Transmission> {
        self.proc.terminate().expect("simulator stops on SIGTERM");
        read_truth(&self.truth)
    }
}

/// One agent process for one simulated receiver.
pub struct Agent {
    pub id: String,
    pub proc: Option<Proc>,
    /// Where its `/metrics` is: host and port.
    pub host: String,
    pub http: u16,
    pub data: PathBuf,
    args: Vec<String>,
    netns: Option<String>,
    log: PathBuf,
    /// Restarts so far (each incarnation logs to its own file).
    pub incarnation: u32,
}

impl Agent {
    /// Starts the agent for receiver `id` reading Beast from `beast`,
    /// publishing to `mqtt_url` (inside `netns` if given).
    pub fn start(
        dir: &Path,
        netns: Option<&Netns>,
        id: &str,
        beast: &str,
        mqtt_url: &str,
        (lat, lon): (f64, f64),
    ) -> Self {
        let data = dir.join(format!("agent-{id}"));
        let host = netns.map_or("127.0.0.1".to_string(), |n| n.ns_ip.clone());
        let mut args = vec![
            "--receiver-id".to_string(),
            id.to_string(),
            "--mqtt-url".into(),
            mqtt_url.to_string(),
            "--input".into(),
            format!("tcp:{beast}:beast"),
            "--http-listen".into(),
            format!("{host}:0"),
            "--lat".into(),
            lat.to_string(),
            "--lon".into(),
            lon.to_string(),
            "--data-dir".into(),
            data.display().to_string(),
        ];
        if netns.is_some() {
            // Across a link that can be cut: notice a dead connection in
            // seconds (and the broker, at 1.5 keep-alives, too).
            args.extend(["--mqtt-keep-alive-s".into(), "4".into()]);
        }
        let mut a = Self {
            id: id.to_string(),
            proc: None,
            host,
            http: 0,
            data,
            args,
            netns: netns.map(|n| n.name.clone()),
            log: dir.join(format!("agent-{id}")),
            incarnation: 0,
        };
        a.spawn();
        a
    }

    fn spawn(&mut self) {
        let log = PathBuf::from(format!("{}.{}.log", self.log.display(), self.incarnation));
        let mut cmd = Command::new(match &self.netns {
            Some(_) => PathBuf::from("ip"),
            None => workspace_bin("cloudradar-agent"),
        });
        if let Some(ns) = &self.netns {
            cmd.args(["netns", "exec", ns])
                .arg(workspace_bin("cloudradar-agent"));
        }
        cmd.args(&self.args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null());
        let mut proc = Proc::spawn_logging(&format!("agent {}", self.id), &mut cmd, &log);
        // Each incarnation binds a port of its own and says which.
        self.http = super::bound_port(&mut proc, "http_addr");
        self.proc = Some(proc);
        wait_for!(
            Duration::from_secs(30),
            || metrics_at(&self.host, self.http).is_some(),
            "agent {} serving /metrics on {}:{}",
            self.id,
            self.host,
            self.http
        );
    }

    /// SIGKILL, then what it left: the sequence number its next
    /// incarnation starts at or after, and the batches in its spool.
    pub fn kill9(&mut self) -> (u64, Vec<wire::Batch>) {
        if let Some(mut p) = self.proc.take() {
            p.kill9();
        }
        let boundary = std::fs::read_to_string(self.data.join("sequence"))
            .expect("sequence file")
            .trim()
            .parse()
            .expect("sequence number");
        let mut spooled = Vec::new();
        if let Ok(dir) = std::fs::read_dir(self.data.join("spool")) {
            for e in dir.flatten() {
                if e.path().extension().is_some_and(|x| x == "batch") {
                    let bytes = std::fs::read(e.path()).expect("spool file");
                    spooled.push(wire::decode(&bytes, &Limits::default()).expect("spooled batch"));
                }
            }
        }
        spooled.sort_by_key(|b| b.seq);
        (boundary, spooled)
    }

    /// Starts the next incarnation on the same data directory.
    pub fn restart(&mut self) {
        self.incarnation += 1;
        self.spawn();
    }

    /// A metric of the running incarnation.
    pub fn metric(&self, series: &str) -> f64 {
        scrape_at(&self.host, self.http, series)
    }

    /// Frames the running incarnation accepted.
    pub fn accepted(&self) -> u64 {
        self.metric("cloudradar_agent_frames_accepted_total") as u64
    }

    /// Nothing left to send: the spool is empty and every batch made was
    /// published (a restarted agent also publishes what an earlier
    /// incarnation spooled, so it may publish more than it made).
    pub fn drained(&self) -> bool {
        metrics_at(&self.host, self.http).is_some_and(|t| {
            let made = metric(&t, "cloudradar_agent_batches_total").unwrap_or(0.0);
            let published = metric(&t, "cloudradar_agent_batches_published_total").unwrap_or(0.0);
            metric(&t, "cloudradar_agent_spool_batches").unwrap_or(0.0) == 0.0 && published >= made
        })
    }

    /// Batch files in its spool directory (readable while it is unreachable).
    pub fn spool_files(&self) -> usize {
        std::fs::read_dir(self.data.join("spool")).map_or(0, |d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "batch"))
                .count()
        })
    }

    /// Batches waiting in the spool.
    pub fn spooled(&self) -> f64 {
        self.metric("cloudradar_agent_spool_batches")
    }

    /// Whether it has noticed its broker is gone and holds at least `n`
    /// batches in its spool since.
    pub fn spooling(&self, n: f64) -> bool {
        metrics_at(&self.host, self.http).is_some_and(|t| {
            metric(&t, "cloudradar_agent_mqtt_connected") == Some(0.0)
                && metric(&t, "cloudradar_agent_spool_batches").unwrap_or(0.0) >= n
        })
    }
}

/// The broker the agents publish to.
pub enum Broker {
    /// The collector's embedded broker.
    Embedded,
    /// Mosquitto, the collector subscribing to it.
    Mosquitto(Mosquitto),
}

/// Everything running for one scenario.
pub struct Scenario {
    pub dir: tempfile::TempDir,
    pub redis: Redis,
    redis_dir: PathBuf,
    pub broker: Broker,
    pub collector: Option<Collector>,
    pub sim: Sim,
    pub agents: Vec<Agent>,
    data: PathBuf,
    collector_args: Vec<String>,
    mqtt: u16,
    http: u16,
    /// Per agent killed: (receiver, next incarnation's first seq, spooled batches).
    pub killed: Vec<(String, u64, Vec<wire::Batch>)>,
    /// Frames accepted by earlier incarnations, as last scraped before
    /// their SIGKILL (a lower bound of what they accepted).
    pub accepted_before_kill: HashMap<String, u64>,
    /// The receiver site (simulator and agents) when it has its own
    /// network namespace; last, so it goes after the processes in it.
    pub netns: Option<Netns>,
}

/// Simulator settings every scenario uses: fixed seed, 50 aircraft, 3
/// receivers, twice real time.
pub const SEED: u64 = 42;
pub const AIRCRAFT: usize = 50;
pub const RECEIVERS: usize = 3;
pub const SPEED: f64 = 2.0;

impl Scenario {
    /// Starts Redis (append-only, so it can restart), the broker, the
    /// collector, the simulator and one agent per receiver.
    pub fn start(external_broker: bool) -> Self {
        Self::start_with(external_broker, None)
    }

    /// [`Scenario::start`] with the simulator and the agents in `netns`,
    /// reaching the collector's embedded broker over its link.
    pub fn start_with(external_broker: bool, netns: Option<Netns>) -> Self {
        // CLOUDRADAR_KEEP_SCENARIO=1 keeps the logs, database and truth file.
        let dir = tempfile::Builder::new()
            .prefix("scenario")
            .disable_cleanup(std::env::var_os("CLOUDRADAR_KEEP_SCENARIO").is_some())
            .tempdir()
            .expect("tempdir");
        let redis_dir = dir.path().join("redis");
        std::fs::create_dir_all(&redis_dir).expect("redis dir");
        let redis = Redis::persistent(&redis_dir);
        let broker = if external_broker {
            let d = dir.path().join("mosquitto");
            std::fs::create_dir_all(&d).expect("mosquitto dir");
            Broker::Mosquitto(mosquitto(&d))
        } else {
            Broker::Embedded
        };
        // Agents keep the broker's URL across collector restarts.
        let mqtt = port::locked();
        // A small ingest queue, so an outage behind it (Redis) fills it
        // within seconds and the gate holds the receivers back.
        let config = dir.path().join("collector.toml");
        std::fs::write(&config, "queue_capacity = 16\n").expect("collector config");
        let mut collector_args = vec![
            "--redis-url".to_string(),
            redis.url(),
            "--config".into(),
            config.display().to_string(),
        ];
        let host = netns.as_ref().map_or("127.0.0.1", |n| n.host_ip.as_str());
        let agent_url = match &broker {
            Broker::Embedded => {
                collector_args.extend(["--allow-anonymous".into(), "true".into()]);
                format!("mqtt://{host}:{mqtt}")
            }
            Broker::Mosquitto(m) => {
                collector_args.extend(["--mqtt-url".into(), m.url()]);
                m.url()
            }
        };
        let data = dir.path().join("collector");
        let listen = if netns.is_some() {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        };
        let collector = launch_collector(&data, listen, mqtt, &collector_args);
        let http = collector.http;
        let sim = Sim::start(dir.path(), netns.as_ref(), SEED, AIRCRAFT, RECEIVERS, SPEED);
        let agents = sim
            .receivers
            .iter()
            .map(|(id, beast, lat, lon)| {
                Agent::start(
                    dir.path(),
                    netns.as_ref(),
                    id,
                    beast,
                    &agent_url,
                    (*lat, *lon),
                )
            })
            .collect();
        Self {
            dir,
            redis,
            redis_dir,
            broker,
            collector: Some(collector),
            sim,
            agents,
            data,
            collector_args,
            mqtt,
            http,
            killed: Vec::new(),
            accepted_before_kill: HashMap::new(),
            netns,
        }
    }

    /// The running collector's HTTP port.
    pub fn http(&self) -> u16 {
        self.http
    }

    /// Read-only view of the collector's database.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            self.data.join("cloudradar.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the collector's database")
    }

    /// Batches applied per receiver.
    pub fn batches_stored(&self) -> HashMap<String, i64> {
        let db = self.db();
        let mut st = db
            .prepare("SELECT receiver, count(*) FROM applied_batches GROUP BY receiver")
            .expect("query");
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    /// Waits until the collector has stored at least `more` further batches
    /// from every receiver than `since` (traffic flows end to end).
    pub fn wait_batches(&self, since: &HashMap<String, i64>, more: i64, timeout: Duration) {
        let ids: Vec<String> = self.agents.iter().map(|a| a.id.clone()).collect();
        let deadline = Instant::now() + timeout;
        loop {
            let now = self.batches_stored();
            if ids.iter().all(|id| {
                now.get(id).copied().unwrap_or(0) >= since.get(id).copied().unwrap_or(0) + more
            }) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not every receiver got {more} more batches stored within {timeout:?}: {now:?} (before: {since:?})"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// SIGKILLs the collector.
    pub fn kill_collector(&mut self) {
        if let Some(mut c) = self.collector.take() {
            c.proc.kill9();
        }
    }

    /// Starts the collector again on the same data, ports and Redis.
    pub fn start_collector(&mut self) {
        let listen = if self.netns.is_some() {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        };
        let c = launch_collector(&self.data, listen, self.mqtt, &self.collector_args);
        // Each incarnation binds an HTTP port of its own and says which.
        self.http = c.http;
        self.collector = Some(c);
    }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the collector: frozen, its
    /// embedded broker acknowledges nothing, so agents' batches stay spooled.
    pub fn freeze_collector(&self, frozen: bool) {
        let c = self.collector.as_ref().expect("collector running");
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([signal, &c.proc.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {signal}");
    }

    /// SIGKILLs Redis (its append-only file keeps what it acknowledged).
    pub fn kill_redis(&mut self) {
        self.redis.kill9();
    }

    /// Starts Redis again on the same port and directory.
    pub fn restart_redis(&mut self) {
        self.redis.restart();
    }

    /// SIGKILLs agent `i`, recording what it leaves behind for the reconciliation.
    pub fn kill_agent(&mut self, i: usize) {
        let a = &mut self.agents[i];
        let before = a.accepted();
        let (boundary, spooled) = a.kill9();
        *self.accepted_before_kill.entry(a.id.clone()).or_default() += before;
        self.killed.push((a.id.clone(), boundary, spooled));
    }

    /// Redis stream entries not yet processed and acknowledged.
    fn redis_backlog(&self) -> Option<(i64, i64)> {
        let cli = |args: &[&str]| -> Option<String> {
            let o = self.redis.cli().args(args).output().ok()?;
            Some(String::from_utf8_lossy(&o.stdout).to_string())
        };
        let len = cli(&["XLEN", "cloudradar:batches"])?.trim().parse().ok()?;
        // XPENDING summary: the count is the first line.
        let pending = cli(&["XPENDING", "cloudradar:batches", "cloudradar"])?
            .lines()
            .next()?
            .trim()
            .parse()
            .unwrap_or(0);
        Some((len, pending))
    }

    /// Ends the traffic, then waits until every agent's spool is empty, every
    /// frame each running agent accepted is stored, and Redis holds nothing
    /// unprocessed. Returns the ground truth.
    pub fn finish(&mut self, timeout: Duration) -> Vec<Transmission> {
        let truth = self.sim.stop();
        let deadline = Instant::now() + timeout;
        loop {
            let drained = self.agents.iter().all(Agent::drained);
            let stored = self.stored_per_incarnation();
            let caught_up = self
                .agents
                .iter()
                .all(|a| stored.get(&a.id).copied().unwrap_or(0) == a.accepted() as i64);
            let idle = self.redis_backlog() == Some((0, 0));
            if drained && caught_up && idle {
                return truth;
            }
            if Instant::now() > deadline {
                let accepted: Vec<(String, u64, f64)> = self
                    .agents
                    .iter()
                    .map(|a| (a.id.clone(), a.accepted(), a.spooled()))
                    .collect();
                panic!(
                    "not settled within {timeout:?}: agents drained {drained}, stored (running incarnation) {stored:?}, agents (accepted, spooled) {accepted:?}, Redis (length, pending) {:?} (CLOUDRADAR_KEEP_SCENARIO=1 keeps the logs)",
                    self.redis_backlog(),
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Receptions stored per receiver from the running incarnation of its
    /// agent (sequence numbers from the restart on, for a killed one).
    fn stored_per_incarnation(&self) -> HashMap<String, i64> {
        let db = self.db();
        self.agents
            .iter()
            .map(|a| {
                let from = self
                    .killed
                    .iter()
                    .filter(|k| k.0 == a.id)
                    .map(|k| k.1)
                    .max()
                    .unwrap_or(0);
                let n: i64 = db
                    .query_row(
                        "SELECT count(*) FROM receptions WHERE receiver = ?1 AND seq >= ?2",
                        rusqlite::params![a.id, from as i64],
                        |r| r.get(0),
                    )
                    .expect("count receptions");
                (a.id.clone(), n)
            })
            .collect()
    }

    /// Checks what SQLite holds against the agents and the truth; panics
    /// naming the first discrepancy. Returns a one-line summary per receiver.
    pub fn reconcile(&self, truth: &[Transmission]) -> Vec<String> {
        let db = self.db();
        let mut summary = Vec::new();

        // (b) No reception stored twice: one row per (receiver, timestamp, bytes).
        let dup: i64 = db
            .query_row(
                "SELECT count(*) FROM (SELECT 1 FROM receptions r JOIN messages m ON m.id = r.message_id
                 GROUP BY r.receiver, r.timestamp, m.raw HAVING count(*) > 1)",
                [],
                |r| r.get(0),
            )
            .expect("duplicates query");
        assert_eq!(dup, 0, "receptions stored twice");
        // Every reception belongs to a stored message (a batch read again
        // after a restart must not hand out message ids never written).
        let orphans: i64 = db
            .query_row(
                "SELECT count(*) FROM receptions r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message_id)",
                [],
                |r| r.get(0),
            )
            .expect("orphans query");
        assert_eq!(orphans, 0, "receptions of messages never stored");
        // Every applied batch has exactly the frames it declared.
        let mismatched: Vec<(String, i64, i64, i64)> = {
            let mut st = db
                .prepare(
                    "SELECT b.receiver, b.seq, b.frames, (SELECT count(*) FROM receptions r WHERE r.receiver = b.receiver AND r.seq = b.seq)
                     FROM applied_batches b",
                )
                .expect("query");
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .expect("query")
                .collect::<Result<Vec<_>, _>>()
                .expect("rows")
                .into_iter()
                .filter(|(_, _, declared, stored)| declared != stored)
                .collect()
        };
        assert!(
            mismatched.is_empty(),
            "batches whose receptions differ from their frame count: {mismatched:?}"
        );

        // (a) Per receiver: what the agents accepted, every frame once.
        for a in &self.agents {
            let mut st = db
                .prepare("SELECT seq, count(*) FROM receptions WHERE receiver = ?1 GROUP BY seq")
                .expect("query");
            let per_seq: BTreeMap<u64, i64> = st
                .query_map([&a.id], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let kills: Vec<&(String, u64, Vec<wire::Batch>)> =
                self.killed.iter().filter(|k| k.0 == a.id).collect();
            let from = kills.iter().map(|k| k.1).max().unwrap_or(0);
            let current: i64 = per_seq.range(from..).map(|(_, n)| n).sum();
            assert_eq!(
                current,
                a.accepted() as i64,
                "{}: receptions stored vs frames its agent accepted",
                a.id
            );
            let mut line = format!("{}: {current} frames accepted = stored", a.id);
            for (_, boundary, spooled) in &kills {
                // Earlier incarnation: what it had made durable (published or
                // spooled) is stored; what it held in memory died with it.
                let earlier: Vec<(u64, i64)> =
                    per_seq.range(..*boundary).map(|(s, n)| (*s, *n)).collect();
                let seqs: Vec<u64> = earlier.iter().map(|e| e.0).collect();
                if let (Some(first), Some(last)) = (seqs.first(), seqs.last()) {
                    assert_eq!(
                        seqs.len() as u64,
                        last - first + 1,
                        "{}: the killed agent's batches are a contiguous run (what was durable is a prefix)",
                        a.id
                    );
                }
                for b in spooled {
                    let stored = per_seq.get(&b.seq).copied().unwrap_or(0);
                    assert_eq!(
                        stored,
                        b.frames.len() as i64,
                        "{}: batch {} left in the killed agent's spool is stored with all its frames",
                        a.id,
                        b.seq
                    );
                    let mut want: Vec<(i64, Vec<u8>)> = b
                        .frames
                        .iter()
                        .map(|f| (f.timestamp as i64, f.frame.as_bytes().to_vec()))
                        .collect();
                    let mut got: Vec<(i64, Vec<u8>)> = db
                        .prepare(
                            "SELECT r.timestamp, m.raw FROM receptions r JOIN messages m ON m.id = r.message_id WHERE r.receiver = ?1 AND r.seq = ?2",
                        )
                        .expect("query")
                        .query_map(rusqlite::params![a.id, b.seq as i64], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })
                        .expect("query")
                        .collect::<Result<_, _>>()
                        .expect("rows");
                    want.sort();
                    got.sort();
                    assert!(
                        want == got,
                        "{}: batch {} stored with other frames than the agent spooled",
                        a.id,
                        b.seq
                    );
                }
                let stored_earlier: i64 = earlier.iter().map(|e| e.1).sum();
                let scraped = self.accepted_before_kill.get(&a.id).copied().unwrap_or(0) as i64;
                line.push_str(&format!(
                    "; killed incarnation: {stored_earlier} frames in {} batches stored (seqs contiguous, {} spooled batches all stored exactly), {scraped} accepted at the last scrape before SIGKILL, so at least {} accepted but not yet spooled died with it",
                    earlier.len(),
                    spooled.len(),
                    (scraped - stored_earlier).max(0)
                ));
            }
            summary.push(line);
        }

        // (c) Every stored reception is a transmission its receiver heard,
        // at the time its timestamp says: the same bytes from the same
        // aircraft, or, for formats whose parity is overlaid with an address
        // or interrogator code (all but DF17/18: a damaged one still decodes,
        // to a wrong address or code, and cannot be repaired), the bytes
        // with exactly the bits the noise flipped.
        let opts = DecodeOptions::default();
        let mut st = db
            .prepare("SELECT r.receiver, r.timestamp, m.raw FROM receptions r JOIN messages m ON m.id = r.message_id")
            .expect("query");
        let rows: Vec<(String, i64, Vec<u8>)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let (mut exact, mut damaged) = (0usize, 0usize);
        let mut matched: BTreeSet<(usize, String)> = BTreeSet::new();
        for (receiver, ts, raw) in &rows {
            let at = *ts as f64 / 12e6;
            // Sent at most 5 ms before it was stamped (propagation), never after.
            let lo = truth.partition_point(|x| x.t < at - 0.005);
            let hi = truth.partition_point(|x| x.t <= at + 1e-6);
            let candidates = &truth[lo..hi];
            // A radar's beam dwell makes identical replies milliseconds
            // apart: the nearest one before the stamp that this receiver
            // has not yet been matched to is the one it heard.
            let hit = candidates.iter().enumerate().rev().find_map(|(i, x)| {
                if matched.contains(&(lo + i, receiver.clone())) {
                    return None;
                }
                let flipped = x.heard.iter().find(|h| &h.0 == receiver)?.1;
                if &x.raw == raw {
                    return Some((lo + i, true));
                }
                let distance: u32 = x
                    .raw
                    .iter()
                    .zip(raw)
                    .map(|(p, q)| (p ^ q).count_ones())
                    .sum();
                let overlaid = !matches!(raw.first().map(|b| b >> 3), Some(17 | 18));
                (x.raw.len() == raw.len()
                    && overlaid
                    && flipped > 0
                    && distance == u32::from(flipped))
                .then_some((lo + i, false))
            });
            let Some((i, same)) = hit else {
                panic!(
                    "{receiver}: stored frame {} at timestamp {ts} matches no transmission it heard",
                    hex(raw)
                );
            };
            if same {
                let frame = Frame::new(raw).expect("stored frame");
                let m = decode(&frame, &opts).expect("stored frame decodes");
                assert_eq!(
                    format!("{:06x}", m.address.icao),
                    truth[i].icao,
                    "{receiver}: stored frame {} attributed to the aircraft that sent it",
                    hex(raw)
                );
                exact += 1;
            } else {
                damaged += 1;
            }
            assert!(
                matched.insert((i, receiver.clone())),
                "{receiver}: two stored receptions of one transmission ({})",
                hex(raw)
            );
        }
        summary.push(format!(
            "{} receptions match the truth ({exact} same bytes and aircraft, {damaged} damaged address/parity replies with exactly the noise's flipped bits); {} transmissions in the truth",
            rows.len(),
            truth.len()
        ));
        summary
    }
}

/// The collector binary with its embedded broker listening on `listen`;
/// returns once ready.
fn launch_collector(data: &Path, listen: &str, mqtt: u16, extra: &[String]) -> Collector {
    super::start_collector_on(listen, data, mqtt, 0, extra, &[])
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
