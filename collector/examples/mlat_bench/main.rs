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

mod dump;
mod run;
mod truth;

use std::path::PathBuf;

use clap::Parser;
use cloudradar_sim::clock::ClockKind;
use cloudradar_sim::config::Config;

use truth::Score;

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
    /// Write every scored fix with its error to this file (JSON lines).
    #[arg(long)]
    dump: Option<PathBuf>,
}

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
    let run = run::run(&cfg, args.seconds);
    let (fixes, ids) = (&run.fixes, &run.receivers);
    let score = Score::of(&run.truth, fixes, run::EPOCH_MS, args.warmup);
    if let Some(path) = &args.dump {
        dump::dump(path, &run.truth, fixes, run::EPOCH_MS)?;
    }
    let extra = run.with_mlat.saturating_sub(run.without_mlat).as_secs_f64();
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
        "over_1km": score.errors_m.iter().filter(|e| **e > 1_000.0).count(),
        "max_m": score.errors_m.last(),
        "mode_s_only_in_coverage": score.entered,
        "tracked_within_30s": score.tracked,
        "tracked_share": score.tracked as f64 / score.entered.max(1) as f64,
        "aircraft_multilaterated_avg": score.aircraft_multilaterated,
        "processing_s_without_mlat": run.without_mlat.as_secs_f64(),
        "processing_s_with_mlat": run.with_mlat.as_secs_f64(),
        "mlat_core_percent_per_100_aircraft": per_100,
        "clock_ppm_true_estimated": run.frequencies,
        "mlat": run.metrics.as_ref().map(|m| serde_json::json!({
            "sync_pairs": m.sync_pairs, "solves": m.solves, "fixes": m.fixes,
            "selfcheck_p50_m": m.selfcheck_error_m_p50, "selfcheck_p95_m": m.selfcheck_error_m_p95,
            "residual_p50_ns": m.residual_ns_p50,
            "refused": m.refused.iter().copied().collect::<std::collections::BTreeMap<_, _>>(),
        })),
    });
    println!("{report}");
    Ok(())
}
