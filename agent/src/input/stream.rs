//! Reading a byte stream (TCP or serial) into frames: fill a buffer, scan
//! it with the shared parsers, send the frames on, keep any partial frame
//! for the next read. Works for any `AsyncRead`.

use std::time::Instant;

use cloudradar_shared::format::{Scan, avr, beast};
use cloudradar_shared::time::now_ms;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

use super::clock::FileClock;
use super::pace::Pace;
use super::position::Mark;
use super::{Arrival, Format};

/// How frames get their reception time.
#[derive(Debug)]
pub enum Timing {
    /// The time they are read (a live receiver).
    Now,
    /// The time they are read, no faster than the pace (a file without a
    /// clock).
    Paced(Pace),
    /// From their receiver clock, as fast as they are taken (a file with one).
    Clocked(FileClock),
}

impl Timing {
    /// The reception time of `rx`, read at `now_ms`.
    fn rx_ms(&mut self, rx: &cloudradar_shared::format::Received, now_ms: u64) -> u64 {
        match self {
            Self::Clocked(c) => u64::try_from(c.time_us(rx.ticks()) / 1000).unwrap_or(0),
            Self::Now | Self::Paced(_) => now_ms,
        }
    }

    /// How long to wait after a frame, if at all.
    fn wait(&mut self) -> Option<std::time::Duration> {
        match self {
            Self::Paced(p) => p.passed(Instant::now()),
            Self::Now | Self::Clocked(_) => None,
        }
    }
}

/// Reads until EOF or error; returns `Ok(())` on EOF. `Err` on I/O error.
/// Returns early (Ok) if the receiving side is gone. With `origin` (a file
/// read from that offset), every frame is marked with the offset after it.
/// `timing` gives the frames their reception time.
pub async fn read_frames<R: AsyncRead + Unpin>(
    mut reader: R,
    mut format: Format,
    label: &str,
    tx: &mpsc::Sender<Arrival>,
    mut origin: Option<Mark>,
    mut timing: Timing,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0usize;
    loop {
        if len == buf.len() {
            // Cannot happen with sane input (the parsers skip garbage), but
            // never grow without bound: drop the buffer as garbage.
            metrics::counter!("cloudradar_agent_garbage_bytes_total", "input" => label.to_string())
                .increment(len as u64);
            // A file's place moves past what was dropped.
            if let Some(o) = &mut origin {
                o.offset += len as u64;
            }
            len = 0;
        }
        let n = reader.read(&mut buf[len..]).await?;
        if n == 0 {
            return Ok(());
        }
        len += n;
        if format == Format::Auto {
            let Some(detected) = detect(&buf[..len]) else {
                continue;
            };
            format = detected;
            tracing::info!(input = label, ?format, "detected input format");
        }
        let scan = if format == Format::Avr {
            avr::scan
        } else {
            beast::scan
        };
        let Some(done) = send_frames(&buf[..len], scan, origin, tx, &mut timing).await else {
            return Ok(());
        };
        if let Some(o) = &mut origin {
            o.offset += done.used as u64;
        }
        buf.copy_within(done.used..len, 0);
        len -= done.used;
        metrics::counter!("cloudradar_agent_frames_in_total", "input" => label.to_string())
            .increment(done.frames);
        if done.garbage > 0 {
            metrics::counter!("cloudradar_agent_garbage_bytes_total", "input" => label.to_string())
                .increment(done.garbage);
        }
    }
}

/// The format of a stream from its first bytes; `None` until it can tell.
pub(super) fn detect(start: &[u8]) -> Option<Format> {
    match start.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(0x1a) => Some(Format::Beast),
        Some(b'*' | b'@' | b'<') => Some(Format::Avr),
        Some(_) if start.len() > 64 => Some(Format::Beast), // resynchronise on the next 0x1a
        _ => None,
    }
}

/// What one pass over the buffer got through.
struct Scanned {
    /// Bytes consumed (whole frames, Mode A/C replies and garbage).
    used: usize,
    frames: u64,
    garbage: u64,
}

/// Sends every whole frame in `buf` on, stamped as `timing` says (read
/// time: the time now, after a pacing wait the time after it); `None` once
/// nobody takes frames.
async fn send_frames(
    buf: &[u8],
    scan: fn(&[u8]) -> Scan,
    origin: Option<Mark>,
    tx: &mpsc::Sender<Arrival>,
    timing: &mut Timing,
) -> Option<Scanned> {
    let mut at = now_ms();
    let mut done = Scanned {
        used: 0,
        frames: 0,
        garbage: 0,
    };
    loop {
        match scan(&buf[done.used..]) {
            Scan::Frame(rx, used) => {
                done.used += used;
                done.frames += 1;
                let mark = origin.map(|o| Mark {
                    offset: o.offset + done.used as u64,
                    ..o
                });
                let arrival = Arrival {
                    rx,
                    rx_ms: timing.rx_ms(&rx, at),
                    mark,
                };
                if tx.send(arrival).await.is_err() {
                    return None;
                }
                if let Some(wait) = timing.wait() {
                    tokio::time::sleep(wait).await;
                    at = now_ms();
                }
            }
            Scan::ModeAc(_, used) => done.used += used,
            Scan::Garbage(used) => {
                done.used += used;
                done.garbage += used as u64;
            }
            Scan::NeedMore => return Some(done),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::format::Received;

    /// Regression: when a buffer full of garbage was dropped, a file's
    /// place did not move past it, so later frames were marked too early
    /// in the file and a restart read them again.
    #[tokio::test]
    async fn marks_move_past_dropped_garbage() {
        let frame = Received {
            frame: cloudradar_shared::frame::Frame::new(&[
                0x5d, 0x4c, 0xa2, 0xd4, 0xce, 0x12, 0x34,
            ])
            .unwrap(),
            timestamp: 1,
            signal: 2,
        };
        let mut bytes = vec![b' '; 70_000];
        for _ in 0..3 {
            beast::write(&frame, &mut bytes);
        }
        let (tx, mut rx) = mpsc::channel(16);
        let origin = Mark { file: 0, offset: 0 };
        read_frames(
            &bytes[..],
            Format::Auto,
            "test",
            &tx,
            Some(origin),
            Timing::Now,
        )
        .await
        .unwrap();
        drop(tx);
        let mut last = None;
        while let Some(a) = rx.recv().await {
            last = a.mark;
        }
        assert_eq!(last.map(|m| m.offset), Some(bytes.len() as u64));
    }
}
