//! File input: replays a recording (Beast, AVR or CSV) for testing and
//! back-filling. CSV frames keep their recorded time, Beast and AVR frames
//! with a receiver clock are timed by it (see `clock.rs`); both go as fast
//! as the pipeline takes them. Frames without a clock get the time they are
//! read and are paced to `max_per_s` (see `pace.rs`). A file is read from
//! where a previous run left it (see `position.rs`), and every frame
//! carries its place in the file.

use std::path::Path;

use cloudradar_shared::format::{Scan, avr, beast, csv};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::clock::{Survey, modified_us, survey};
use super::pace::Pace;
use super::position::Mark;
use super::stream::{Timing, detect, read_frames};
use super::{Arrival, FileInput, Format};

pub async fn run(
    path: &Path,
    format: Format,
    file: &FileInput,
    label: &str,
    tx: mpsc::Sender<Arrival>,
    cancel: CancellationToken,
) {
    let start = Mark {
        file: file.index,
        offset: file.positions.resume(file.index),
    };
    let csv_like = format == Format::Csv
        || (format == Format::Auto
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")));
    let result = if csv_like {
        replay_csv(path, start, label, &tx, &cancel).await
    } else {
        match tokio::try_join!(
            timing(path, format, start, file, label),
            open_at(path, start.offset)
        ) {
            Ok((timing, f)) => tokio::select! {
                _ = cancel.cancelled() => Ok(()),
                r = read_frames(f, format, label, &tx, Some(start), timing) => r,
            },
            Err(e) => Err(e),
        }
    };
    match result {
        Ok(()) => tracing::info!(input = label, "file read to the end"),
        Err(e) => tracing::error!(input = label, error = %e, "file input failed"),
    }
}

/// How a Beast or AVR file is timed: by its receiver clock if its frames
/// carry one, from the base kept from an earlier run of it or else its
/// modification time minus its clock span; paced read times if not.
async fn timing(
    path: &Path,
    format: Format,
    start: Mark,
    file: &FileInput,
    label: &str,
) -> std::io::Result<Timing> {
    let owned = path.to_path_buf();
    let found = tokio::task::spawn_blocking(move || survey_file(&owned, format, start.offset))
        .await
        .map_err(std::io::Error::other)??;
    let Some(found) = found.filter(|s| s.whole.clocked()) else {
        tracing::info!(
            input = label,
            "no receiver clock in the file; paced, read times"
        );
        return Ok(Pace::new(file.max_per_s).map_or(Timing::Now, Timing::Paced));
    };
    let base_us = match file.positions.clock_base_us(file.index) {
        Some(base) => base,
        None => {
            let base = found.base_for_end(modified_us(path)?);
            file.positions.set_clock_base_us(file.index, base);
            base
        }
    };
    let span_s = found.whole.elapsed_us() as f64 / 1e6;
    tracing::info!(
        input = label,
        base_us,
        span_s,
        "timing the file by its receiver clock"
    );
    if found.resets() > 0 {
        tracing::warn!(
            input = label,
            resets = found.resets(),
            "the receiver clock restarts in the file; times go on from the frame before each restart"
        );
    }
    Ok(Timing::Clocked(found.at_start.rebased(base_us)))
}

/// Surveys the clock of the Beast or AVR file at `path` (`None`: no frame
/// to tell its format by).
fn survey_file(path: &Path, format: Format, start: u64) -> std::io::Result<Option<Survey>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)?
        .take(4096)
        .read_to_end(&mut head)?;
    let format = match format {
        Format::Auto => detect(&head),
        f => Some(f),
    };
    let scan: fn(&[u8]) -> Scan = match format {
        Some(Format::Avr) => avr::scan,
        Some(_) => beast::scan,
        None => return Ok(None),
    };
    let reader = std::io::BufReader::new(std::fs::File::open(path)?);
    survey(reader, scan, start).map(Some)
}

async fn open_at(path: &Path, offset: u64) -> std::io::Result<tokio::fs::File> {
    let mut f = tokio::fs::File::open(path).await?;
    f.seek(std::io::SeekFrom::Start(offset)).await?;
    Ok(f)
}

/// Longest CSV line taken (a line is about 70 bytes); longer ones are
/// skipped as garbage without being held whole.
const MAX_LINE: u64 = 4096;

/// Streams a CSV recording line by line from `start` (a file of any size
/// in little memory); lines that are not UTF-8, too long or unparseable are
/// counted and skipped.
async fn replay_csv(
    path: &Path,
    start: Mark,
    label: &str,
    tx: &mpsc::Sender<Arrival>,
    cancel: &CancellationToken,
) -> std::io::Result<()> {
    let mut reader =
        tokio::io::BufReader::with_capacity(256 << 10, open_at(path, start.offset).await?);
    let mut pos = start.offset;
    let mut bad = 0u64;
    let mut line = Vec::with_capacity(128);
    while !cancel.is_cancelled() {
        let n = read_line(&mut reader, &mut line).await?;
        if n == 0 {
            break;
        }
        pos += n;
        if line.last() != Some(&b'\n') && n == MAX_LINE {
            bad += 1;
            // Skip the rest of the overlong line.
            loop {
                let m = read_line(&mut reader, &mut line).await?;
                pos += m;
                if m == 0 || line.last() == Some(&b'\n') {
                    break;
                }
            }
            continue;
        }
        let Ok(text) = std::str::from_utf8(&line) else {
            bad += 1;
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        match csv::parse_line(text.trim_end()) {
            Ok((t, rx)) => {
                let arrival = Arrival {
                    rx,
                    rx_ms: (t * 1000.0) as u64,
                    mark: Some(Mark {
                        offset: pos,
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

/// Reads up to a newline (kept) or [`MAX_LINE`] bytes into `line`.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<u64> {
    line.clear();
    let n = reader.take(MAX_LINE).read_until(b'\n', line).await?;
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a CSV recording was read whole into memory, and one
    /// byte that was not UTF-8 failed the whole file.
    #[tokio::test]
    async fn a_csv_is_streamed_and_bad_lines_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.csv");
        let good = "1698140962.119813,1a32000023b1dda011210000bd6b441a\n";
        let mut bytes = Vec::new();
        bytes.extend_from_slice(good.as_bytes());
        bytes.extend_from_slice(b"1698140962.2,1a32\xff\xfe\n");
        bytes.extend_from_slice(&[b'x'; 10_000]);
        bytes.push(b'\n');
        bytes.extend_from_slice(b"\n  \n");
        bytes.extend_from_slice(good.as_bytes());
        bytes.extend_from_slice(good.trim_end().as_bytes()); // no final newline
        std::fs::write(&path, &bytes).unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let start = Mark { file: 3, offset: 0 };
        replay_csv(&path, start, "test", &tx, &CancellationToken::new())
            .await
            .unwrap();
        drop(tx);
        let mut got = Vec::new();
        while let Some(a) = rx.recv().await {
            got.push(a.mark.unwrap());
        }
        assert_eq!(got.len(), 3, "the three good lines");
        assert_eq!(got[0].offset, good.len() as u64);
        assert_eq!(got[2].offset, bytes.len() as u64);
        assert!(got.iter().all(|m| m.file == 3));
        // Resumed after the first line: the rest, nothing before.
        let (tx, mut rx) = mpsc::channel(16);
        replay_csv(&path, got[0], "test", &tx, &CancellationToken::new())
            .await
            .unwrap();
        drop(tx);
        let mut resumed = 0;
        while rx.recv().await.is_some() {
            resumed += 1;
        }
        assert_eq!(resumed, 2);
    }
}
