//! Receiver stream formats: how Mode S messages travel between a receiver
//! (readsb, dump1090, a Beast box) and the agent, and out to other tools.
//!
//! - `beast.rs`: Beast binary (readsb/dump1090 port 30005, serial Beast).
//! - `avr.rs`: AVR text (`*hex;`, `@ts hex;`, `<ts sig hex;`; port 30002).
//! - `csv.rs`: the `unix_time,beast_hex` recordings in `../shared/data`.
//! - `sbs.rs`: SBS-1/BaseStation output lines (port 30003).
//!
//! Stream parsers look at the front of a buffer and say what is there
//! ([`Scan`]): a frame and how many bytes it used, bytes of garbage to
//! drop (counted by the caller), or that more input is needed. They never
//! allocate and never panic, so a reader can feed them whatever arrives.

pub mod avr;
pub mod beast;
pub mod csv;
pub mod sbs;

use crate::Frame;

/// A Mode S message as received, with what the receiver told us about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The message.
    pub frame: Frame,
    /// Receiver 12 MHz clock (48 bits); 0 when the format has none.
    pub timestamp: u64,
    /// Beast signal level (0–255, amplitude); 0 when the format has none.
    pub signal: u8,
}

impl Received {
    /// The receiver timestamp, `None` when the input carries none (AVR
    /// `*hex;` lines, a Beast receiver that does not count time): such
    /// frames are untimed, not all at one instant.
    pub fn ticks(&self) -> Option<u64> {
        (self.timestamp != 0).then_some(self.timestamp)
    }
}

/// What is at the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A Mode S frame, using this many bytes.
    Frame(Received, usize),
    /// A Mode A/C reply (2 bytes, Beast `'1'` or AVR 4-hex), using this many bytes.
    ModeAc([u8; 2], usize),
    /// Bytes that are not a frame: drop this many and count them.
    Garbage(usize),
    /// The buffer holds the start of a frame; read more and call again.
    NeedMore,
}

/// A Beast signal level as dBFS, as readsb reports `rssi`:
/// `10·log10((level/255)²)`.
pub fn signal_dbfs(level: u8) -> f64 {
    let a = f64::from(level.max(1)) / 255.0;
    10.0 * (a * a).log10()
}

/// Scans a whole buffer: the frames found and the garbage bytes skipped
/// (a trailing partial frame is left unread).
pub fn scan_all(scan: fn(&[u8]) -> Scan, mut buf: &[u8]) -> (Vec<Received>, usize) {
    let (mut frames, mut garbage) = (Vec::new(), 0);
    loop {
        match scan(buf) {
            Scan::Frame(r, n) => {
                frames.push(r);
                buf = &buf[n..];
            }
            Scan::ModeAc(_, n) => buf = &buf[n..],
            Scan::Garbage(n) => {
                garbage += n;
                buf = &buf[n..];
            }
            Scan::NeedMore => return (frames, garbage),
        }
    }
}
