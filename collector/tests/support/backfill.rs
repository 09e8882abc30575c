//! The delivery fault suite's system: agents back-filling files of unique
//! frames at full speed into one collector, in one of the three
//! topologies we ship, with Redis, Mosquitto and the collector as real
//! processes that a test kills, stops and starts. Every frame of every
//! file must end up in SQLite once: the reconciliation counts what each
//! receiver's file holds (expected), the receptions stored, and from them
//! what is missing and what is stored twice.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::file_agent::{FileAgent, write_frames};
use super::scenario::Mosquitto;
use super::{Collector, MARKER_TIMESTAMP, Proc, Redis, marker, port, start_collector_on, wait_for};

/// The end marker's batch number, past any an agent uses in a run.
const MARKER_SEQ: u64 = 1 << 40;

/// Where batches go between the agents and SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// The embedded broker and the embedded queue (the demo's defaults).
    Embedded,
    /// The embedded broker and Redis Streams (what `deploy/k3s` ships).
    EmbeddedRedis,
    /// Mosquitto and Redis.
    MosquittoRedis,
}

impl Topology {
    fn redis(self) -> bool {
        self != Self::Embedded
    }
}

/// Stored, missing and doubled frames of one receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub expected: i64,
    pub stored: i64,
    pub missing: i64,
    pub duplicated: i64,
}

/// Everything running for one fault run.
pub struct Backfill {
    pub dir: tempfile::TempDir,
    pub topology: Topology,
    pub redis: Option<Redis>,
    pub mosquitto: Option<Mosquitto>,
    pub collector: Option<Collector>,
    pub agents: Vec<FileAgent>,
    pub expected: HashMap<String, i64>,
    data: PathBuf,
    redis_dir: PathBuf,
    mqtt: u16,
    pub http: u16,
    config: PathBuf,
}

impl Backfill {
    /// Prepares `agents` files of `frames` frames and starts Redis and
    /// Mosquitto as the topology needs; `collector_toml` is the
    /// collector's configuration file. Nothing else runs yet.
    pub fn new(topology: Topology, agents: usize, frames: usize, collector_toml: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("backfill")
            .disable_cleanup(std::env::var_os("CLOUDRADAR_KEEP_SCENARIO").is_some())
            .tempdir()
            .expect("tempdir");
        let redis_dir = dir.path().join("redis");
        std::fs::create_dir_all(&redis_dir).expect("redis dir");
        let mosquitto = (topology == Topology::MosquittoRedis).then(|| {
            let d = dir.path().join("mosquitto");
            std::fs::create_dir_all(&d).expect("mosquitto dir");
            super::scenario::mosquitto(&d)
        });
        let config = dir.path().join("collector.toml");
        std::fs::write(&config, collector_toml).expect("collector config");
        let mut b = Self {
            topology,
            redis: None,
            mosquitto,
            collector: None,
            agents: Vec::new(),
            expected: HashMap::new(),
            data: dir.path().join("collector"),
            redis_dir,
            // Agents keep the broker's URL across collector restarts.
            mqtt: port::locked(),
            http: 0,
            config,
            dir,
        };
        if topology.redis() {
            b.start_redis();
        }
        for i in 0..agents {
            let id = format!("rx{i}");
            let file = b.dir.path().join(format!("{id}.csv"));
            write_frames(&file, i as u32, frames);
            b.expected.insert(id.clone(), frames as i64);
            b.agents.push(b.agent(&id, &file));
        }
        b
    }

    fn agent(&self, id: &str, file: &Path) -> FileAgent {
        let url = match &self.mosquitto {
            Some(m) => m.url(),
            None => format!("mqtt://127.0.0.1:{}", self.mqtt),
        };
        let args = vec![
            "--receiver-id".to_string(),
            id.to_string(),
            "--mqtt-url".into(),
            url,
            "--input".into(),
            format!("file:{}:csv", file.display()),
            "--http-listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            self.dir
                .path()
                .join(format!("agent-{id}"))
                .display()
                .to_string(),
            // Re-sends after a loss at the broker come within the test's time.
            "--confirm-timeout-s".into(),
            "10".into(),
        ];
        FileAgent::new(id, args, self.dir.path().join(format!("agent-{id}")))
    }

    /// Starts every agent.
    pub fn start_agents(&mut self) {
        for a in &mut self.agents {
            a.spawn();
        }
    }

    /// Starts Redis (append-only file in the run's directory).
    pub fn start_redis(&mut self) {
        match &mut self.redis {
            Some(r) => r.restart(),
            None => self.redis = Some(Redis::persistent(&self.redis_dir)),
        }
    }

    /// SIGKILLs Redis.
    pub fn kill_redis(&mut self) {
        if let Some(r) = &mut self.redis {
            r.kill9();
        }
    }

    fn collector_args(&self) -> Vec<String> {
        let mut args = vec!["--config".to_string(), self.config.display().to_string()];
        if self.topology.redis() {
            let redis = self.redis.as_ref().expect("Redis started in Backfill::new");
            args.extend(["--redis-url".into(), redis.url()]);
        }
        match &self.mosquitto {
            Some(m) => args.extend(["--mqtt-url".into(), m.url()]),
            None => args.extend(["--allow-anonymous".into(), "true".into()]),
        }
        args
    }

    /// Starts the collector and waits until it is ready.
    pub fn start_collector(&mut self) {
        let args = self.collector_args();
        let c = start_collector_on("127.0.0.1", &self.data, self.mqtt, 0, &args, &[]);
        // Each incarnation binds an HTTP port of its own and says which.
        self.http = c.http;
        self.collector = Some(c);
    }

    /// Starts the collector without waiting for it to be ready (Redis is
    /// not there yet); returns once `/healthz` answers.
    pub fn start_collector_unready(&mut self) {
        let mut proc = Proc::spawn(
            "collector",
            Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"))
                .arg("--data-dir")
                .arg(&self.data)
                .arg("--http-listen")
                .arg("127.0.0.1:0")
                .arg("--mqtt-listen")
                .arg(format!("127.0.0.1:{}", self.mqtt))
                .args(self.collector_args())
                .env("RUST_LOG", "info,rumqttd=warn")
                .stdout(Stdio::null()),
        );
        self.http = super::bound_port(&mut proc, "http_addr");
        self.collector = Some(Collector {
            proc,
            http: self.http,
            mqtt: self.mqtt,
        });
        let http = self.http;
        wait_for!(Duration::from_secs(10), || {
            super::get(http, "/healthz").is_ok_and(|(s, _)| s == 200)
        });
    }

    /// SIGKILLs the collector.
    pub fn kill_collector(&mut self) {
        if let Some(mut c) = self.collector.take() {
            c.proc.kill9();
        }
    }

    /// SIGTERMs the collector; it must stop within 20 s.
    pub fn stop_collector(&mut self) {
        if let Some(mut c) = self.collector.take() {
            c.proc
                .terminate()
                .expect("the collector stops on SIGTERM within 20 s");
        }
    }

    fn db(&self) -> Option<rusqlite::Connection> {
        let c = rusqlite::Connection::open_with_flags(
            self.data.join("cloudradar.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .ok()?;
        c.busy_timeout(Duration::from_secs(5)).ok()?;
        Some(c)
    }

    /// Puts the collector's data directory on a tmpfs of `mib` MiB, so a
    /// test can fill it up; `None` unless run as root (mounting needs it).
    pub fn small_data_dir(&self, mib: u64) -> Option<Tmpfs> {
        Tmpfs::mount(&self.data, mib)
    }

    /// The collector's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Per receiver: expected, stored, missing, stored twice.
    pub fn counts(&self) -> HashMap<String, Count> {
        let mut out = HashMap::new();
        let Some(db) = self.db() else {
            return out;
        };
        for (id, expected) in &self.expected {
            let (stored, distinct): (i64, i64) = db
                .query_row(
                    "SELECT count(*), count(DISTINCT timestamp) FROM receptions \
                     WHERE receiver = ?1 AND timestamp != ?2",
                    rusqlite::params![id, MARKER_TIMESTAMP as i64],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap_or((0, 0));
            out.insert(
                id.clone(),
                Count {
                    expected: *expected,
                    stored,
                    missing: expected - distinct,
                    duplicated: stored - distinct,
                },
            );
        }
        out
    }

    /// Late re-sends must not be stored again either, so the count waits
    /// for everything the agents published: they are stopped, and a marker
    /// batch from each receiver goes in behind all they sent (the broker
    /// and the collector keep one client's order). Once every marker is
    /// stored, every batch before it is stored or dropped as a repeat.
    fn drain(&mut self, deadline: Instant) {
        for a in &mut self.agents {
            a.stop();
        }
        let port = self.mosquitto.as_ref().map_or(self.mqtt, |m| m.port);
        for (i, id) in self.expected.keys().enumerate() {
            let msgs = marker(id, MARKER_SEQ, 0x7F_0000 + i as u32);
            // Right after the agent stopped under the same client id.
            super::publish(port, id, Some((id, "")), &msgs)
                .unwrap_or_else(|e| panic!("marker for {id}: {e}"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        wait_for!(left.max(Duration::from_secs(30)), || self.markers_stored());
    }

    fn markers_stored(&self) -> bool {
        let Some(db) = self.db() else {
            return false;
        };
        db.query_row(
            "SELECT count(DISTINCT receiver) FROM receptions WHERE timestamp = ?1",
            [MARKER_TIMESTAMP as i64],
            |r| r.get::<_, i64>(0),
        )
        .is_ok_and(|n| n as usize == self.expected.len())
    }

    /// Frames stored so far, all receivers.
    pub fn stored(&self) -> i64 {
        self.counts().values().map(|c| c.stored).sum()
    }

    /// Waits until at least `share` of every file is stored.
    pub fn wait_share(&self, share: f64, timeout: Duration) {
        self.wait_until_stored(share, timeout, |_| true);
    }

    /// Waits until at least `share` of receiver `id`'s file is stored.
    pub fn wait_share_of(&self, id: &str, share: f64, timeout: Duration) {
        self.wait_until_stored(share, timeout, |r| r == id);
    }

    fn wait_until_stored(&self, share: f64, timeout: Duration, of: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            let counts = self.counts();
            if counts
                .iter()
                .filter(|(id, _)| of(id))
                .all(|(_, c)| c.stored as f64 >= share * c.expected as f64)
                && counts.len() == self.expected.len()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not {share} of the files stored within {timeout:?}: {counts:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until every file is stored and every spool is empty, then
    /// asserts nothing is missing or doubled and returns the table rows
    /// (`| topology | fault | expected | stored | missing | duplicated |`).
    pub fn finish(&mut self, fault: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let counts = self.counts();
            let whole =
                counts.values().all(|c| c.missing == 0) && counts.len() == self.expected.len();
            if whole && self.agents.iter().all(|a| a.spooled() == 0.0) {
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        self.drain(deadline);
        let counts = self.counts();
        let sum = |f: fn(&Count) -> i64| counts.values().map(f).sum::<i64>();
        let row = format!(
            "| {:?} | {fault} | {} | {} | {} | {} |",
            self.topology,
            sum(|c| c.expected),
            sum(|c| c.stored),
            sum(|c| c.missing),
            sum(|c| c.duplicated)
        );
        eprintln!("{row}");
        if let Ok(path) = std::env::var("CLOUDRADAR_DELIVERY_REPORT") {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("report file");
            writeln!(f, "{row}").expect("report");
        }
        assert!(
            counts.values().all(|c| c.missing == 0 && c.duplicated == 0),
            "{fault} ({:?}): frames missing or stored twice: {counts:?} (CLOUDRADAR_KEEP_SCENARIO=1 keeps the logs in {})",
            self.topology,
            self.dir.path().display()
        );
        row
    }
}

/// A tmpfs mounted for one test, unmounted when dropped.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, mib: u64) -> Option<Self> {
        std::fs::create_dir_all(path).expect("mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(path.to_path_buf()))
    }

    /// Fills the file system up; returns the bytes written (the filler
    /// file is `<mount>/filler`).
    pub fn fill(&self) -> u64 {
        let mut f = std::fs::File::create(self.0.join("filler")).expect("filler");
        let chunk = vec![0u8; 1 << 20];
        let mut written = 0u64;
        while f.write_all(&chunk).is_ok() {
            written += chunk.len() as u64;
        }
        // The last partial chunk.
        while f.write_all(&chunk[..4096]).is_ok() {
            written += 4096;
        }
        written
    }

    /// Frees what [`Tmpfs::fill`] took.
    pub fn free(&self) {
        std::fs::remove_file(self.0.join("filler")).expect("remove filler");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
