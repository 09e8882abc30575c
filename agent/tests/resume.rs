//! A file input resumes where the last spooled batch ended: an agent killed
//! while back-filling a recording and started again sends every frame of
//! the recording exactly once.

mod common;

use std::time::Duration;

use common::{DATA, agent, free_port, mosquitto, subscriber, wait_for, whole_recording_arrives};

/// The offset saved for the (only) file input, if any.
fn saved_offset(inputs: &std::path::Path) -> Option<u64> {
    let entry = std::fs::read_dir(inputs)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".pos"))?;
    let text = std::fs::read_to_string(entry.path()).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_recording_killed_midway_and_restarted_arrives_exactly_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let _broker = mosquitto(dir.path(), port, "allow_anonymous true\n");
    let got = subscriber(port);
    let data = dir.path().join("agent");
    let recording = format!("{DATA}/long_flight.csv");
    let size = std::fs::metadata(&recording).expect("recording").len();
    let args = ["--dedup-window-ms", "0"];
    let mut first = agent(&data, port, &format!("file:{recording}"), &args);
    let inputs = data.join("inputs");
    wait_for(Duration::from_secs(60), || {
        saved_offset(&inputs).is_some_and(|o| o > 0)
    });
    let _ = first.0.kill(); // SIGKILL, mid-file
    let _ = first.0.wait();
    let left_at = saved_offset(&inputs).expect("a saved position");
    assert!(
        left_at < size,
        "killed before the end of the file ({left_at} of {size} bytes)"
    );
    let _second = agent(&data, port, &format!("file:{recording}"), &args);
    // Every accepted frame arrives, and no frame twice under two batch
    // numbers (which re-reading the file from the start would cause).
    whole_recording_arrives(&got, Duration::from_secs(120));
    wait_for(Duration::from_secs(30), || {
        saved_offset(&inputs) == Some(size)
    });
}
