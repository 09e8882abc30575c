#![no_main]
//! Frame decoder and state model: never panic; an accepted DF17/18 always
//! re-verifies.
use cloudradar_shared::Frame;
use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::state::{Fields, Tracker, TrackerOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut tracker = Tracker::new(TrackerOptions::default());
    let opts = DecodeOptions { fix_one_bit: true, fix_two_bits: true };
    for (i, chunk) in data.chunks(14).enumerate() {
        let Ok(f) = Frame::new(if chunk.len() >= 14 { chunk } else { &chunk[..chunk.len().min(7)] }) else {
            continue;
        };
        if let Ok(m) = decode(&f, &opts) {
            if matches!(m.df, 17 | 18) {
                assert_eq!(cloudradar_shared::crc::syndrome(m.frame.as_bytes()), 0);
            }
            let _ = Fields::from_message(&m);
            let _ = tracker.update(&m, i as u64 * 100, None);
        }
    }
});
