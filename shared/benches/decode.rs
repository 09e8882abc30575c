//! Decoder throughput on the real recordings: full decode (CRC, every
//! field, Comm-B inference) per frame, and the Beast stream parser in
//! bytes per second. Frames are parsed from text outside the timed loop.

use std::hint::black_box;

use cloudradar_shared::Frame;
use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::format::{Scan, beast, csv};
use cloudradar_shared::state::{Fields, Tracker, TrackerOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

fn long_flight() -> Vec<(u64, cloudradar_shared::format::Received)> {
    std::fs::read_to_string(format!("{DATA}/long_flight.csv"))
        .expect("recording")
        .lines()
        .map(|l| {
            let (t, r) = csv::parse_line(l).expect("line");
            ((t * 1000.0) as u64, r)
        })
        .collect()
}

fn lax() -> Vec<Frame> {
    std::fs::read_to_string(format!("{DATA}/lax-messages.txt"))
        .expect("recording")
        .lines()
        .filter_map(|l| {
            Frame::from_hex(l.trim().trim_start_matches('*').trim_end_matches(';')).ok()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let lf = long_flight();
    let lf_frames: Vec<Frame> = lf.iter().map(|(_, r)| r.frame).collect();
    let lax = lax();
    let opts = DecodeOptions::default();
    let mut g = c.benchmark_group("decode");
    for (name, frames) in [("long_flight", &lf_frames), ("lax", &lax)] {
        g.throughput(Throughput::Elements(frames.len() as u64));
        g.bench_function(format!("{name}/full_decode"), |b| {
            b.iter(|| {
                let mut ok = 0usize;
                for f in frames.iter() {
                    if let Ok(m) = decode(black_box(f), &opts) {
                        ok += usize::from(black_box(Fields::from_message(&m)).alt_baro.is_some());
                    }
                }
                ok
            })
        });
    }
    g.throughput(Throughput::Elements(lf.len() as u64));
    g.bench_function("long_flight/decode_and_track", |b| {
        b.iter(|| {
            let mut t = Tracker::new(TrackerOptions::default());
            for (ms, r) in &lf {
                if let Ok(m) = decode(&r.frame, &opts) {
                    black_box(t.update(&m, *ms, None));
                }
            }
            t.len()
        })
    });
    g.finish();

    let mut stream = Vec::new();
    for (_, r) in &lf {
        beast::write(r, &mut stream);
    }
    let mut g = c.benchmark_group("beast");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("long_flight/scan", |b| {
        b.iter(|| {
            let mut rest = &stream[..];
            let mut n = 0usize;
            while let Scan::Frame(_, used) | Scan::ModeAc(_, used) | Scan::Garbage(used) =
                beast::scan(rest)
            {
                n += 1;
                rest = &rest[used..];
            }
            n
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
