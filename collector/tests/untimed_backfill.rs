//! An untimed back-fill (AVR `*hex;` lines, no receiver clock) through a
//! real agent stores the positions the agent's own `decode` command
//! resolves from the same file: frames read without a clock are resolved
//! by message order and against the receiver's position, not as if they
//! were received at the (paced) time they were read.

mod support;

use std::process::Command;

use support::DATA;
use support::scenario::workspace_bin;
use support::stored::backfill;

/// LAX, where lax-messages.txt was recorded.
const LAT: &str = "33.9425";
const LON: &str = "-118.408";

/// Positions `cloudradar-agent decode` prints for `path`.
fn decoded_positions(path: &str) -> usize {
    let out = Command::new(workspace_bin("cloudradar-agent"))
        .args(["decode", path, "--lat", LAT, "--lon", LON])
        .output()
        .expect("decode");
    assert!(out.status.success(), "decode failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"lat\":"))
        .count()
}

#[test]
fn an_untimed_backfill_stores_the_positions_decode_resolves() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = format!("{DATA}/lax-messages.txt");
    let want = decoded_positions(&path);
    let stored = backfill(
        dir.path(),
        &format!("file:{path}:avr"),
        &["--lat", LAT, "--lon", LON],
    );
    let got: usize = stored.values().map(Vec::len).sum();
    eprintln!("positions: decode {want}, stored from the back-fill {got}");
    assert!(want > 20_000, "decode resolves positions: {want}");
    assert!(
        got as f64 >= want as f64 * 0.99,
        "stored {got} of the {want} positions decode resolves"
    );
}
