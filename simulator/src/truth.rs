//! The ground truth file (JSON lines): a `receiver` line per receiver
//! (true and reported site, clock class), then in time order a `frame`
//! line per transmission (when and where it left the aircraft, who heard
//! it) and a `state` line with every aircraft once a simulated second.
//! A benchmark compares what the system made of the frames with it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};

use crate::engine::TruthFrame;
use crate::receiver::Receiver;
use crate::traffic::Aircraft;

/// Creates the file at `path` and writes the receiver lines.
pub fn create(path: &Path, receivers: &[Receiver]) -> anyhow::Result<BufWriter<File>> {
    let file =
        File::create(path).with_context(|| format!("creating ground truth {}", path.display()))?;
    let mut w = BufWriter::new(file);
    for r in receivers {
        writeln!(w, "{}", receiver_line(r))?;
    }
    Ok(w)
}

/// Receiver `r`: where it is, where it says it is, its clock class.
pub fn receiver_line(r: &Receiver) -> Value {
    json!({
        "type": "receiver", "t": 0.0, "id": r.id,
        "lat": r.site.position.lat, "lon": r.site.position.lon, "alt_m": r.site.alt_m,
        "reported_lat": r.site.reported.lat, "reported_lon": r.site.reported.lon,
        "reported_alt_m": r.site.reported_alt_m, "clock": r.clock.params().kind,
    })
}

/// One transmission.
pub fn frame_line(tf: &TruthFrame) -> Value {
    json!({
        "type": "frame", "t": tf.t, "icao": tf.icao,
        "mode_s_only": tf.mode_s_only, "lat": tf.lat, "lon": tf.lon,
        "alt_ft": tf.alt_ft, "alt_geom_m": tf.alt_geom_m,
        "raw": tf.raw, "heard": tf.heard,
    })
}

/// Every aircraft at simulated time `t`.
pub fn state_line(t: f64, aircraft: &[Aircraft]) -> Value {
    json!({"type": "state", "t": t, "aircraft": aircraft})
}
