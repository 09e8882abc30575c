//! One recording back-filled through a real agent into a fresh collector
//! (embedded broker), and the positions it stored, read from SQLite.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::scenario::workspace_bin;
use super::{Proc, start_collector, wait_for};

/// A stored position: time (Unix ms), latitude, longitude.
pub type Fix = (i64, f64, f64);

/// Back-fills `input` through an agent into a fresh collector in `dir`
/// (the agent also given `agent_args`) and returns the stored positions
/// per aircraft, in time order.
pub fn backfill(dir: &Path, input: &str, agent_args: &[&str]) -> HashMap<i64, Vec<Fix>> {
    // The recording is from 2023: keep what it stores.
    let keep = ["--retention-positions-days", "36500"];
    let keep_msgs = ["--retention-messages-days", "36500"];
    let c = start_collector(
        &dir.join("collector"),
        0,
        0,
        &[
            "--allow-anonymous",
            "true",
            keep[0],
            keep[1],
            keep_msgs[0],
            keep_msgs[1],
        ],
    );
    let mut agent = Proc::spawn(
        "agent",
        Command::new(workspace_bin("cloudradar-agent"))
            .args(["--receiver-id", "rx-backfill", "--input", input])
            .args(agent_args)
            .arg("--mqtt-url")
            .arg(format!("mqtt://127.0.0.1:{}", c.mqtt))
            .args(["--http-listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("agent"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null()),
    );
    agent.wait_for_line("file read to the end", Duration::from_secs(300));
    // With every batch confirmed stored by the collector, the agent exits.
    wait_for!(Duration::from_secs(300), || agent.exited().is_some());
    drop(c);
    positions(&dir.join("collector").join("cloudradar.sqlite"))
}

pub fn positions(db: &Path) -> HashMap<i64, Vec<Fix>> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut q = conn
        .prepare("SELECT icao, time_ms, lat, lon FROM positions ORDER BY icao, time_ms, lat, lon")
        .expect("query");
    let mut out: HashMap<i64, Vec<Fix>> = HashMap::new();
    let rows = q
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
        .expect("rows");
    for row in rows {
        let (icao, fix): (i64, Fix) = row.expect("row");
        out.entry(icao).or_default().push(fix);
    }
    out
}
