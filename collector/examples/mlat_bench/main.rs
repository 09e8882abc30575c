//! Multilateration benchmark against the simulator's truth
//! (`scripts/bench/mlat.sh` runs its variants).
//!
//! The simulator's engine (`deploy/docker/sim-mlat.toml` by default: six
//! receivers about 100 km apart, each with its own 12 MHz clock, 15 % of
//! the aircraft without ADS-B) runs in simulated time. Every simulated
//! second each receiver's receptions become one wire batch, as an agent
//! would send them, with the receiver's own timestamps and its reported
//! site. Two collector processors take the same batches: one with the
//! multilateration engine, one without; the difference in their
//! processing time is what multilateration costs beside the ingest.
//!
//! Every fix of a Mode S-only aircraft is compared with where the
//! simulator says the aircraft was at the fix's time. Prints one JSON
//! object: 2D error median / RMS / p95 for aircraft heard by at least 4
//! receivers, the share of those aircraft tracked within 30 s of
//! entering that coverage, and the CPU share per 100 multilaterated
//! aircraft.

mod truth;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use clap::Parser;
use cloudradar_collector::mlat::{Mlat, MlatOptions};
use cloudradar_collector::process::Processor;
use cloudradar_shared::cpr::Position;
use cloudradar_shared::wire::{Batch, WireFrame};
use cloudradar_sim::clock::ClockKind;
use cloudradar_sim::config::Config;
use cloudradar_sim::engine::Engine;

use truth::{Score, Truth};

/// Runs the simulator's network through the collector's processing.
#[derive(Debug, Parser)]
struct Args {
    /// Scenario file (simulator TOML).
    #[arg(long, default_value = "deploy/docker/sim-mlat.toml")]
    scenario: PathBuf,
    /// Simulated seconds.
    #[arg(long, default_value_t = 600.0)]
    seconds: f64,
    /// Use only the first N receivers of the scenario.
    #[arg(long)]
    receivers: Option<usize>,
    /// Give every receiver this clock class (ideal, beast, dump1090, mixed).
    #[arg(long)]
    clock: Option<String>,
    /// Seconds after the start before fixes are scored (clock sync).
    #[arg(long, default_value_t = 60.0)]
    warmup: f64,
}

/// Unix ms of simulated time 0.
const EPOCH_MS: u64 = 1_796_000_000_000;

fn scenario(args: &Args) -> anyhow::Result<Config> {
    let mut cfg = Config::from_file(&args.scenario)?;
    if let Some(n) = args.receivers {
        cfg.receivers.truncate(n);
    }
    if let Some(kind) = &args.clock {
        cfg.clock = match kind.as_str() {
            "ideal" => ClockKind::Ideal,
            "beast" => ClockKind::Beast,
            "dump1090" => ClockKind::Dump1090,
            "mixed" => ClockKind::Mixed,
            other => anyhow::bail!("--clock {other}: expected ideal, beast, dump1090 or mixed"),
        };
        for r in &mut cfg.receivers {
            r.clock = None;
            r.clock_ppm = None;
            r.clock_jitter_ns = None;
            r.clock_drift_ppb = None;
        }
    }
    cfg.duration_s = None;
    Ok(cfg)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cfg = scenario(&args)?;
    let mut engine = Engine::new(&cfg);
    let ids: Vec<String> = engine.receivers.iter().map(|r| r.id.clone()).collect();
    let sites: HashMap<String, Position> = engine
        .receivers
        .iter()
        .map(|r| (r.id.clone(), r.site.reported))
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
    let steps = (args.seconds * 10.0).round() as u64;
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
    let score = Score::of(&truth, &fixes, EPOCH_MS, args.warmup);
    let extra = t_with.saturating_sub(t_without).as_secs_f64();
    let per_100 = if score.aircraft_multilaterated > 0.0 {
        100.0 * extra / args.seconds * 100.0 / score.aircraft_multilaterated
    } else {
        f64::NAN
    };
    let report = serde_json::json!({
        "receivers": ids.len(),
        "clock": args.clock.as_deref().unwrap_or("scenario"),
        "seconds": args.seconds,
        "fixes": fixes.len(),
        "scored_fixes": score.errors_m.len(),
        "median_m": score.quantile(0.5),
        "p95_m": score.quantile(0.95),
        "rms_m": score.rms(),
        "mode_s_only_in_coverage": score.entered,
        "tracked_within_30s": score.tracked,
        "tracked_share": score.tracked as f64 / score.entered.max(1) as f64,
        "aircraft_multilaterated_avg": score.aircraft_multilaterated,
        "processing_s_without_mlat": t_without.as_secs_f64(),
        "processing_s_with_mlat": t_with.as_secs_f64(),
        "mlat_core_percent_per_100_aircraft": per_100,
        "mlat": with.mlat_metrics().map(|m| serde_json::json!({
            "sync_pairs": m.sync_pairs, "solves": m.solves, "fixes": m.fixes,
            "selfcheck_p50_m": m.selfcheck_error_m_p50, "selfcheck_p95_m": m.selfcheck_error_m_p95,
            "residual_p50_ns": m.residual_ns_p50,
        })),
    });
    println!("{report}");
    Ok(())
}
