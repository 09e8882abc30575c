//! Decodes every frame of both real recordings and checks the CRC outcome
//! per downlink format against an independent decoder.
//!
//! Expected counts come from pyModeS 3.6 (`pyModeS.util.crc` on each
//! message: DF17/18 remainder 0 = intact; DF11 remainder < 80 = intact with
//! an interrogator code); the one-off script counted per DF:
//! lax-messages.txt:  DF0 72333, DF4 22019, DF5 623, DF11 45937 ok + 53 bad,
//!                    DF16 4629, DF17 67876 ok, DF18 723 ok, DF20 1029, DF21 377, DF24 7.
//! long_flight.csv:   DF0 21393, DF4 8841, DF5 2949, DF11 38452 ok + 4 bad,
//!                    DF16 2694, DF17 31395 ok, DF18 18990 ok, DF20 29460, DF21 18254.

use std::collections::BTreeMap;

use cloudradar_shared::Frame;
use cloudradar_shared::decode::{CrcStatus, DecodeError, DecodeOptions, decode};
use cloudradar_shared::format::csv;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn lax() -> Vec<Frame> {
    std::fs::read_to_string(format!("{DATA}/lax-messages.txt"))
        .expect("lax-messages.txt in ../shared/data")
        .lines()
        .map(|l| {
            Frame::from_hex(l.trim().trim_start_matches('*').trim_end_matches(';')).expect("hex")
        })
        .collect()
}

fn long_flight() -> Vec<Frame> {
    std::fs::read_to_string(format!("{DATA}/long_flight.csv"))
        .expect("long_flight.csv in ../shared/data")
        .lines()
        .map(|l| csv::parse_line(l).expect("csv line").1.frame)
        .collect()
}

/// (df, outcome) -> count, outcome one of ok / corrected / parity / bad.
fn tally(frames: &[Frame], opts: &DecodeOptions) -> BTreeMap<(u8, &'static str), usize> {
    let mut out = BTreeMap::new();
    for f in frames {
        let key = match decode(f, opts) {
            Ok(m) => (
                m.df,
                match m.crc {
                    CrcStatus::Ok => "ok",
                    CrcStatus::Corrected { .. } => "corrected",
                    CrcStatus::AddressParity => "parity",
                },
            ),
            Err(DecodeError::Crc { .. }) => (f.df(), "bad"),
            Err(e) => panic!("{f}: {e}"),
        };
        *out.entry(key).or_insert(0) += 1;
    }
    out
}

fn expect(pairs: &[((u8, &'static str), usize)]) -> BTreeMap<(u8, &'static str), usize> {
    pairs.iter().copied().collect()
}

#[test]
fn lax_crc_outcomes_match_pymodes() {
    let frames = lax();
    assert_eq!(frames.len(), 215_606);
    let strict = DecodeOptions {
        fix_one_bit: false,
        fix_two_bits: false,
    };
    assert_eq!(
        tally(&frames, &strict),
        expect(&[
            ((0, "parity"), 72333),
            ((4, "parity"), 22019),
            ((5, "parity"), 623),
            ((11, "bad"), 53),
            ((11, "ok"), 45937),
            ((16, "parity"), 4629),
            ((17, "ok"), 67876),
            ((18, "ok"), 723),
            ((20, "parity"), 1029),
            ((21, "parity"), 377),
            ((24, "parity"), 7),
        ])
    );
    // With correction on, some DF11 squitters are repaired; nothing else changes.
    let fixed = tally(&frames, &DecodeOptions::default());
    let repaired = fixed.get(&(11, "corrected")).copied().unwrap_or(0);
    assert_eq!(repaired + fixed.get(&(11, "bad")).copied().unwrap_or(0), 53);
    println!("lax with 1-bit repair: {fixed:?}");
}

#[test]
fn long_flight_crc_outcomes_match_pymodes() {
    let frames = long_flight();
    assert_eq!(frames.len(), 172_432);
    let strict = DecodeOptions {
        fix_one_bit: false,
        fix_two_bits: false,
    };
    assert_eq!(
        tally(&frames, &strict),
        expect(&[
            ((0, "parity"), 21393),
            ((4, "parity"), 8841),
            ((5, "parity"), 2949),
            ((11, "bad"), 4),
            ((11, "ok"), 38452),
            ((16, "parity"), 2694),
            ((17, "ok"), 31395),
            ((18, "ok"), 18990),
            ((20, "parity"), 29460),
            ((21, "parity"), 18254),
        ])
    );
}

#[test]
fn corrupted_recording_frames_are_repaired_or_rejected_never_misread() {
    // Flip one bit (past the DF field) in every DF17 of the LAX recording:
    // each must come back corrected to the original; flip two and, with
    // two-bit repair off, each must be rejected or "repaired" only to a
    // frame whose CRC checks (never a panic).
    let opts = DecodeOptions::default();
    for (i, f) in lax()
        .iter()
        .filter(|f| f.df() == 17)
        .enumerate()
        .take(20_000)
    {
        let mut bad = *f;
        let bit = 5 + i % 107;
        cloudradar_shared::crc::flip(bad.as_bytes_mut(), bit);
        let m = decode(&bad, &opts).expect("single-bit error is repaired");
        assert_eq!(m.crc, CrcStatus::Corrected { bits: 1 });
        assert_eq!(m.frame, *f);
        cloudradar_shared::crc::flip(bad.as_bytes_mut(), 5 + (i * 7 + 13) % 107);
        if let Ok(m) = decode(&bad, &opts) {
            assert_eq!(cloudradar_shared::crc::syndrome(m.frame.as_bytes()), 0);
        }
    }
}

#[test]
fn random_frames_never_panic() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let opts = DecodeOptions {
        fix_one_bit: true,
        fix_two_bits: true,
    };
    for i in 0..200_000 {
        let mut bytes = [0u8; 14];
        for b in bytes.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let len = if i % 2 == 0 { 7 } else { 14 };
        let f = Frame::new(&bytes[..len]).expect("7 or 14 bytes");
        if let Ok(m) = decode(&f, &opts)
            && matches!(m.df, 17 | 18)
        {
            assert_eq!(cloudradar_shared::crc::syndrome(m.frame.as_bytes()), 0);
        }
    }
}
