//! Every frame of both real recordings, as the agent would batch them,
//! round-trips bit-exactly through wire version 2 (and version 1), frames
//! that fail the CRC included; version 2 is the smaller of the two.

use cloudradar_shared::Frame;
use cloudradar_shared::format::csv;
use cloudradar_shared::wire::{Batch, Limits, WireFrame, decode, encode, encode_v1};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn long_flight() -> Vec<WireFrame> {
    std::fs::read_to_string(format!("{DATA}/long_flight.csv"))
        .expect("long_flight.csv in ../shared/data")
        .lines()
        .map(|l| {
            let (t, r) = csv::parse_line(l).expect("csv line");
            WireFrame {
                rx_ms: (t * 1000.0) as u64,
                timestamp: r.timestamp,
                signal: r.signal,
                frame: r.frame,
            }
        })
        .collect()
}

/// AVR has no timestamps or signal levels; rx_ms advances a little.
fn lax() -> Vec<WireFrame> {
    std::fs::read_to_string(format!("{DATA}/lax-messages.txt"))
        .expect("lax-messages.txt in ../shared/data")
        .lines()
        .enumerate()
        .map(|(i, l)| WireFrame {
            rx_ms: 1_700_000_000_000 + i as u64 / 3,
            timestamp: 0,
            signal: 0,
            frame: Frame::from_hex(l.trim().trim_start_matches('*').trim_end_matches(';'))
                .expect("hex"),
        })
        .collect()
}

/// Encodes `frames` in batches of `size`, checks each decodes to itself in
/// both versions; returns the total (v1, v2) bytes.
fn round_trip(frames: &[WireFrame], size: usize) -> (usize, usize) {
    let (mut v1, mut v2) = (0, 0);
    for (seq, chunk) in frames.chunks(size).enumerate() {
        let batch = Batch {
            receiver_id: "rx-recording".into(),
            seq: seq as u64,
            created_ms: chunk.last().map_or(0, |f| f.rx_ms + 250),
            frames: chunk.to_vec(),
        };
        let new = encode(&batch);
        assert_eq!(
            decode(&new, &Limits::default()).as_ref(),
            Ok(&batch),
            "batch {seq}"
        );
        let old = encode_v1(&batch);
        assert_eq!(
            decode(&old, &Limits::default()).as_ref(),
            Ok(&batch),
            "batch {seq} v1"
        );
        v1 += old.len();
        v2 += new.len();
    }
    (v1, v2)
}

#[test]
fn long_flight_round_trips_exactly_and_v2_is_smaller() {
    let frames = long_flight();
    assert_eq!(frames.len(), 172_432);
    for size in [1, 1250, 2000] {
        let (v1, v2) = round_trip(&frames, size);
        if size > 1 {
            assert!(v2 < v1, "batches of {size}: v2 {v2} bytes, v1 {v1}");
        }
    }
}

#[test]
fn lax_round_trips_exactly_and_v2_is_smaller() {
    let frames = lax();
    assert_eq!(frames.len(), 215_606);
    let (v1, v2) = round_trip(&frames, 2000);
    assert!(v2 < v1, "v2 {v2} bytes, v1 {v1}");
}
