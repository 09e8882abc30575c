//! Reception times for recordings whose frames carry the receiver's 12 MHz
//! clock (Beast files, AVR `@`/`<` lines): a frame's time is the file's
//! base time plus the clock time elapsed since the file's first frame, so
//! a back-fill stores what it holds at the times it was received (and the
//! speeds of the real sky), not at the time it is read.
//!
//! The base is the file's modification time minus the clock span of the
//! whole file, so the last frame lands at the time the recorder last wrote
//! (found by one pass over the file before it is sent, see [`survey`]); it
//! is kept with the file's position (`position.rs`), so a resumed back-fill
//! goes on with the same base even if the file was touched since. Files
//! without a clock (every timestamp 0) are stamped with the time they are
//! read and paced instead (`pace.rs`).

use std::io::Read;
use std::path::Path;
use std::time::UNIX_EPOCH;

use cloudradar_shared::format::Scan;

/// Receiver clock ticks per microsecond (12 MHz).
const TICKS_PER_US: i64 = 12;
/// The counter is 48 bits wide and wraps.
const COUNTER_BITS: u32 = 48;
/// A step back in the counter larger than this (1 s) is a receiver restart
/// (its counter starting again), not frames slightly out of order: time
/// goes on from the frame before.
const RESET_TICKS: i64 = 12_000_000;

/// Ticks from `from` to `to` on the wrapping 48-bit counter, between
/// −2⁴⁷ and 2⁴⁷ (about ±135 days).
fn step(from: u64, to: u64) -> i64 {
    let shift = 64 - COUNTER_BITS;
    ((to.wrapping_sub(from) << shift) as i64) >> shift
}

/// Turns a file's frame timestamps into Unix times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileClock {
    /// Unix µs of the file's first clocked frame.
    base_us: i64,
    /// The last clocked frame's timestamp.
    prev: Option<u64>,
    /// Ticks from the first clocked frame to `prev`.
    elapsed: i64,
    /// Counter restarts seen.
    resets: u64,
}

impl FileClock {
    /// A clock whose first frame is at `base_us` (Unix µs).
    pub fn new(base_us: i64) -> Self {
        Self {
            base_us,
            prev: None,
            elapsed: 0,
            resets: 0,
        }
    }

    /// Unix µs of the next frame, stamped `ticks` (`None`: a frame without
    /// a clock, which gets the time of the clocked frame before it).
    pub fn time_us(&mut self, ticks: Option<u64>) -> i64 {
        if let Some(ts) = ticks {
            if let Some(prev) = self.prev {
                let d = step(prev, ts);
                if d > -RESET_TICKS {
                    self.elapsed += d;
                } else {
                    self.resets += 1;
                }
            }
            self.prev = Some(ts);
        }
        self.base_us + self.elapsed / TICKS_PER_US
    }

    /// The same clock with its first frame at `base_us`.
    pub fn rebased(self, base_us: i64) -> Self {
        Self { base_us, ..self }
    }

    /// Whether any frame had a clock.
    pub fn clocked(&self) -> bool {
        self.prev.is_some()
    }

    /// Microseconds from the first clocked frame to the last one.
    pub fn elapsed_us(&self) -> i64 {
        self.elapsed / TICKS_PER_US
    }
}

/// What one pass over a file found: its clock as it stands at the offset
/// the back-fill starts from, and over the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Survey {
    /// Fed every frame that ends at or before the start offset.
    pub at_start: FileClock,
    /// Fed every frame.
    pub whole: FileClock,
}

impl Survey {
    /// The base that puts the last frame at `end_us`.
    pub fn base_for_end(&self, end_us: i64) -> i64 {
        end_us - self.whole.elapsed_us()
    }

    /// Counter restarts in the file.
    pub fn resets(&self) -> u64 {
        self.whole.resets
    }
}

/// Reads `reader` (a file from its start) through `scan`, feeding every
/// frame's timestamp to a clock; frames ending at or before `start` also
/// to the one at the start.
pub fn survey(
    mut reader: impl Read,
    scan: fn(&[u8]) -> Scan,
    start: u64,
) -> std::io::Result<Survey> {
    let mut s = Survey {
        at_start: FileClock::new(0),
        whole: FileClock::new(0),
    };
    let mut buf = vec![0u8; 64 * 1024];
    let (mut len, mut offset) = (0usize, 0u64);
    loop {
        if len == buf.len() {
            // As the reader does: a buffer of garbage is dropped.
            offset += len as u64;
            len = 0;
        }
        let n = reader.read(&mut buf[len..])?;
        if n == 0 {
            return Ok(s);
        }
        len += n;
        let mut used = 0;
        loop {
            match scan(&buf[used..len]) {
                Scan::Frame(rx, n) => {
                    used += n;
                    s.whole.time_us(rx.ticks());
                    if offset + used as u64 <= start {
                        s.at_start = s.whole;
                    }
                }
                Scan::ModeAc(_, n) | Scan::Garbage(n) => used += n,
                Scan::NeedMore => break,
            }
        }
        offset += used as u64;
        buf.copy_within(used..len, 0);
        len -= used;
    }
}

/// A file's modification time, Unix µs.
pub fn modified_us(path: &Path) -> std::io::Result<i64> {
    let t = std::fs::metadata(path)?.modified()?;
    let us = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
    Ok(i64::try_from(us).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::format::{Received, beast};
    use cloudradar_shared::frame::Frame;

    const MAX: u64 = (1 << 48) - 1;

    #[test]
    fn times_follow_the_counter_across_its_wrap() {
        let mut c = FileClock::new(1_000_000);
        assert_eq!(c.time_us(Some(MAX - 11)), 1_000_000);
        // 12 ticks later the counter has wrapped to 0... which is not a
        // clock; 24 ticks later it reads 12.
        assert_eq!(c.time_us(Some(12)), 1_000_002);
        assert_eq!(c.time_us(Some(12 + 12_000_000)), 2_000_002);
        assert_eq!(c.elapsed_us(), 1_000_002);
    }

    #[test]
    fn unclocked_frames_get_the_time_before_and_restarts_do_not_go_back() {
        let mut c = FileClock::new(5_000);
        assert_eq!(c.time_us(None), 5_000, "before any clock: the base");
        assert!(!c.clocked());
        assert_eq!(c.time_us(Some(120_000_000)), 5_000);
        assert_eq!(c.time_us(Some(120_000_120)), 5_010);
        assert_eq!(c.time_us(None), 5_010);
        // Slightly out of order: a little back.
        assert_eq!(c.time_us(Some(120_000_000)), 5_000);
        // The receiver restarted: time goes on from where it was.
        assert_eq!(c.time_us(Some(1_200)), 5_000);
        assert_eq!(c.time_us(Some(2_400)), 5_100);
        assert_eq!(c.resets, 1);
    }

    fn beast_file(timestamps: &[u64]) -> Vec<u8> {
        let mut out = Vec::new();
        for &timestamp in timestamps {
            let rx = Received {
                frame: Frame::new(&[0x5d, 0x4c, 0xa2, 0xd4, 0xce, 0x12, 0x34]).unwrap(),
                timestamp,
                signal: 7,
            };
            beast::write(&rx, &mut out);
        }
        out
    }

    #[test]
    fn a_survey_gives_the_span_and_the_clock_at_the_start_offset() {
        // Timestamps with 0x1a bytes, which Beast escapes.
        let ts = [0x1a1a_0000_0000, 0x1a1a_00b7_1b00, 0x1a1a_016e_3600];
        let bytes = beast_file(&ts);
        let one = beast_file(&ts[..1]).len() as u64;
        let s = survey(&bytes[..], beast::scan, one).unwrap();
        assert_eq!(s.whole.elapsed_us(), 2_000_000);
        assert_eq!(s.base_for_end(10_000_000), 8_000_000);
        let mut resumed = s.at_start.rebased(8_000_000);
        assert_eq!(resumed.time_us(Some(ts[1])), 9_000_000);
        let none = survey(&beast_file(&[0, 0])[..], beast::scan, 0).unwrap();
        assert!(!none.whole.clocked());
    }
}
