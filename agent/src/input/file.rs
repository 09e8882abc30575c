//! File input: replays a recording (Beast, AVR or CSV) for testing and
//! back-filling. CSV frames keep their recorded time and go as fast as the
//! pipeline takes them; others get the time they are read and are paced to
//! `max_per_s` (see `pace.rs`). A file is read from
//! `start` (where a previous run left it, see `position.rs`), and every
//! frame carries its place in the file.

use std::path::Path;

use cloudradar_shared::format::csv;
use tokio::io::AsyncSeekExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::pace::Pace;
use super::position::Mark;
use super::stream::read_frames;
use super::{Arrival, Format};

pub async fn run(
    path: &Path,
    format: Format,
    start: Mark,
    max_per_s: u64,
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
        replay_csv(path, start, label, &tx, &cancel).await
    } else {
        match open_at(path, start.offset).await {
            Ok(f) => tokio::select! {
                _ = cancel.cancelled() => Ok(()),
                r = read_frames(f, format, label, &tx, Some(start), Pace::new(max_per_s)) => r,
            },
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(()) => tracing::info!(input = label, "file read to the end"),
        Err(e) => tracing::error!(input = label, error = %e, "file input failed"),
    }
}

async fn open_at(path: &Path, offset: u64) -> std::io::Result<tokio::fs::File> {
    let mut f = tokio::fs::File::open(path).await?;
    f.seek(std::io::SeekFrom::Start(offset)).await?;
    Ok(f)
}

async fn replay_csv(
    path: &Path,
    start: Mark,
    label: &str,
    tx: &mpsc::Sender<Arrival>,
    cancel: &CancellationToken,
) -> std::io::Result<()> {
    let text = tokio::fs::read_to_string(path).await?;
    let mut pos = usize::try_from(start.offset).unwrap_or(usize::MAX);
    if pos > text.len() || !text.is_char_boundary(pos) {
        pos = 0;
    }
    let mut bad = 0u64;
    while pos < text.len() {
        if cancel.is_cancelled() {
            break;
        }
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        pos = end;
        if line.trim().is_empty() {
            continue;
        }
        match csv::parse_line(line.trim_end()) {
            Ok((t, rx)) => {
                let arrival = Arrival {
                    rx,
                    rx_ms: (t * 1000.0) as u64,
                    mark: Some(Mark {
                        offset: pos as u64,
                        ..start
                    }),
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
