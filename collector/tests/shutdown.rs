//! Stopping the collector with clients still connected.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use support::*;

/// Regression: a dashboard's live stream never ends by itself, and the
/// graceful shutdown waited for it: SIGTERM left the collector running
/// until it was killed (a pod's whole termination grace period).
#[test]
fn sigterm_stops_the_collector_with_a_live_stream_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let http = c.http;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", http)).expect("connect");
    stream
        .write_all(b"GET /api/v1/stream HTTP/1.1\r\nHost: collector\r\n\r\n")
        .expect("request");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut first = [0u8; 512];
    let n = stream.read(&mut first).expect("response");
    assert!(
        String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&first[..n])
    );
    let status = c.proc.terminate().expect("exited within 20 s of SIGTERM");
    assert!(status.success(), "{status}");
}
