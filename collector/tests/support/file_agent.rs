//! One agent of the delivery fault suite back-filling a file of unique
//! frames (written here), as a real process the suite kills and restarts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cloudradar_shared::encode::{bds20, df17};

use super::Proc;
use super::scenario::{metrics_at, workspace_bin};

/// Writes `n` frames for receiver number `rx` as a CSV recording: DF17
/// identification messages, every one different (address and callsign
/// together count up), 1 ms apart on the receiver's clock, an hour ago.
pub fn write_frames(path: &Path, rx: u32, n: usize) {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
        - 3600.0;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("frames file"));
    for i in 0..n {
        let mut k = i / 500;
        let mut callsign = [b'A'; 8];
        callsign[0] = b'C';
        callsign[1] = b'A' + (rx % 26) as u8;
        for c in callsign[2..].iter_mut().rev() {
            *c = CHARS[k % CHARS.len()];
            k /= CHARS.len();
        }
        let callsign = std::str::from_utf8(&callsign).expect("ascii");
        let frame = df17(0x400000 + (i % 500) as u32, 5, bds20(callsign));
        let hex: String = frame
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let ts = (i as u64 * 12_000) & 0xFFFF_FFFF_FFFF;
        writeln!(out, "{:.6},1a33{ts:012x}80{hex}", start + i as f64 * 0.001)
            .expect("write frames");
    }
    out.flush().expect("flush frames");
}

/// One agent back-filling its file.
pub struct FileAgent {
    pub id: String,
    pub proc: Option<Proc>,
    pub http: u16,
    args: Vec<String>,
    log: PathBuf,
    runs: u32,
}

impl FileAgent {
    /// An agent run as `cloudradar-agent args`, logging to `log.<run>.log`;
    /// not started yet.
    pub fn new(id: &str, args: Vec<String>, log: PathBuf) -> Self {
        Self {
            id: id.to_string(),
            proc: None,
            http: 0,
            args,
            log,
            runs: 0,
        }
    }

    pub fn spawn(&mut self) {
        let log = PathBuf::from(format!("{}.{}.log", self.log.display(), self.runs));
        self.runs += 1;
        let mut proc = Proc::spawn_logging(
            &format!("agent {}", self.id),
            Command::new(workspace_bin("cloudradar-agent"))
                .args(&self.args)
                .env("RUST_LOG", "info")
                .stdout(Stdio::null()),
            &log,
        );
        // Each run binds a port of its own and says which.
        self.http = super::bound_port(&mut proc, "http_addr");
        self.proc = Some(proc);
    }

    /// SIGKILL, then the same agent again on its data directory.
    pub fn kill9_and_restart(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill9();
        }
        self.spawn();
    }

    /// SIGTERM; it must stop within 20 s.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.terminate()
                .expect("the agent stops on SIGTERM within 20 s");
        }
    }

    /// Batches in its spool (0 when it is not answering).
    pub fn spooled(&self) -> f64 {
        self.metric("cloudradar_agent_spool_batches")
    }

    /// Frames it has taken from its file (0 when it is not answering).
    pub fn accepted(&self) -> f64 {
        self.metric("cloudradar_agent_frames_accepted_total")
    }

    /// Batches the broker took and the collector has not confirmed.
    pub fn unconfirmed(&self) -> f64 {
        self.metric("cloudradar_agent_batches_unconfirmed")
    }

    fn metric(&self, series: &str) -> f64 {
        metrics_at("127.0.0.1", self.http)
            .and_then(|t| super::scenario::metric(&t, series))
            .unwrap_or(0.0)
    }
}
