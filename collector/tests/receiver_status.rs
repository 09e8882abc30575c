//! A receiver's status message is trusted only as far as it makes sense.

mod support;

use std::time::Duration;

use cloudradar_shared::wire::status_topic;
use support::*;

/// Regression: a status with a longitude of 1.8e308 was stored and used
/// as the reference for decoding that receiver's positions and ranges.
/// It is ignored (logged); the receiver's frames are stored as usual.
#[test]
fn a_receiver_position_off_the_earth_is_ignored_and_storage_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    let rx = "rx-far";
    let status = br#"{"state":"online","lat":52.3,"lon":1.7976931348623157e308}"#.to_vec();
    publish(mqtt, rx, Some((rx, "")), &[(status_topic(rx), status)]).expect("status");
    let listed = || {
        get_json(http, "/api/v1/receivers")["receivers"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["id"] == rx).cloned())
    };
    wait_for!(Duration::from_secs(30), || listed().is_some());
    let frames = encoded(&batches(rx, &recording(2_000), 500, 1));
    publish(mqtt, rx, Some((rx, "")), &frames).expect("frames");
    wait_for!(Duration::from_secs(60), || receptions(http) == 2_000);
    let far = listed().expect("listed");
    assert!(far["lat"].is_null() && far["lon"].is_null(), "{far}");
}

/// Regression: an unreadable status message was dropped with a debug log
/// line only.
#[test]
fn an_unreadable_status_is_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    let rx = "rx-garbled";
    publish(
        mqtt,
        rx,
        Some((rx, "")),
        &[(status_topic(rx), b"{\"state\":\"sideways\"}".to_vec())],
    )
    .expect("status");
    let series = format!("cloudradar_collector_status_rejected_total{{receiver=\"{rx}\"}}");
    wait_for!(Duration::from_secs(30), || {
        support::scenario::scrape(http, &series) == 1.0
    });
}
