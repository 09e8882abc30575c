//! The serial output read the way the agent reads a receiver: the
//! simulator's pty symlink opened with tokio-serial at the Beast baud rate,
//! the bytes parsed as Beast (or AVR) and checked with the shared decoder.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use cloudradar_shared::decode::{CrcStatus, DecodeOptions, decode};
use cloudradar_shared::format::{Received, Scan, avr, beast, scan_all};
use common::{Sim, exists, wait_until};
use tokio::io::AsyncReadExt;
use tokio_serial::SerialPortBuilderExt;

/// Reads the serial device for `secs` seconds like the agent does
/// (`serial:PATH` defaults to 3,000,000 baud).
async fn read_serial(path: &std::path::Path, secs: u64) -> Vec<u8> {
    let mut port = tokio_serial::new(path.to_string_lossy(), 3_000_000)
        .open_native_async()
        .expect("opening the simulator's serial device");
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        match tokio::time::timeout(Duration::from_millis(200), port.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&buf[..n]),
            Ok(Ok(_)) => break,
            Ok(Err(e)) => panic!("serial read failed: {e}"),
            Err(_) => {}
        }
    }
    bytes
}

/// Frames with an intact (or repaired) CRC and the DF11/17/18 addresses seen.
fn check(frames: &[Received]) -> (usize, HashSet<u32>) {
    let opts = DecodeOptions::default();
    let mut good = 0;
    let mut aircraft = HashSet::new();
    for f in frames {
        if let Ok(m) = decode(&f.frame, &opts) {
            if matches!(m.crc, CrcStatus::Ok | CrcStatus::Corrected { .. }) {
                good += 1;
                if matches!(f.frame.df(), 11 | 17 | 18) {
                    aircraft.insert(m.address.icao);
                }
            } else {
                // Address/parity replies: counted, their address is unchecked.
                good += 1;
            }
        }
    }
    (good, aircraft)
}

fn garbage_free(scan: fn(&[u8]) -> Scan, bytes: &[u8]) -> Vec<Received> {
    // The reader may open mid-frame: allow garbage before the first frame only.
    let (frames, garbage) = scan_all(scan, bytes);
    assert!(garbage < 64, "{garbage} garbage bytes in the stream");
    frames
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beast_on_the_serial_pty_carries_valid_frames_from_many_aircraft() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyBEAST");
    let link_str = link.to_str().unwrap();
    let mut sim = Sim::start(&[
        "--aircraft",
        "60",
        "--seed",
        "5",
        "--serial",
        link_str,
        "--duration-s",
        "60",
    ]);
    assert!(
        wait_until(Duration::from_secs(10), || exists(&link)),
        "no serial link"
    );
    let bytes = read_serial(&link, 3).await;
    let frames = garbage_free(beast::scan, &bytes);
    assert!(frames.len() > 300, "only {} frames in 3 s", frames.len());
    let (good, aircraft) = check(&frames);
    // Default noise: 1% deliberately unrepairable.
    assert!(
        good as f64 >= frames.len() as f64 * 0.95,
        "{good} of {} frames pass the CRC",
        frames.len()
    );
    assert!(aircraft.len() >= 10, "only {} aircraft", aircraft.len());
    assert!(
        frames.iter().all(|f| f.timestamp != 0 && f.signal != 0),
        "Beast frames carry a 12 MHz timestamp and a signal level"
    );
    // In order of arrival, as a receiver sends them: the receiver's clock
    // never goes back but by its jitter (the first receiver's is Beast
    // class: 83 ns, a tick).
    for w in frames.windows(2) {
        let back = w[0].timestamp.wrapping_sub(w[1].timestamp) & 0xFFFF_FFFF_FFFF;
        let ahead = w[1].timestamp.wrapping_sub(w[0].timestamp) & 0xFFFF_FFFF_FFFF;
        assert!(
            ahead < 12_000_000 || back <= 12,
            "timestamp {} after {}",
            w[1].timestamp,
            w[0].timestamp
        );
    }
    assert!(sim.terminate(Duration::from_secs(5)), "no clean exit");
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "link left behind after shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avr_on_the_serial_pty_for_the_second_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("ttyA"), dir.path().join("ttyB"));
    let _sim = Sim::start(&[
        "--aircraft",
        "60",
        "--receivers",
        "2",
        "--serial",
        first.to_str().unwrap(),
        "--serial",
        second.to_str().unwrap(),
        "--serial-format",
        "avr",
        "--duration-s",
        "60",
    ]);
    assert!(
        wait_until(Duration::from_secs(10), || exists(&second)),
        "no serial link"
    );
    assert_ne!(
        std::fs::read_link(&first).unwrap(),
        std::fs::read_link(&second).unwrap(),
        "each receiver has its own pty"
    );
    let bytes = read_serial(&second, 3).await;
    assert!(bytes.starts_with(b"@") || bytes.contains(&b'@'));
    let frames = garbage_free(avr::scan, &bytes);
    assert!(frames.len() > 100, "only {} frames in 3 s", frames.len());
    let (good, aircraft) = check(&frames);
    assert!(good as f64 >= frames.len() as f64 * 0.95);
    assert!(aircraft.len() >= 5, "only {} aircraft", aircraft.len());
}
