//! Receiver inputs: a TCP feed (readsb/dump1090 Beast 30005 or AVR 30002),
//! a serial receiver, or a recording file. Each input reads bytes, scans
//! them into frames with the shared stream parsers, and sends them on with
//! their reception time: the wall-clock time they arrived, for a recording
//! the time it holds (see `file.rs`). Garbage is counted, never fatal.
//!
//! Talks to: the receiver (bytes in) and the batcher (frames out).

mod clock;
mod file;
mod pace;
pub mod position;
mod serial;
mod spec;
mod stream;
mod tcp;

pub use spec::{Format, Spec};

use cloudradar_shared::format::Received;
use cloudradar_shared::retry::Backoff;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A frame with its arrival time.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    /// The frame as received.
    pub rx: Received,
    /// Reception time, Unix ms.
    pub rx_ms: u64,
    /// Where it was in its file (file inputs only).
    pub mark: Option<position::Mark>,
}

/// Where a file input is and how fast it may go: file number `index` of
/// `positions`, started where it was left; Beast and AVR files without a
/// receiver clock at most `max_per_s` frames a second (0: unpaced).
#[derive(Debug, Clone)]
pub struct FileInput {
    pub index: u16,
    pub positions: position::Positions,
    pub max_per_s: u64,
}

/// Runs one input until cancelled (files: until read).
pub async fn run(
    spec: Spec,
    file: FileInput,
    tx: mpsc::Sender<Arrival>,
    cancel: CancellationToken,
) {
    let label = spec.label();
    match spec {
        Spec::Tcp { host, port, format } => tcp::run(&host, port, format, &label, tx, cancel).await,
        Spec::Serial {
            device,
            baud,
            format,
        } => serial::run(&device, baud, format, &label, tx, cancel).await,
        Spec::File { path, format } => file::run(&path, format, &file, &label, tx, cancel).await,
    }
}

/// Runs `attempt` (connect and read until the stream ends) again and
/// again, waiting with `backoff` in between, until cancelled or nobody
/// takes the frames any more.
async fn reconnecting<F, Fut>(
    label: &str,
    mut backoff: Backoff,
    tx: &mpsc::Sender<Arrival>,
    cancel: &CancellationToken,
    mut attempt: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    while !cancel.is_cancelled() {
        let result = tokio::select! {
            _ = cancel.cancelled() => break,
            r = attempt() => r,
        };
        if tx.is_closed() {
            break;
        }
        match result {
            Ok(()) => {
                tracing::warn!(input = label, "receiver closed the stream");
                backoff.reset();
            }
            Err(e) => tracing::warn!(input = label, error = %e, "receiver unavailable"),
        }
        metrics::counter!("cloudradar_agent_input_reconnects_total", "input" => label.to_string())
            .increment(1);
        let delay = backoff.next();
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_bounded_jitter() {
        let s = std::time::Duration::from_secs;
        let mut b = Backoff::new(s(5), s(60));
        let mut base = 5_000.0;
        for _ in 0..8 {
            let d = b.next().as_millis() as f64;
            assert!(
                d >= base * 0.8 - 1.0 && d <= base * 1.2 + 1.0,
                "{d} vs {base}"
            );
            base = (base * 2.0f64).min(60_000.0);
        }
        b.reset();
        assert!(b.next().as_millis() <= 6_000);
    }
}
