//! File input: replays a recording (Beast, AVR or CSV) as fast as the
//! pipeline takes it, for testing and back-filling. CSV frames keep their
//! recorded time; others get the time they are read.

use std::path::Path;

use cloudradar_shared::format::csv;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::stream::read_frames;
use super::{Arrival, Format};

pub async fn run(
    path: &Path,
    format: Format,
    label: &str,
    tx: mpsc::Sender<Arrival>,
    cancel: CancellationToken,
) {
    let csv_like = format == Format::Csv
        || (format == Format::Auto
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")));
    let result = if csv_like {
        replay_csv(path, label, &tx, &cancel).await
    } else {
        match tokio::fs::File::open(path).await {
            Ok(f) => tokio::select! {
                _ = cancel.cancelled() => Ok(()),
                r = read_frames(f, format, label, &tx) => r,
            },
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(()) => tracing::info!(input = label, "file read to the end"),
        Err(e) => tracing::error!(input = label, error = %e, "file input failed"),
    }
}

async fn replay_csv(
    path: &Path,
    label: &str,
    tx: &mpsc::Sender<Arrival>,
    cancel: &CancellationToken,
) -> std::io::Result<()> {
    let text = tokio::fs::read_to_string(path).await?;
    let mut bad = 0u64;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if cancel.is_cancelled() {
            break;
        }
        match csv::parse_line(line) {
            Ok((t, rx)) => {
                let arrival = Arrival {
                    rx,
                    rx_ms: (t * 1000.0) as u64,
                };
                if tx.send(arrival).await.is_err() {
                    break;
                }
                metrics::counter!("cloudradar_agent_frames_in_total", "input" => label.to_string())
                    .increment(1);
            }
            Err(_) => bad += 1,
        }
    }
    if bad > 0 {
        tracing::warn!(input = label, lines = bad, "unparseable lines skipped");
        metrics::counter!("cloudradar_agent_garbage_lines_total", "input" => label.to_string())
            .increment(bad);
    }
    Ok(())
}
