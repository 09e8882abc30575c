//! A receiver whose clock is far off: its frames are stored once each, at
//! the collector's time (corrected by the offset its live status messages
//! show), and the offset is exported. A receiver with a good clock is left
//! alone.

mod support;

use std::time::Duration;

use support::*;

const HOUR_MS: i64 = 3_600_000;

fn status(receiver: &str, time_ms: i64) -> (String, Vec<u8>) {
    (
        format!("cloudradar/v1/{receiver}/status"),
        format!(r#"{{"state":"online","time_ms":{time_ms}}}"#).into_bytes(),
    )
}

fn offset_gauge(http: u16, receiver: &str) -> Option<f64> {
    let (_, text) = get(http, "/metrics").ok()?;
    let prefix =
        format!("cloudradar_collector_receiver_clock_offset_seconds{{receiver=\"{receiver}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str())?.parse().ok())
}

/// (count, min rx_ms, max rx_ms) of a receiver's stored receptions.
fn stored(db: &std::path::Path, receiver: &str) -> (i64, i64, i64) {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(
        "SELECT count(*), coalesce(min(rx_ms), 0), coalesce(max(rx_ms), 0) FROM receptions WHERE receiver = ?1",
        [receiver],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .expect("query")
}

#[test]
fn frames_of_a_receiver_with_a_wrong_clock_are_stored_once_at_the_right_time() {
    let dir = tempfile::tempdir().expect("tmp");
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    let now = pipeline_now();
    let skews = [
        ("rx-ahead", 2 * HOUR_MS),
        ("rx-behind", -HOUR_MS),
        ("rx-good", 300),
    ];
    for (rx, skew) in skews {
        publish(mqtt, rx, Some((rx, "")), &[status(rx, now + skew)]).expect("status");
    }
    for (rx, skew) in skews {
        wait_for!(Duration::from_secs(30), || {
            offset_gauge(http, rx).is_some_and(|s| (s * 1000.0 - skew as f64).abs() < 5_000.0)
        });
    }
    let frames = recording(3_000);
    for (rx, skew) in skews {
        // The recording as this receiver's clock would stamp it.
        let shifted: Vec<_> = frames
            .iter()
            .map(|(t, r)| ((*t as i64 + skew) as u64, *r))
            .collect();
        let msgs = encoded(&batches(rx, &shifted, 500, 1));
        publish(mqtt, rx, Some((rx, "")), &msgs).expect("frames");
        // Re-sent (as after an outage): applied once.
        publish(mqtt, rx, Some((rx, "")), &msgs[..2]).expect("re-sent");
    }
    let db = dir.path().join("cloudradar.sqlite");
    wait_for!(Duration::from_secs(60), || {
        skews.iter().all(|(rx, _)| stored(&db, rx).0 == 3_000)
    });
    let first = frames.first().map_or(0, |f| f.0) as i64;
    let last = frames.last().map_or(0, |f| f.0) as i64;
    for (rx, skew) in skews {
        let (count, min, max) = stored(&db, rx);
        assert_eq!(count, 3_000, "{rx}: every frame once");
        // Corrected to within the status messages' latency (well under 5 s);
        // the good clock keeps its own times exactly.
        let expected = if skew.abs() > 5_000 { 0 } else { skew };
        for (got, want) in [(min, first + expected), (max, last + expected)] {
            assert!(
                (got - want).abs() < 5_000,
                "{rx}: stored {got}, expected about {want}"
            );
        }
    }
}

fn pipeline_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
