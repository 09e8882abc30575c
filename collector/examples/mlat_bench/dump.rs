//! The benchmark's `--dump`: every fix with its error against the truth.

use cloudradar_collector::mlat::MlatFix;
use cloudradar_shared::cpr::{Position, distance_m};

use super::truth::Truth;

/// Writes every fix that has a truth with its 2D error, one JSON object
/// per line, for looking into where the errors come from.
pub fn dump(
    path: &std::path::Path,
    truth: &Truth,
    fixes: &[MlatFix],
    epoch_ms: u64,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for f in fixes {
        let t = (f.time_ms as f64 - epoch_ms as f64) / 1000.0;
        let Some((p, heard)) = truth.at(f.icao, t) else {
            continue;
        };
        let error = distance_m(
            p,
            Position {
                lat: f.lat,
                lon: f.lon,
            },
        );
        let line = serde_json::json!({
            "icao": format!("{:06x}", f.icao), "t": t, "error_m": error, "heard": heard,
            "est_m": f.error_m, "receivers": f.receivers, "tracked": f.gs_kt.is_some(),
            "lat": p.lat, "lon": p.lon, "fix_lat": f.lat, "fix_lon": f.lon, "alt_ft": f.alt_baro_ft,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()
}
