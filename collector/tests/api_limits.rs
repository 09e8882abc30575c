//! The bound on concurrent history queries (`http_max_history_queries`):
//! with its only slot taken by a running export, the next history query is
//! refused with 503, `Retry-After` and the JSON code `busy` rather than
//! queued behind it; once the export ends, queries are answered again.
//!
//! Deterministic: the export holds its slot until every row has been
//! handed to the socket, and the test makes the export larger than every
//! buffer on the way (the kernel's largest send and receive buffers, read
//! from /proc, plus a generous margin), then reads only its status line.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::*;

/// The largest buffer (bytes) a `tcp_rmem`/`tcp_wmem` line allows (the
/// third value), or `fallback` when it cannot be read.
fn tcp_max(name: &str, fallback: u64) -> u64 {
    std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(2).and_then(|v| v.parse().ok()))
        .unwrap_or(fallback)
}

/// Writes `n` recent positions straight into the collector's database.
fn fill_positions(db: &Path, n: u64) {
    let mut conn = rusqlite::Connection::open(db).expect("open the database");
    conn.busy_timeout(Duration::from_secs(60))
        .expect("busy timeout");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let tx = conn.transaction().expect("transaction");
    {
        let mut st = tx
            .prepare(
                "INSERT INTO positions (icao, time_ms, lat, lon, alt_baro, gs, track, receivers)
                 VALUES (?1, ?2, ?3, ?4, 35000, 450.5, 90.25, 1)",
            )
            .expect("prepare");
        for i in 0..n as i64 {
            st.execute(rusqlite::params![
                0x400000 + i % 500,
                now - 60_000 + i % 60_000,
                52.0 + (i % 1000) as f64 / 1000.0,
                4.0 + (i % 997) as f64 / 1000.0,
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
}

/// Sends a GET and reads until the end of the response head: (status, head).
fn get_head(stream: &mut TcpStream, path: &str) -> (u16, String) {
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("read response head");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = head.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head)
}

#[test]
fn history_query_gets_503_and_retry_after_while_the_only_slot_is_taken() {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = start_collector(
        dir.path(),
        0,
        0,
        &[
            "--allow-anonymous",
            "true",
            "--http-max-history-queries",
            "1",
        ],
    );
    let http = c.http;
    // A CSV row is at least 40 bytes: enough rows that the export cannot
    // fit in the socket buffers, the server's write buffer and its channel.
    let buffers = tcp_max("tcp_wmem", 4 << 20) + tcp_max("tcp_rmem", 6 << 20);
    let rows = (buffers + (16 << 20)) / 40;
    fill_positions(&dir.path().join("cloudradar.sqlite"), rows);

    // The export answers its head once it holds the slot, then blocks on
    // the socket: this client reads nothing more.
    let mut export = TcpStream::connect(("127.0.0.1", http)).expect("connect");
    export
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("read timeout");
    let (status, head) = get_head(&mut export, "/api/v1/export/positions");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: text/csv"), "{head}");

    for path in ["/api/v1/positions?limit=10", "/api/v1/stats"] {
        let mut s = TcpStream::connect(("127.0.0.1", http)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        let (status, head) = get_head(&mut s, path);
        assert_eq!(status, 503, "{path}: {head}");
        assert!(head.contains("\r\nretry-after: 1\r\n"), "{path}: {head}");
        let mut body = String::new();
        s.read_to_string(&mut body).expect("read body");
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
        assert_eq!(v["code"], "busy", "{path}: {body}");
    }
    let metrics = get(http, "/metrics").expect("metrics").1;
    assert!(
        metrics.contains("cloudradar_collector_sqlite_reads_refused_total 2"),
        "refusals counted"
    );

    // The client goes away: the export stops and gives its slot back.
    drop(export);
    wait_for!(Duration::from_secs(60), || {
        get(http, "/api/v1/positions?limit=10").is_ok_and(|(s, _)| s == 200)
    });
    let page = get_json(http, "/api/v1/positions?limit=10");
    assert_eq!(page["positions"].as_array().map(Vec::len), Some(10));
}

#[test]
fn export_streams_every_matching_position_as_csv() {
    let dir = tempfile::tempdir().expect("temp dir");
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let http = c.http;
    // More than one page (5,000 rows) so the pages join up.
    fill_positions(&dir.path().join("cloudradar.sqlite"), 12_345);
    let (status, body) = get(http, "/api/v1/export/positions").expect("GET");
    assert_eq!(status, 200);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "id,hex,time_ms,lat,lon,alt_baro,gs,track,source");
    assert_eq!(lines.len(), 1 + 12_345);
    let ids: Vec<i64> = lines[1..]
        .iter()
        .map(|l| {
            l.split(',')
                .next()
                .and_then(|x| x.parse().ok())
                .expect("id")
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids ascend, no repeats"
    );
    // Filters are the positions endpoint's: one aircraft.
    let (_, one) = get(http, "/api/v1/export/positions?icao=400007").expect("GET");
    let n = one.lines().count() - 1;
    assert!(n > 0 && one.lines().skip(1).all(|l| l.contains(",400007,")));
    assert_eq!(n, 12_345 / 500 + usize::from(12_345 % 500 > 7));
    let (status, _) = get(http, "/api/v1/export/positions?bbox=1,2").expect("GET");
    assert_eq!(status, 400);
}
