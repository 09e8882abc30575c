//! Ports for servers that cannot bind port 0 and report it (see the crate
//! documentation for which ones and why).

use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Mutex;

use rustix::fs::{FlockOperation, flock};

/// The range locked ports come from: below Linux's default ephemeral range
/// (32768-60999), which port-0 binds draw from.
pub const RANGE: std::ops::Range<u16> = 20_000..32_000;

/// Lock files this process holds; never released, so a port stays this
/// process's while the server on it restarts.
static HELD: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// The directory every test process takes its port locks in.
fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("cloudradar-test-ports")
}

/// A loopback TCP port no other test process holds and nothing listens on,
/// held by this process until it exits.
pub fn locked() -> u16 {
    if let Some(low) = ephemeral_low() {
        assert!(
            RANGE.end <= low,
            "the kernel's ephemeral ports start at {low}, inside the locked range {RANGE:?}"
        );
    }
    let dir = lock_dir();
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("creating the port lock directory {}: {e}", dir.display()));
    let span = u32::from(RANGE.end - RANGE.start);
    // Start where the process id points, so test processes starting
    // together do not all try the same ports first.
    let start = std::process::id() % span;
    for i in 0..span {
        let port = RANGE.start + ((start + i * 7) % span) as u16;
        let path = dir.join(format!("{port}.lock"));
        let Ok(file) = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        else {
            continue;
        };
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            continue;
        }
        // Something outside the tests may use it.
        if TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        HELD.lock().unwrap_or_else(|e| e.into_inner()).push(file);
        return port;
    }
    panic!(
        "no free port left in {RANGE:?} (locks in {})",
        dir.display()
    );
}

/// The first port of the kernel's ephemeral range, where Linux says.
fn ephemeral_low() -> Option<u16> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_ports_are_distinct_and_outside_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50).map(|_| locked()).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len(), "{ports:?}");
        assert!(ports.iter().all(|p| RANGE.contains(p)), "{ports:?}");
    }

    #[test]
    fn a_locked_port_cannot_be_locked_again() {
        let port = locked();
        let file = File::open(lock_dir().join(format!("{port}.lock"))).expect("lock file");
        assert!(flock(&file, FlockOperation::NonBlockingLockExclusive).is_err());
    }
}
