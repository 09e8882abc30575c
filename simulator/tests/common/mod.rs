//! Helpers for tests that run the `cloudradar-sim` binary: a child process
//! killed when the test ends, pass or fail.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running simulator process, killed on drop.
pub struct Sim(pub Child);

impl Sim {
    /// Starts the simulator with `args` (its TCP servers on free ports).
    pub fn start(args: &[&str]) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_cloudradar-sim"))
            .args(["--beast-port-base", "0"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting cloudradar-sim");
        Self(child)
    }

    /// Sends SIGTERM (graceful stop) and waits up to `limit` for the exit.
    pub fn terminate(&mut self, limit: Duration) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(_)) = self.0.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `path` exists (as a file or symlink), up to `limit`.
pub fn wait_for(path: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if std::fs::symlink_metadata(path).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
