//! Writes real wire batches (version 1 and 2) made from a CSV recording
//! into a directory: the seed corpus of the `wire_batch` fuzz target, so
//! the fuzzer starts from valid batches instead of guessing the header.
//!
//! `cargo run -p cloudradar-shared --example wire_seeds -- RECORDING.csv DIR`

use cloudradar_shared::format::csv;
use cloudradar_shared::wire::{Batch, WireFrame, encode, encode_v1};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(recording), Some(dir)) = (args.next(), args.next()) else {
        return Err("usage: wire_seeds RECORDING.csv DIR".into());
    };
    let text = std::fs::read_to_string(&recording)?;
    let frames: Vec<WireFrame> = text
        .lines()
        .filter_map(|l| csv::parse_line(l).ok())
        .take(2_000)
        .map(|(t, rx)| WireFrame {
            rx_ms: (t * 1000.0) as u64,
            timestamp: rx.timestamp,
            signal: rx.signal,
            frame: rx.frame,
        })
        .collect();
    std::fs::create_dir_all(&dir)?;
    for (i, n) in [1usize, 7, 60, 500, 2_000].into_iter().enumerate() {
        let batch = Batch {
            receiver_id: "seed".into(),
            seq: i as u64 + 1,
            created_ms: frames.first().map_or(0, |f| f.rx_ms),
            frames: frames.iter().take(n).copied().collect(),
        };
        std::fs::write(format!("{dir}/v2-{n}"), encode(&batch))?;
        std::fs::write(format!("{dir}/v1-{n}"), encode_v1(&batch))?;
    }
    Ok(())
}
