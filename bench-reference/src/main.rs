//! Decodes every frame of both recordings with CloudRadar, rs1090 and
//! adsb_deku, in the same process, and prints frames per second (single
//! core, best of several rounds) and the ratios.

use std::hint::black_box;
use std::time::Instant;

use adsb_deku::deku::DekuContainerRead;
use cloudradar_shared::Frame;
use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::format::csv;
use cloudradar_shared::state::Fields;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");
const ROUNDS: usize = 5;

/// Best-of-`ROUNDS` frames per second of `f` over `frames`.
fn rate(frames: &[Vec<u8>], mut f: impl FnMut(&[u8]) -> bool) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut ok = 0usize;
        for b in frames {
            ok += usize::from(f(black_box(b)));
        }
        black_box(ok);
        best = best.min(start.elapsed().as_secs_f64());
    }
    frames.len() as f64 / best
}

/// rs1090 brings its own (newer) deku; its prelude has the matching trait.
fn rs1090_decode(b: &[u8]) -> bool {
    use rs1090::prelude::*;
    Message::from_bytes((b, 0)).is_ok()
}

fn main() {
    let long: Vec<Vec<u8>> = std::fs::read_to_string(format!("{DATA}/long_flight.csv"))
        .expect("long_flight.csv")
        .lines()
        .map(|l| {
            csv::parse_line(l)
                .expect("line")
                .1
                .frame
                .as_bytes()
                .to_vec()
        })
        .collect();
    let lax: Vec<Vec<u8>> = std::fs::read_to_string(format!("{DATA}/lax-messages.txt"))
        .expect("lax-messages.txt")
        .lines()
        .filter_map(|l| {
            Frame::from_hex(l.trim().trim_start_matches('*').trim_end_matches(';')).ok()
        })
        .map(|f| f.as_bytes().to_vec())
        .collect();
    let opts = DecodeOptions::default();
    println!(
        "{:<16} {:>14} {:>14} {:>14} {:>10} {:>10}",
        "recording", "cloudradar/s", "adsb_deku/s", "rs1090/s", "x deku", "x rs1090"
    );
    for (name, frames) in [("long_flight.csv", &long), ("lax-messages", &lax)] {
        let ours = rate(frames, |b| {
            Frame::new(b)
                .ok()
                .and_then(|f| decode(&f, &opts).ok())
                .map(|m| Fields::from_message(&m).alt_baro.is_some())
                .unwrap_or(false)
        });
        let deku = rate(frames, |b| adsb_deku::Frame::from_bytes((b, 0)).is_ok());
        let rs = rate(frames, rs1090_decode);
        println!(
            "{name:<16} {ours:>14.0} {deku:>14.0} {rs:>14.0} {:>10.1} {:>10.1}",
            ours / deku,
            ours / rs
        );
    }
}
