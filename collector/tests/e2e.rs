//! The whole path with every component a real process: simulator (Beast
//! TCP server) → agent → embedded MQTT broker → collector → SQLite → API.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::scenario::workspace_bin;
use support::*;

#[test]
fn simulator_agent_collector_sqlite_api() {
    let dir = tempfile::tempdir().unwrap();
    let c = start_collector(
        &dir.path().join("collector"),
        0,
        0,
        &["--allow-anonymous", "true"],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let mut sim = Proc::spawn_with_stdout(
        "simulator",
        Command::new(workspace_bin("cloudradar-sim")).args([
            "--aircraft",
            "60",
            "--seed",
            "5",
            "--receivers",
            "1",
            "--beast-port-base",
            "0",
        ]),
    );
    // "receiver sim-1 at 52.3086,4.7639 height 10.0: beast 127.0.0.1:40001 avr ..."
    let line = sim.wait_for_line("receiver sim-1 ", Duration::from_secs(10));
    let beast = line
        .split_once(" beast ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no Beast address in {line:?}"))
        .to_string();
    let agent = Command::new(workspace_bin("cloudradar-agent"))
        .args(["--receiver-id", "sim-1", "--data-dir"])
        .arg(dir.path().join("agent"))
        .arg("--mqtt-url")
        .arg(format!("mqtt://127.0.0.1:{mqtt}"))
        .arg("--input")
        .arg(format!("tcp:{beast}:beast"))
        // The simulator's first receiver stands at the airport (its default centre).
        .args(["--lat", "52.3086", "--lon", "4.7639"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("agent");
    let _agent = Proc::adopt("agent", agent);
    wait_for!(Duration::from_secs(60), || {
        let a = get_json(http, "/api/v1/aircraft");
        let with_pos = a["aircraft"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter(|x| x.get("lat").is_some() && x.get("flight").is_some())
                    .count()
            })
            .unwrap_or(0);
        with_pos >= 10
    });
    // Surface positions need the receiver's position as reference: the agent's
    // status message carries it to the collector.
    wait_for!(Duration::from_secs(60), || {
        get_json(http, "/api/v1/aircraft")["aircraft"]
            .as_array()
            .is_some_and(|v| {
                v.iter()
                    .any(|x| x["alt_baro"] == "ground" && x.get("lat").is_some())
            })
    });
    let stats = get_json(http, "/api/v1/stats");
    assert!(
        stats["totals"]["positions"].as_i64().unwrap_or(0) > 0,
        "{stats}"
    );
    assert!(
        stats["totals"]["flights"].as_i64().unwrap_or(0) > 0,
        "{stats}"
    );
    let receivers = get_json(http, "/api/v1/receivers");
    let r = &receivers["receivers"][0];
    assert_eq!(r["id"], "sim-1");
    assert_eq!(r["online"], true, "status message applied: {receivers}");
    // The readsb-compatible file serves the same aircraft.
    let data = get_json(http, "/data/aircraft.json");
    assert!(data["aircraft"].as_array().map(|a| a.len()).unwrap_or(0) >= 10);
    // One aircraft with its stored track.
    let hex = data["aircraft"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x.get("lat").is_some()))
        .and_then(|x| x["hex"].as_str())
        .expect("an aircraft with a position")
        .to_string();
    let one = get_json(http, &format!("/api/v1/aircraft/{hex}"));
    assert!(
        one["track"]
            .as_array()
            .map(|t| !t.is_empty())
            .unwrap_or(false),
        "{one}"
    );
    receiver_views_are_filled(http);
    history_exports_as_csv_and_geojson(http);
    stream_sends_aircraft_events(http);
    aircraft_json_is_gzipped_when_accepted(http);
    metrics_cover_receivers_and_routes(http);
}

/// Coverage and per-minute rates come from what the receiver heard.
fn receiver_views_are_filled(http: u16) {
    let cov = get_json(http, "/api/v1/receivers/sim-1/coverage");
    let sectors = cov["max_range_m"].as_array().expect("sectors").clone();
    assert_eq!(sectors.len(), 36, "{cov}");
    let filled: Vec<f64> = sectors.iter().filter_map(|v| v.as_f64()).collect();
    assert!(filled.len() >= 3, "aircraft in several directions: {cov}");
    assert!(
        filled.iter().all(|r| *r > 0.0 && *r < 650_000.0),
        "plausible ranges: {cov}"
    );
    let rates = get_json(http, "/api/v1/receivers/sim-1/rates?minutes=10");
    let points = rates["points"].as_array().expect("points");
    assert!(
        points
            .iter()
            .any(|p| p["messages_per_s"].as_f64().unwrap_or(0.0) > 0.0),
        "{rates}"
    );
    let best = points
        .iter()
        .max_by_key(|p| p["aircraft"].as_i64().unwrap_or(0))
        .expect("a point");
    assert!(best["aircraft"].as_i64().unwrap_or(0) >= 10, "{best}");
    assert!(best["max_range_m"].as_f64().unwrap_or(0.0) > 0.0, "{best}");
    let bands: i64 = best["signal_bands"]
        .as_array()
        .map(|b| b.iter().filter_map(|x| x.as_i64()).sum())
        .unwrap_or(0);
    assert!(bands > 0, "signal levels recorded: {best}");
    let list = get_json(http, "/api/v1/receivers");
    assert!(
        list["receivers"][0]["range_m"].as_f64().unwrap_or(0.0) > 0.0,
        "{list}"
    );
    let (code, body) = get(http, "/api/v1/receivers/nobody/coverage").expect("http");
    assert_eq!(code, 404, "{body}");
    let (code, body) = get(http, "/api/v1/receivers/sim-1/rates?minutes=0").expect("http");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("minutes"), "{body}");
}

/// Positions as GeoJSON points and CSV rows; flights as CSV only.
fn history_exports_as_csv_and_geojson(http: u16) {
    let geo = get_json(http, "/api/v1/positions?format=geojson&limit=5");
    assert_eq!(geo["type"], "FeatureCollection", "{geo}");
    let features = geo["features"].as_array().expect("features");
    assert_eq!(features.len(), 5, "{geo}");
    let c = &features[0]["geometry"]["coordinates"];
    assert!(c[0].as_f64().is_some() && c[1].as_f64().is_some(), "{geo}");
    assert!(features[0]["properties"]["hex"].is_string(), "{geo}");
    assert!(
        geo["next"].as_i64().is_some(),
        "a full page has a cursor: {geo}"
    );
    let (code, csv) = get(http, "/api/v1/positions?format=csv&limit=3").expect("http");
    assert_eq!(code, 200, "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0], "id,hex,time_ms,lat,lon,alt_baro,gs,track,source",
        "{csv}"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    let (code, csv) = get(http, "/api/v1/flights?format=csv").expect("http");
    assert_eq!(code, 200, "{csv}");
    assert!(
        csv.starts_with("id,hex,callsign,first_seen_ms,last_seen_ms\n"),
        "{csv}"
    );
    let (code, body) = get(http, "/api/v1/flights?format=geojson").expect("http");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("format"), "{body}");
}

/// The live stream sends readsb-shaped aircraft lists as SSE events.
fn stream_sends_aircraft_events(http: u16) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", http)).expect("http");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("http");
    write!(
        s,
        "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("http");
    let mut seen = String::new();
    let mut buf = [0u8; 65536];
    while seen.matches("event: aircraft").count() < 2 {
        let n = s.read(&mut buf).expect("stream data within 10 s");
        assert!(n > 0, "stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(seen.contains("data: {\"now\":"), "{seen}");
}

/// readsb clients (tar1090) ask for gzip; the body inflates to the list.
fn aircraft_json_is_gzipped_when_accepted(http: u16) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", http)).expect("connect");
    write!(
        s,
        "GET /data/aircraft.json HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(!head.contains("transfer-encoding: chunked"), "{head}");
    let mut json = String::new();
    flate2::read::GzDecoder::new(&raw[split + 4..])
        .read_to_string(&mut json)
        .expect("gzip body");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert!(
        v["aircraft"].as_array().is_some_and(|a| !a.is_empty()),
        "{v}"
    );
}

/// Per-receiver and per-route series exist once traffic has flowed.
fn metrics_cover_receivers_and_routes(http: u16) {
    let (_, text) = get(http, "/metrics").expect("http");
    for needle in [
        "cloudradar_collector_frames_received_total{receiver=\"sim-1\"}",
        "cloudradar_collector_receiver_online{receiver=\"sim-1\"} 1",
        "cloudradar_collector_http_request_duration_seconds_bucket{route=\"/api/v1/receivers/{id}/coverage\"",
        "cloudradar_collector_data_dir_free_bytes",
        "cloudradar_collector_queue_capacity",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}
