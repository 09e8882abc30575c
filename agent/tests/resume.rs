//! A file input resumes where the last spooled batch ended: an agent killed
//! while back-filling a recording and started again sends every frame of
//! the recording exactly once.

mod common;

use std::time::Duration;

use common::{DATA, agent, mosquitto, saved_offset, subscriber, wait_for, whole_recording_arrives};

#[test]
fn a_recording_killed_midway_and_restarted_arrives_exactly_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let got = subscriber(port);
    let data = dir.path().join("agent");
    let recording = format!("{DATA}/long_flight.csv");
    let size = std::fs::metadata(&recording).expect("recording").len();
    let args = ["--dedup-window-ms", "0"];
    let mut first = agent(&data, port, &format!("file:{recording}"), &args);
    let inputs = data.join("inputs");
    wait_for!(Duration::from_secs(60), || {
        saved_offset(&inputs).is_some_and(|o| o > 0)
    });
    let _ = first.child().kill(); // SIGKILL, mid-file
    let _ = first.child().wait();
    let left_at = saved_offset(&inputs).expect("a saved position");
    assert!(
        left_at < size,
        "killed before the end of the file ({left_at} of {size} bytes)"
    );
    let _second = agent(&data, port, &format!("file:{recording}"), &args);
    // Every accepted frame arrives, and no frame twice under two batch
    // numbers (which re-reading the file from the start would cause).
    whole_recording_arrives(&got, Duration::from_secs(120));
    wait_for!(Duration::from_secs(30), || {
        saved_offset(&inputs) == Some(size)
    });
}

/// Regression: when a file ended in frames the filter dropped after its
/// last batch was made, their place was never recorded, so a restart read
/// that tail again (and, with a fresh filter, could send what a repeat
/// filter had dropped).
#[test]
fn a_file_ending_in_filtered_frames_is_recorded_to_its_end() {
    let dir = tempfile::tempdir().expect("tmp");
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let text = std::fs::read_to_string(format!("{DATA}/long_flight.csv")).expect("recording");
    // 50 frames that pass the CRC (pyModeS: lines 101-2100 all do): one
    // full batch, made at the 50th.
    let mut csv: String = text
        .lines()
        .skip(100)
        .take(50)
        .map(|l| format!("{l}\n"))
        .collect();
    // Then four that fail it beyond repair (a DF17 with three bits
    // flipped): rejected, in no batch.
    let (time, hex) = text
        .lines()
        .skip(200)
        .filter_map(|l| l.split_once(','))
        .find(|(_, h)| h.len() == 46 && &h[18..20] == "8d")
        .expect("a DF17 line");
    let mut bytes = hex.to_string().into_bytes();
    let last = bytes.len() - 1;
    let digit = u8::from_str_radix(std::str::from_utf8(&bytes[last..]).expect("hex"), 16)
        .expect("hex digit");
    bytes[last] = format!("{:x}", digit ^ 0x7).as_bytes()[0];
    let bad = String::from_utf8(bytes).expect("utf-8");
    for _ in 0..4 {
        csv.push_str(&format!("{time},{bad}\n"));
    }
    let file = dir.path().join("tail.csv");
    std::fs::write(&file, &csv).expect("write");
    let config = dir.path().join("agent.toml");
    std::fs::write(&config, "batch_max_frames = 50\n").expect("config");
    let data = dir.path().join("agent");
    let config_arg = config.display().to_string();
    let mut a = agent(
        &data,
        port,
        &format!("file:{}", file.display()),
        &["--dedup-window-ms", "0", "--config", &config_arg],
    );
    // The agent exits once the file is read and delivered.
    let status = a.child().wait().expect("agent exits");
    assert!(status.success(), "{status}");
    assert_eq!(saved_offset(&data.join("inputs")), Some(csv.len() as u64));
}
