//! The whole path with every component a real process: simulator (Beast
//! TCP server) → agent → embedded MQTT broker → collector → SQLite → API.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

/// A workspace binary next to this test's executable, built if missing
/// (`cargo test -p cloudradar-collector` alone does not build the others).
fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .to_path_buf();
    let bin = dir.join(name);
    if !bin.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--bin", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build");
        assert!(status.success(), "building {name}");
    }
    bin
}

#[test]
fn simulator_agent_collector_sqlite_api() {
    let dir = tempfile::tempdir().unwrap();
    let (mqtt, http, beast) = (free_port(), free_port(), free_port());
    let _c = start_collector(
        &dir.path().join("collector"),
        mqtt,
        http,
        &["--allow-anonymous", "true"],
    );
    let sim = Command::new(workspace_bin("cloudradar-sim"))
        .args([
            "--aircraft",
            "60",
            "--seed",
            "5",
            "--receivers",
            "1",
            "--beast-port-base",
        ])
        .arg(beast.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator");
    let _sim = Proc(sim);
    wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", beast)).is_ok()
    });
    let agent = Command::new(workspace_bin("cloudradar-agent"))
        .args(["--receiver-id", "sim-1", "--data-dir"])
        .arg(dir.path().join("agent"))
        .arg("--mqtt-url")
        .arg(format!("mqtt://127.0.0.1:{mqtt}"))
        .arg("--input")
        .arg(format!("tcp:127.0.0.1:{beast}:beast"))
        // The simulator's first receiver stands at the airport (its default centre).
        .args(["--lat", "52.3086", "--lon", "4.7639"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("agent");
    let _agent = Proc(agent);
    wait_for(Duration::from_secs(60), || {
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
    wait_for(Duration::from_secs(60), || {
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
}
