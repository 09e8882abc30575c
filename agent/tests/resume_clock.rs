//! A Beast back-fill timed by the receiver clock keeps its time base when
//! it is resumed: an agent killed mid-file and started again (after the
//! file's modification time, which sets the base, has changed) sends
//! every frame at the time the first run would have given it.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use cloudradar_shared::format::{beast, csv};
use common::{
    DATA, LONG_FLIGHT_ACCEPTED, agent, mosquitto, saved_offset, subscriber_with, wait_for,
};

/// Writes long_flight.csv as a Beast file at `path`, its mtime the time
/// of the last frame; returns every frame's timestamp.
fn write_beast(path: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(format!("{DATA}/long_flight.csv")).expect("recording");
    let (mut out, mut ticks, mut last) = (Vec::new(), Vec::new(), 0.0);
    for line in text.lines() {
        let (t, rx) = csv::parse_line(line).expect("a recording line");
        beast::write(&rx, &mut out);
        ticks.push(rx.timestamp);
        last = t;
    }
    std::fs::write(path, &out).expect("beast file");
    set_mtime(path, Duration::from_secs_f64(last));
    ticks
}

fn set_mtime(path: &Path, since_epoch: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(UNIX_EPOCH + since_epoch))
        .expect("set mtime");
}

fn mtime_us(path: &Path) -> i64 {
    let t = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime");
    t.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_micros() as i64
}

#[test]
fn a_clocked_backfill_resumed_keeps_its_time_base() {
    let dir = tempfile::tempdir().expect("tmp");
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let file = dir.path().join("long_flight.beast");
    let ticks = write_beast(&file);
    let (first, last) = (ticks[0], ticks[ticks.len() - 1]);
    // The base the first run takes: the last frame at the file's mtime.
    let base_us = mtime_us(&file) - ((last - first) / 12) as i64;
    let expected = |ts: u64| ((base_us + ((ts - first) / 12) as i64) / 1000) as u64;
    let got = subscriber_with(broker.port, |b| {
        let times: Vec<(u64, u64)> = b.frames.iter().map(|f| (f.timestamp, f.rx_ms)).collect();
        (b.seq, times)
    });
    let data = dir.path().join("agent");
    let input = format!("file:{}:beast", file.display());
    let args = ["--dedup-window-ms", "0"];
    let mut first_run = agent(&data, broker.port, &input, &args);
    let inputs = data.join("inputs");
    wait_for!(Duration::from_secs(60), || {
        saved_offset(&inputs).is_some_and(|o| o > 0)
    });
    let _ = first_run.child().kill(); // SIGKILL, mid-file
    let _ = first_run.child().wait();
    let size = std::fs::metadata(&file).expect("size").len();
    let left_at = saved_offset(&inputs).expect("a saved position");
    assert!(
        left_at < size,
        "killed mid-file ({left_at} of {size} bytes)"
    );
    // A day later by its mtime: a base taken afresh would move every frame.
    set_mtime(
        &file,
        Duration::from_micros(mtime_us(&file) as u64 + 86_400_000_000),
    );
    let _second_run = agent(&data, broker.port, &input, &args);
    let unique = || {
        let g = got.lock().expect("lock");
        g.iter()
            .cloned()
            .collect::<BTreeMap<u64, Vec<(u64, u64)>>>()
    };
    wait_for!(Duration::from_secs(120), || {
        unique().values().map(Vec::len).sum::<usize>() >= LONG_FLIGHT_ACCEPTED
    });
    let frames: Vec<(u64, u64)> = unique().into_values().flatten().collect();
    assert_eq!(frames.len(), LONG_FLIGHT_ACCEPTED);
    let wrong: Vec<_> = frames
        .iter()
        .filter(|(ts, rx_ms)| *rx_ms != expected(*ts))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} frames not at their clock time, first (ts, rx_ms) {:?}, expected {}",
        wrong.len(),
        frames.len(),
        wrong.first(),
        wrong.first().map_or(0, |w| expected(w.0))
    );
}
