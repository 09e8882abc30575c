//! Wire format: batch encode and decode throughput (frames/s) on
//! long_flight.csv in 1,250-frame batches (what the agent builds at 5,000
//! frames/s with 250 ms batches), version 2 against version 1 in the same
//! process. First prints the bytes per frame for several batch sizes and
//! what each version 2 column costs (docs/performance.md).

use std::hint::black_box;

use cloudradar_shared::format::csv;
use cloudradar_shared::wire::{Batch, Limits, WireFrame, column_sizes, decode, encode, encode_v1};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn long_flight() -> Vec<WireFrame> {
    std::fs::read_to_string(format!("{DATA}/long_flight.csv"))
        .expect("recording")
        .lines()
        .map(|l| {
            let (t, r) = csv::parse_line(l).expect("line");
            WireFrame {
                rx_ms: (t * 1000.0) as u64,
                timestamp: r.timestamp,
                signal: r.signal,
                frame: r.frame,
            }
        })
        .collect()
}

fn batches(frames: &[WireFrame], size: usize) -> Vec<Batch> {
    frames
        .chunks(size)
        .enumerate()
        .map(|(seq, chunk)| Batch {
            receiver_id: "bench".into(),
            seq: seq as u64,
            created_ms: chunk.last().map_or(0, |f| f.rx_ms + 250),
            frames: chunk.to_vec(),
        })
        .collect()
}

/// Raw Beast bytes of the recording (escaped, as a receiver sends them).
fn beast_bytes(frames: &[WireFrame]) -> usize {
    frames
        .iter()
        .map(|f| {
            let mut body = vec![if f.frame.len() == 7 { 0x32 } else { 0x33 }];
            body.extend_from_slice(&f.timestamp.to_be_bytes()[2..]);
            body.push(f.signal);
            body.extend_from_slice(f.frame.as_bytes());
            1 + body.len() + body.iter().filter(|&&b| b == 0x1A).count()
        })
        .sum()
}

fn report_sizes(frames: &[WireFrame]) {
    let n = frames.len() as f64;
    let beast = beast_bytes(frames) as f64;
    println!(
        "wire size on long_flight.csv ({} frames, {beast} Beast bytes)",
        frames.len()
    );
    for size in [10, 50, 250, 1250, 2000] {
        let b = batches(frames, size);
        let v1: usize = b.iter().map(|b| encode_v1(b).len()).sum();
        let v2: usize = b.iter().map(|b| encode(b).len()).sum();
        println!(
            "  batches of {size:>4}: v1 {:.2} B/frame ({:.1}%), v2 {:.2} B/frame ({:.1}%)",
            v1 as f64 / n,
            100.0 * v1 as f64 / beast,
            v2 as f64 / n,
            100.0 * v2 as f64 / beast,
        );
    }
    let mut cols: Vec<(&str, usize, usize)> = Vec::new();
    let mut total = 0;
    for b in batches(frames, 1250) {
        let bytes = encode(&b);
        total += bytes.len();
        for (name, raw, stored) in column_sizes(&bytes).expect("v2") {
            match cols.iter_mut().find(|c| c.0 == name) {
                Some(c) => {
                    c.1 += raw;
                    c.2 += stored;
                }
                None => cols.push((name, raw, stored)),
            }
        }
    }
    let columns: usize = cols.iter().map(|c| c.2).sum();
    println!("  v2 columns, batches of 1250 (decoded -> stored bytes per frame):");
    for (name, raw, stored) in cols {
        println!(
            "    {name:<8} {:>6.2} -> {:.3}",
            raw as f64 / n,
            stored as f64 / n
        );
    }
    println!(
        "    header and column framing {:.3}",
        (total - columns) as f64 / n
    );
}

fn bench(c: &mut Criterion) {
    let frames = long_flight();
    report_sizes(&frames);
    let b = batches(&frames, 1250);
    let v2: Vec<Vec<u8>> = b.iter().map(encode).collect();
    let v1: Vec<Vec<u8>> = b.iter().map(encode_v1).collect();
    let limits = Limits::default();
    let mut g = c.benchmark_group("wire");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.sample_size(10);
    g.bench_function("long_flight/encode_v2", |x| {
        x.iter(|| b.iter().map(|b| encode(black_box(b)).len()).sum::<usize>())
    });
    g.bench_function("long_flight/decode_v2", |x| {
        x.iter(|| {
            v2.iter()
                .map(|e| decode(black_box(e), &limits).expect("v2").frames.len())
                .sum::<usize>()
        })
    });
    g.bench_function("long_flight/encode_v1", |x| {
        x.iter(|| {
            b.iter()
                .map(|b| encode_v1(black_box(b)).len())
                .sum::<usize>()
        })
    });
    g.bench_function("long_flight/decode_v1", |x| {
        x.iter(|| {
            v1.iter()
                .map(|e| decode(black_box(e), &limits).expect("v1").frames.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
