//! Helpers for tests that run the `cloudradar-sim` binary; processes and
//! waiting come from `cloudradar-test-support`.

#![allow(dead_code)]

use std::process::Command;
use std::time::Duration;

// Each test crate uses a different part of it.
#[allow(unused_imports)]
pub use cloudradar_test_support::{Proc, exists, wait_until};

/// A running simulator process, killed on drop (its stderr kept for a
/// failure message).
#[derive(Debug)]
pub struct Sim(pub Proc);

impl Sim {
    /// Starts the simulator with `args` (its TCP servers on ports it binds).
    pub fn start(args: &[&str]) -> Self {
        Self(Proc::spawn_with_stdout(
            "cloudradar-sim",
            Command::new(env!("CARGO_BIN_EXE_cloudradar-sim"))
                .args(["--beast-port-base", "0"])
                .args(args)
                .env("RUST_LOG", "warn"),
        ))
    }

    /// The Beast address of its first `n` receivers, from the lines it
    /// prints once they listen ("receiver sim-1 at 52.3086,4.7639 height 10.0: beast
    /// 127.0.0.1:40001 avr ...").
    pub fn beast_addrs(&mut self, n: usize) -> Vec<String> {
        let parse = |l: &String| -> Option<String> {
            let rest = l.strip_prefix("receiver ")?;
            let (_, after) = rest.split_once(" beast ")?;
            Some(after.split_whitespace().next()?.to_string())
        };
        let mut found = Vec::new();
        let listed = wait_until(Duration::from_secs(10), || {
            found = self.0.stderr().iter().filter_map(parse).collect();
            found.len() >= n || self.0.exited().is_some()
        });
        assert!(
            listed && found.len() >= n,
            "the simulator listed {} of {n} receivers; its output:\n{}",
            found.len(),
            self.0.tail()
        );
        found.truncate(n);
        found
    }

    /// Sends SIGTERM (graceful stop) and waits up to `limit` for the exit.
    pub fn terminate(&mut self, limit: Duration) -> bool {
        self.0.terminate_within(limit).is_some()
    }
}
