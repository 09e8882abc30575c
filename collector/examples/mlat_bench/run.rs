//! The benchmark's run: the simulator's engine in simulated time, each
//! receiver's receptions of a second as one wire batch, two collector
//! processors (with and without multilateration) taking the same batches.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use cloudradar_collector::mlat::{Mlat, MlatFix, MlatMetrics, MlatOptions};
use cloudradar_collector::process::{Processor, ReceiverSite};
use cloudradar_shared::wire::{Batch, WireFrame};
use cloudradar_sim::config::Config;
use cloudradar_sim::engine::Engine;

use super::truth::Truth;

/// Unix ms of simulated time 0.
pub const EPOCH_MS: u64 = 1_796_000_000_000;

/// What a run gave.
#[derive(Debug)]
pub struct Run {
    /// Receiver ids.
    pub receivers: Vec<String>,
    /// Every fix, in the order the engine gave them.
    pub fixes: Vec<MlatFix>,
    /// Where the Mode S-only aircraft were.
    pub truth: Truth,
    /// Processing time with the engine.
    pub with_mlat: Duration,
    /// Processing time of the same batches without it.
    pub without_mlat: Duration,
    /// The engine's figures at the end.
    pub metrics: Option<MlatMetrics>,
    /// Each receiver's clock frequency error at the end, ppm: the
    /// simulator's, and the engine's estimate.
    pub frequencies: Vec<(f64, Option<f64>)>,
}

/// Runs `cfg` for `seconds` simulated seconds.
pub fn run(cfg: &Config, seconds: f64) -> Run {
    let mut engine = Engine::new(cfg);
    let ids: Vec<String> = engine.receivers.iter().map(|r| r.id.clone()).collect();
    let sites: HashMap<String, ReceiverSite> = engine
        .receivers
        .iter()
        .map(|r| {
            let site = ReceiverSite {
                position: r.site.reported,
                alt_m: Some(r.site.reported_alt_m),
            };
            (r.id.clone(), site)
        })
        .collect();
    let positions = || Arc::new(RwLock::new(sites.clone()));
    let mut with =
        Processor::new(0, 1_000, positions()).with_mlat(Mlat::new(MlatOptions::default()));
    let mut without = Processor::new(0, 1_000, positions());
    let (mut t_with, mut t_without) = (Duration::ZERO, Duration::ZERO);
    let mut truth = Truth::default();
    let mut fixes = Vec::new();
    let mut pending: Vec<Vec<WireFrame>> = vec![Vec::new(); ids.len()];
    let mut seq = 0;
    let steps = (seconds * 10.0).round() as u64;
    for step in 1..=steps {
        engine.advance(
            0.1,
            |r| {
                pending[r.receiver].push(WireFrame {
                    rx_ms: EPOCH_MS + (r.t * 1000.0) as u64,
                    timestamp: r.rx.timestamp,
                    signal: r.rx.signal,
                    frame: r.rx.frame,
                })
            },
            |f, _| truth.add(f),
        );
        if step % 10 != 0 {
            continue;
        }
        // One batch per receiver per second, arriving half a second later.
        let now = EPOCH_MS + step * 100 + 500;
        seq += 1;
        for (i, frames) in pending.iter_mut().enumerate() {
            let batch = Batch {
                receiver_id: ids[i].clone(),
                seq,
                created_ms: now,
                frames: std::mem::take(frames),
            };
            let started = Instant::now();
            without.process(&batch, now);
            t_without += started.elapsed();
            let started = Instant::now();
            with.process(&batch, now);
            t_with += started.elapsed();
        }
        let started = Instant::now();
        fixes.extend(with.poll_mlat(now));
        t_with += started.elapsed();
    }
    let frequencies = engine
        .receivers
        .iter()
        .map(|r| {
            (
                r.clock.ppm(),
                with.mlat().and_then(|m| m.frequency_ppm(&r.id)),
            )
        })
        .collect();
    Run {
        frequencies,
        receivers: ids,
        fixes,
        truth,
        with_mlat: t_with,
        without_mlat: t_without,
        metrics: with.mlat_metrics(),
    }
}
