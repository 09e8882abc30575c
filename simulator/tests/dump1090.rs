//! Cross-check with an independent decoder: the simulator's Beast output
//! fed to dump1090-mutability, whose aircraft.json must show the simulated
//! aircraft with the callsigns, squawks, altitudes and positions of the
//! simulator's ground truth. `scripts/test.sh` installs dump1090-mutability
//! and sets CLOUDRADAR_REQUIRE_DUMP1090, so in CI this test cannot skip.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cloudradar_test_support::{Proc, port};
use common::Sim;
use serde_json::Value;

fn connect(port: u16) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(e) if Instant::now() > deadline => panic!("connect {port}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Distance in metres (equirectangular; fine at these ranges).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = 111_195.0;
    let dlat = (a.0 - b.0) * k;
    let dlon = (a.1 - b.1) * k * a.0.to_radians().cos();
    (dlat * dlat + dlon * dlon).sqrt()
}

#[test]
fn dump1090_decodes_the_simulated_traffic_as_the_truth_says() {
    let Some(dump1090) = [
        "/usr/bin/dump1090-mutability",
        "/usr/sbin/dump1090-mutability",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists()) else {
        assert!(
            std::env::var_os("CLOUDRADAR_REQUIRE_DUMP1090").is_none(),
            "dump1090-mutability is required but not installed"
        );
        eprintln!("dump1090-mutability not installed: cross-check skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    // dump1090 cannot report ports it bound to 0: locked ones.
    let [bi, ri, ro, sbs, bo] = std::array::from_fn(|_| port::locked());
    let truth = dir.path().join("truth.jsonl");
    let truth_arg = truth.display().to_string();
    let mut sim = Sim::start(&[
        "--aircraft",
        "40",
        "--seed",
        "11",
        "--receivers",
        "1",
        "--truth",
        &truth_arg,
    ]);
    let beast = sim.beast_addrs(1).remove(0);
    let json_dir = dir.path().join("json");
    std::fs::create_dir_all(&json_dir).expect("json dir");
    let _dump = Proc::spawn(
        "dump1090-mutability",
        Command::new(dump1090)
            .args(["--net-only", "--quiet", "--net-http-port", "0"])
            .args([
                "--net-bi-port",
                &bi.to_string(),
                "--net-ri-port",
                &ri.to_string(),
            ])
            .args([
                "--net-ro-port",
                &ro.to_string(),
                "--net-sbs-port",
                &sbs.to_string(),
            ])
            .args(["--net-bo-port", &bo.to_string()])
            .arg("--write-json")
            .arg(&json_dir)
            .stdout(Stdio::null()),
    );
    // Relay the simulator's Beast stream into dump1090's Beast input.
    let mut from = TcpStream::connect(&beast).unwrap_or_else(|e| panic!("connect {beast}: {e}"));
    let mut to = connect(bi);
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    // dump1090 rewrites aircraft.json every second: wait until it shows
    // enough positions to compare.
    let positions = |v: &Value| {
        v["aircraft"].as_array().map_or(0, |a| {
            a.iter()
                .filter(|a| a["lat"].is_number() && a["lon"].is_number())
                .count()
        })
    };
    let mut text = String::new();
    let shown = common::wait_until(Duration::from_secs(60), || {
        text = std::fs::read_to_string(json_dir.join("aircraft.json")).unwrap_or_default();
        serde_json::from_str::<Value>(&text).is_ok_and(|v| positions(&v) >= 15)
    });
    assert!(
        shown,
        "dump1090 showed fewer than 15 positions in 60 s:\n{text}"
    );
    let seen: Value = serde_json::from_str(&text).expect("JSON");
    // The latest truth state.
    let state: Value = std::fs::read_to_string(&truth)
        .expect("truth")
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "state")
        .expect("a truth state");
    let truth: HashMap<String, &Value> = state["aircraft"]
        .as_array()
        .expect("aircraft")
        .iter()
        .filter_map(|a| a["icao"].as_str().map(|h| (h.to_string(), a)))
        .collect();

    let mut compared = 0;
    let mut problems = Vec::new();
    for a in seen["aircraft"].as_array().expect("aircraft list") {
        let hex = a["hex"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('~');
        let Some(t) = truth.get(hex) else {
            problems.push(format!("{hex}: not a simulated aircraft"));
            continue;
        };
        if let Some(flight) = a["flight"].as_str()
            && flight.trim() != t["callsign"].as_str().unwrap_or_default()
        {
            problems.push(format!("{hex}: flight {flight:?} vs {}", t["callsign"]));
        }
        if let Some(sq) = a["squawk"].as_str()
            && sq != t["squawk"].as_str().unwrap_or_default()
        {
            problems.push(format!("{hex}: squawk {sq} vs {}", t["squawk"]));
        }
        if let Some(alt) = a["altitude"].as_f64() {
            // Up to a few seconds apart at up to ~3,000 ft/min, 25 ft steps.
            let want = t["alt_ft"].as_f64().unwrap_or(f64::NAN);
            if (alt - want).abs() > 300.0 {
                problems.push(format!("{hex}: altitude {alt} vs {want:.0}"));
            }
        }
        if let (Some(lat), Some(lon)) = (a["lat"].as_f64(), a["lon"].as_f64()) {
            let want = (
                t["lat"].as_f64().unwrap_or(f64::NAN),
                t["lon"].as_f64().unwrap_or(f64::NAN),
            );
            let age = a["seen_pos"].as_f64().unwrap_or(0.0) + 1.5;
            let speed = t["gs"].as_f64().unwrap_or(500.0) * 0.5144;
            let d = metres((lat, lon), want);
            if d > 200.0 + age * speed {
                problems.push(format!("{hex}: position {d:.0} m from the truth"));
            }
            compared += 1;
        }
    }
    assert!(
        problems.is_empty(),
        "dump1090 disagrees:\n{}",
        problems.join("\n")
    );
    assert!(
        compared >= 15,
        "only {compared} positions compared:\n{text}"
    );
}
