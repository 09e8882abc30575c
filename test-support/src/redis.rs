//! A redis-server per test, on a unix socket.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::Proc;

/// A redis-server listening only on a unix socket in its directory
/// (`--port 0`: no TCP port to choose), killed when dropped.
#[derive(Debug)]
pub struct Redis {
    pub proc: Option<Proc>,
    dir: PathBuf,
    append_only: bool,
    _own: Option<tempfile::TempDir>,
}

impl Redis {
    /// Without persistence, in a directory of its own.
    pub fn start() -> Self {
        let own = crate::tempdir("redis");
        let mut r = Self {
            proc: None,
            dir: own.path().to_path_buf(),
            append_only: false,
            _own: Some(own),
        };
        r.restart();
        r
    }

    /// With its append-only file in `dir`, so a restart (even after
    /// SIGKILL) keeps what it acknowledged.
    pub fn persistent(dir: &Path) -> Self {
        let mut r = Self {
            proc: None,
            dir: dir.to_path_buf(),
            append_only: true,
            _own: None,
        };
        r.restart();
        r
    }

    /// Starts it (again) on the same socket and directory; returns once
    /// it accepts connections.
    pub fn restart(&mut self) {
        let socket = self.socket();
        let _ = std::fs::remove_file(&socket);
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args(["--save", "", "--dir"])
            .arg(&self.dir)
            .args(["--appendonly", if self.append_only { "yes" } else { "no" }])
            .stdout(Stdio::null());
        let mut proc = Proc::spawn("redis-server", &mut cmd);
        let up = crate::wait_until(Duration::from_secs(10), || {
            UnixStream::connect(&socket).is_ok() || proc.exited().is_some()
        });
        assert!(
            up && proc.exited().is_none(),
            "redis-server did not come up on {}: {}",
            socket.display(),
            proc.tail()
        );
        self.proc = Some(proc);
    }

    /// SIGKILL: what its append-only file holds survives.
    pub fn kill9(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill9();
        }
    }

    /// Its socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }

    /// The URL the collector's `--redis-url` takes.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// `redis-cli` talking to it; add the command's arguments.
    pub fn cli(&self) -> Command {
        let mut c = Command::new("redis-cli");
        c.arg("-s").arg(self.socket());
        c
    }
}
