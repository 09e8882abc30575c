//! Beast binary format (Mode-S Beast receivers, readsb/dump1090 port 30005).
//!
//! ```text
//! 0x1a  type  timestamp (6 bytes, 12 MHz, big endian)  signal (1)  message
//!       '1' = Mode A/C (2 bytes)  '2' = Mode S short (7)  '3' = Mode S long (14)
//! ```
//! Any 0x1a byte after the type is sent twice. A single 0x1a marks the start
//! of a frame, so a parser that lost its place resynchronises at the next
//! one. Other types (`'4'` status etc.) are skipped.

use super::{Received, Scan};
use crate::Frame;

const ESC: u8 = 0x1a;
/// The longest frame body after the type byte: 6 + 1 + 14.
const MAX_BODY: usize = 21;

/// Scans the front of `buf` for one Beast frame.
pub fn scan(buf: &[u8]) -> Scan {
    let Some(&first) = buf.first() else {
        return Scan::NeedMore;
    };
    if first != ESC {
        let skip = buf.iter().position(|&b| b == ESC).unwrap_or(buf.len());
        return Scan::Garbage(skip);
    }
    let Some(&kind) = buf.get(1) else {
        return Scan::NeedMore;
    };
    let msg_len = match kind {
        b'1' => 2,
        b'2' => 7,
        b'3' => 14,
        // Escaped 0x1a at a frame start, or an unknown type: not a frame start.
        _ => return Scan::Garbage(1),
    };
    let body_len = 7 + msg_len;
    let mut body = [0u8; MAX_BODY];
    let mut pos = 2;
    // Fast path: no escapes in the body.
    if let Some(raw) = buf.get(2..2 + body_len)
        && !raw.contains(&ESC)
    {
        body[..body_len].copy_from_slice(raw);
        pos += body_len;
    } else {
        let mut n = 0;
        while n < body_len {
            let Some(&b) = buf.get(pos) else {
                return Scan::NeedMore;
            };
            if b == ESC {
                match buf.get(pos + 1) {
                    None => return Scan::NeedMore,
                    Some(&ESC) => pos += 2,
                    // An unescaped 0x1a: a new frame starts here; this one is broken.
                    Some(_) => return Scan::Garbage(pos),
                }
            } else {
                pos += 1;
            }
            body[n] = b;
            n += 1;
        }
    }
    let timestamp = body[..6]
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let signal = body[6];
    if msg_len == 2 {
        return Scan::ModeAc([body[7], body[8]], pos);
    }
    match Frame::new(&body[7..7 + msg_len]) {
        Ok(frame) => Scan::Frame(
            Received {
                frame,
                timestamp,
                signal,
            },
            pos,
        ),
        Err(_) => Scan::Garbage(pos),
    }
}

/// Appends `rx` as a Beast frame, escaping 0x1a bytes.
pub fn write(rx: &Received, out: &mut Vec<u8>) {
    out.push(ESC);
    out.push(if rx.frame.len() == 7 { b'2' } else { b'3' });
    let ts = rx.timestamp & 0xFFFF_FFFF_FFFF;
    let push = |out: &mut Vec<u8>, b: u8| {
        out.push(b);
        if b == ESC {
            out.push(ESC);
        }
    };
    for shift in (0..6).rev() {
        push(out, (ts >> (shift * 8)) as u8);
    }
    push(out, rx.signal);
    for &b in rx.frame.as_bytes() {
        push(out, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx(hex: &str, timestamp: u64, signal: u8) -> Received {
        Received {
            frame: Frame::from_hex(hex).unwrap(),
            timestamp,
            signal,
        }
    }

    fn parse_all(buf: &[u8]) -> (Vec<Received>, usize) {
        crate::format::scan_all(scan, buf)
    }

    #[test]
    fn first_line_of_long_flight_parses() {
        // long_flight.csv line 1: 1a32000023b1dda011210000bd6b441a (already unescaped in the CSV;
        // here its signal byte 0x11 and a 0x1a in the message must round-trip through escaping).
        let r = rx("210000bd6b441a", 0x0000_23b1_dda0, 0x11);
        let mut buf = Vec::new();
        write(&r, &mut buf);
        assert_eq!(
            buf.iter().filter(|&&b| b == ESC).count(),
            3,
            "frame start + doubled 0x1a"
        );
        assert_eq!(scan(&buf), Scan::Frame(r, buf.len()));
    }

    #[test]
    fn escapes_in_timestamp_signal_and_payload_round_trip() {
        let r = rx("8d1a1a1a202cc371c32ce057601a", 0x1a1a_1a1a_1a1a, 0x1a);
        let mut buf = Vec::new();
        write(&r, &mut buf);
        assert_eq!(parse_all(&buf), (vec![r], 0));
    }

    #[test]
    fn every_split_point_needs_more_then_parses() {
        let frames = [
            rx("8d4840d6202cc371c32ce0576098", 0x1a, 200),
            rx("5d4840d61a1a1a", 42, 0x1a),
        ];
        let mut buf = Vec::new();
        for f in &frames {
            write(f, &mut buf);
        }
        for cut in 0..buf.len() {
            let (head, _) = parse_all(&buf[..cut]);
            assert!(head.len() <= 2);
            assert_eq!(head[..], frames[..head.len()]);
        }
        assert_eq!(parse_all(&buf), (frames.to_vec(), 0));
    }

    #[test]
    fn garbage_between_frames_is_skipped_and_counted() {
        let r = rx("8d4840d6202cc371c32ce0576098", 1, 2);
        let mut buf = b"hello".to_vec();
        write(&r, &mut buf);
        buf.extend_from_slice(&[ESC, b'9', 1, 2, 3]);
        write(&r, &mut buf);
        let (got, garbage) = parse_all(&buf);
        assert_eq!(got, vec![r, r]);
        assert_eq!(garbage, 5 + 5);
    }

    #[test]
    fn truncated_frame_followed_by_a_new_one_resynchronises() {
        let r = rx("8d4840d6202cc371c32ce0576098", 1, 2);
        let mut full = Vec::new();
        write(&r, &mut full);
        let mut buf = full[..10].to_vec();
        buf.extend_from_slice(&full);
        let (got, garbage) = parse_all(&buf);
        assert_eq!(got, vec![r]);
        assert_eq!(garbage, 10);
    }

    #[test]
    fn mode_ac_frames_are_reported() {
        let buf = [ESC, b'1', 0, 0, 0, 0, 0, 1, 50, 0x12, 0x34];
        assert_eq!(scan(&buf), Scan::ModeAc([0x12, 0x34], 11));
    }

    #[test]
    fn random_bytes_never_panic_and_always_progress() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut buf = Vec::new();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Bias towards the escape byte and type bytes.
            buf.push(match x % 8 {
                0 => ESC,
                1 => b'3',
                2 => b'2',
                _ => (x >> 8) as u8,
            });
        }
        let mut rest = &buf[..];
        while let Scan::Frame(_, n) | Scan::ModeAc(_, n) | Scan::Garbage(n) = scan(rest) {
            assert!(n > 0 && n <= rest.len());
            rest = &rest[n..];
        }
        assert!(rest.len() < 2 + 2 * MAX_BODY);
    }
}
