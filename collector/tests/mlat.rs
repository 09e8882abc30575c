//! Multilateration through the collector's processing, against the
//! simulator's truth: the MLAT scenario's six receivers (own clocks,
//! Beast and dump1090 class), fewer aircraft and a short run, so it fits
//! the fast tier. The benchmark (`scripts/bench/mlat.sh`) runs the same
//! code for longer and reports the figures.

#[path = "../examples/mlat_bench/run.rs"]
mod run;
#[path = "../examples/mlat_bench/truth.rs"]
mod truth;

use cloudradar_sim::config::Config;

#[test]
fn mode_s_only_aircraft_get_positions_from_the_receivers_timestamps() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/docker/sim-mlat.toml"
    );
    let mut cfg = Config::from_file(std::path::Path::new(path)).expect("scenario");
    cfg.aircraft = 120;
    let run = run::run(&cfg, 150.0);
    let score = truth::Score::of(&run.truth, &run.fixes, run::EPOCH_MS, 40.0);
    let median = score.quantile(0.5).expect("scored fixes");
    eprintln!(
        "{} receivers, {} fixes, {} scored; median {median:.1} m, p95 {:.1} m, RMS {:.1} m; \
         tracked {} of {}; engine time {:?} beside {:?}",
        run.receivers.len(),
        run.fixes.len(),
        score.errors_m.len(),
        score.quantile(0.95).unwrap_or(f64::NAN),
        score.rms().unwrap_or(f64::NAN),
        score.tracked,
        score.entered,
        run.with_mlat.saturating_sub(run.without_mlat),
        run.without_mlat,
    );
    assert!(
        score.errors_m.len() > 200,
        "{} scored fixes",
        score.errors_m.len()
    );
    assert!(median < 80.0, "median error {median:.1} m");
    assert!(score.entered > 0 && score.tracked * 10 >= score.entered * 8);
    // Each clock's frequency error, learnt from the propagation delays:
    // the mixed scenario's dump1090-class clocks are up to 100 ppm off,
    // and the estimates must be much nearer than taking every clock as
    // exact.
    let (mut off, mut left) = (0.0, 0.0);
    for (truth, estimate) in &run.frequencies {
        let estimate = estimate.expect("an estimate for every receiver");
        eprintln!("clock {truth:.1} ppm, estimated {estimate:.1} ppm");
        off += truth * truth;
        left += (estimate - truth).powi(2);
    }
    assert!(left < 0.3 * off, "RMS left {left:.0} of {off:.0} ppm²");
    let m = run.metrics.expect("the engine is on");
    assert!(m.sync_pairs >= 10, "{} pairs in sync", m.sync_pairs);
    assert!(
        m.selfcheck_samples > 0,
        "the self-check solved ADS-B aircraft"
    );
}
