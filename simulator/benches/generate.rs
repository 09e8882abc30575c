//! Frames generated per second of CPU for 1,000 and 10,000 aircraft with
//! one receiver (traffic model, DO-260B schedule, encoding, reception and
//! noise), as simulated seconds per wall second: above 1 means faster than
//! real time on one core. Target: 10,000 aircraft in real time with most
//! of the core idle.

use std::hint::black_box;
use std::time::Instant;

use cloudradar_sim::config::Config;
use cloudradar_sim::engine::Engine;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn engine(aircraft: usize) -> Engine {
    let config = Config {
        seed: 3,
        aircraft,
        receiver_count: 1,
        ..Config::default()
    };
    let mut e = Engine::new(&config);
    // Past the start-up transient.
    e.advance(5.0, |_| {}, |_, _| {});
    e
}

fn frames_per_simulated_second(aircraft: usize) -> u64 {
    let mut e = engine(aircraft);
    let mut n = 0u64;
    e.advance(10.0, |_| n += 1, |_, _| {});
    n / 10
}

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate_one_second");
    group.sample_size(10);
    for aircraft in [1_000usize, 10_000] {
        let per_second = frames_per_simulated_second(aircraft);
        group.throughput(Throughput::Elements(per_second));
        let mut e = engine(aircraft);
        group.bench_with_input(BenchmarkId::from_parameter(aircraft), &aircraft, |b, _| {
            b.iter(|| {
                let mut n = 0u64;
                e.advance(
                    1.0,
                    |r| n += u64::from(black_box(&r).rx.frame.df()),
                    |_, _| {},
                );
                n
            })
        });
        // The real-time factor, printed for the issue note.
        let mut e = engine(aircraft);
        let started = Instant::now();
        e.advance(
            10.0,
            |r| {
                black_box(r);
            },
            |_, _| {},
        );
        let factor = 10.0 / started.elapsed().as_secs_f64();
        println!(
            "{aircraft} aircraft: {per_second} frames per simulated second, {factor:.1}x real time on one core"
        );
    }
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);
