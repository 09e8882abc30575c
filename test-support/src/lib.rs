//! What the integration tests of the agent, the collector and the
//! simulator share: child processes that die with the test and keep their
//! stderr for the failure message ([`Proc`]), waiting for an observable
//! condition ([`wait_for!`], [`wait_until`]), ports, Redis and Mosquitto
//! per test, temporary directories.
//!
//! # Ports
//!
//! A port is held by the process that uses it. Our own binaries bind port
//! 0 and report what they bound (the collector's `http_addr=`,
//! `mqtt_addr=` and `mqtt_tls_addr=` log fields, the agent's `http_addr=`,
//! the simulator's receiver lines on stdout), and so does the test S3
//! server (`server is running at`); [`Proc::wait_for_field`] and
//! [`Proc::wait_for_line`] read it back, so no port is ever chosen by the
//! test and handed on.
//!
//! Three cases cannot do that, and take a [`port::locked`] port instead:
//! Mosquitto (it does not report a port-0 listener's port, and rumqttc
//! cannot reach its unix-socket listener), dump1090 (likewise) and a
//! server a test restarts on the same address (agents keep the URL they
//! were started with; a TCP feed that goes away comes back on its port). Such a
//! port comes from a range below the kernel's ephemeral range (so no
//! port-0 bind anywhere gets it) and is held with `flock` on a file per
//! port in a directory every test process shares, for the life of the test
//! process (so no other test process takes it, even while the server that
//! uses it is down). Redis needs no port: it listens on a unix socket only
//! (`--port 0 --unixsocket`), which the collector reaches as
//! `redis+unix://`.

mod mosquitto;
pub mod port;
mod proc;
mod redis;
mod wait;

pub use mosquitto::Mosquitto;
pub use proc::{Proc, log_field};
pub use redis::Redis;
pub use wait::{poll_interval, wait_until};

use std::path::Path;

/// A temporary directory named after `prefix`, removed when dropped unless
/// `CLOUDRADAR_KEEP_TEST_DIRS` is set (then its path is printed, for the
/// logs and databases it holds).
pub fn tempdir(prefix: &str) -> tempfile::TempDir {
    let keep = std::env::var_os("CLOUDRADAR_KEEP_TEST_DIRS").is_some();
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .disable_cleanup(keep)
        .tempdir()
        .unwrap_or_else(|e| panic!("creating a temporary directory: {e}"));
    if keep {
        eprintln!("{prefix}: kept in {}", dir.path().display());
    }
    dir
}

/// Whether `path` exists (a file, directory or symlink, even a dangling one).
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}
