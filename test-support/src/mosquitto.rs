//! Mosquitto per test.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{Proc, port};

/// A Mosquitto broker on a [`port::locked`] port (it cannot report a port
/// it bound to 0), its configuration and log in a test's directory;
/// killed when dropped, restartable on the same port.
#[derive(Debug)]
pub struct Mosquitto {
    pub proc: Option<Proc>,
    pub port: u16,
    conf: PathBuf,
    log: PathBuf,
}

impl Mosquitto {
    /// Starts it in `dir` with `settings` (configuration lines after its
    /// `listener`; `persistence false` unless they set `persistence`).
    pub fn start(dir: &Path, settings: &str) -> Self {
        Self::start_on(dir, port::locked(), settings)
    }

    /// [`Mosquitto::start`] on `port`, a [`port::locked`] one the test took
    /// before (clients were told it while the broker was not up yet).
    pub fn start_on(dir: &Path, port: u16, settings: &str) -> Self {
        let conf = dir.join(format!("mosquitto-{port}.conf"));
        let persistence = if settings.contains("persistence ") {
            ""
        } else {
            "persistence false\n"
        };
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nlog_dest stderr\n{persistence}{settings}"),
        )
        .unwrap_or_else(|e| panic!("writing {}: {e}", conf.display()));
        let mut m = Self {
            proc: None,
            port,
            conf,
            log: dir.join(format!("mosquitto-{port}.log")),
        };
        m.restart();
        m
    }

    /// Starts it again (same port, configuration and persistence); returns
    /// once it accepts connections.
    pub fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.log.display()));
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&self.conf)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting mosquitto (is it installed?): {e}"));
        let mut proc = Proc::adopt("mosquitto", child);
        let port = self.port;
        let up = crate::wait_until(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok() || proc.exited().is_some()
        });
        assert!(
            up && proc.exited().is_none(),
            "mosquitto did not listen on port {port}; its log {}:\n{}",
            self.log.display(),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
        self.proc = Some(proc);
    }

    /// SIGKILL: what it held in memory and had not saved is gone.
    pub fn kill9(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill9();
        }
    }

    /// SIGTERM and wait: it writes its persistence file on the way out.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.proc.take() {
            assert!(p.terminate().is_some(), "mosquitto stops on SIGTERM");
        }
    }

    /// Its `mqtt://` URL.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}
