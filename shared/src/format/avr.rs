//! AVR text format (dump1090/readsb port 30002, AVR serial receivers).
//!
//! ```text
//! *8D4840D6202CC371C32CE0576098;            raw message
//! @0000DEADBEEF8D4840D6202CC371C32CE0576098;  12 hex digits of 12 MHz timestamp first
//! <0000DEADBEEFC88D4840D6202CC371C32CE0576098; timestamp and 2 hex digits of signal
//! *2345;                                      Mode A/C (4 hex digits)
//! ```
//! One message a line (`\n` or `\r\n`). Lines that do not parse are garbage.

use super::{Received, Scan};
use crate::Frame;
use crate::frame::hex_val;

/// Longest valid line: `<` + 12 + 2 + 28 + `;` + `\r\n`.
const MAX_LINE: usize = 46;

/// Scans the front of `buf` for one AVR line.
pub fn scan(buf: &[u8]) -> Scan {
    // Blank line endings between messages are separators, not garbage.
    let lead = buf
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    let rest = &buf[lead..];
    let Some(end) = rest.iter().position(|&b| b == b'\n') else {
        if rest.len() > MAX_LINE {
            return Scan::Garbage(buf.len());
        }
        return if lead > 0 {
            Scan::Garbage(lead)
        } else {
            Scan::NeedMore
        };
    };
    let used = lead + end + 1;
    let line = rest[..end].strip_suffix(b"\r").unwrap_or(&rest[..end]);
    match parse_line(line) {
        Some(Line::ModeS(r)) => Scan::Frame(r, used),
        Some(Line::ModeAc(code)) => Scan::ModeAc(code, used),
        None => Scan::Garbage(used),
    }
}

enum Line {
    ModeS(Received),
    ModeAc([u8; 2]),
}

fn parse_line(line: &[u8]) -> Option<Line> {
    let (&start, rest) = line.split_first()?;
    let body = rest.strip_suffix(b";")?;
    let (timestamp, signal, hex) = match start {
        b'*' => (0, 0, body),
        b'@' => (hex_number(body.get(..12)?)?, 0, body.get(12..)?),
        b'<' => (
            hex_number(body.get(..12)?)?,
            hex_number(body.get(12..14)?)? as u8,
            body.get(14..)?,
        ),
        _ => return None,
    };
    match hex.len() {
        4 => {
            let v = hex_number(hex)? as u16;
            Some(Line::ModeAc(v.to_be_bytes()))
        }
        14 | 28 => {
            let mut bytes = [0u8; 14];
            for (i, pair) in hex.chunks_exact(2).enumerate() {
                bytes[i] = (hex_val(pair[0])? << 4) | hex_val(pair[1])?;
            }
            let frame = Frame::new(&bytes[..hex.len() / 2]).ok()?;
            Some(Line::ModeS(Received {
                frame,
                timestamp,
                signal,
            }))
        }
        _ => None,
    }
}

fn hex_number(digits: &[u8]) -> Option<u64> {
    digits
        .iter()
        .try_fold(0u64, |acc, &c| Some((acc << 4) | u64::from(hex_val(c)?)))
}

/// Appends `rx` as an AVR line: `*hex;` without a timestamp, `@ts hex;` with one.
pub fn write(rx: &Received, out: &mut Vec<u8>) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = if rx.timestamp == 0 {
        writeln!(out, "*{};", rx.frame.to_hex().to_ascii_uppercase())
    } else {
        writeln!(
            out,
            "@{:012X}{};",
            rx.timestamp & 0xFFFF_FFFF_FFFF,
            rx.frame.to_hex().to_ascii_uppercase()
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(buf: &[u8]) -> (Vec<Received>, usize) {
        crate::format::scan_all(scan, buf)
    }

    #[test]
    fn lax_recording_lines_parse() {
        let text = b"*02C60B9ED4497C;\n*5DAD57202809F9;\r\n*8DA2EBBDEA3AB867595C0845115D;\n";
        let (got, garbage) = frames(text);
        assert_eq!(garbage, 0);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].frame.to_hex(), "02c60b9ed4497c");
        assert_eq!(got[2].frame.df(), 17);
    }

    #[test]
    fn timestamped_and_signal_variants() {
        let (got, _) =
            frames(b"@0000DEADBEEF8D4840D6202CC371C32CE0576098;\n<0000DEADBEEFC85D4840D6A6F2C1;\n");
        assert_eq!(got[0].timestamp, 0xDEAD_BEEF);
        assert_eq!(got[1].signal, 0xC8);
        assert_eq!(got[1].frame.df(), 11);
    }

    #[test]
    fn garbage_lines_and_partial_lines() {
        let text = b"hello\n*8D4840D6202CC371C32CE0576098;\n*12;\n*8D4840D6";
        let (got, garbage) = frames(text);
        assert_eq!(got.len(), 1);
        assert_eq!(garbage, 6 + 5);
        assert_eq!(scan(b"*8D4840D6"), Scan::NeedMore);
    }

    #[test]
    fn mode_ac_line() {
        assert_eq!(scan(b"*7700;\n"), Scan::ModeAc([0x77, 0x00], 7));
    }

    #[test]
    fn writer_round_trips() {
        let r = Received {
            frame: Frame::from_hex("8D4840D6202CC371C32CE0576098").unwrap(),
            timestamp: 12345,
            signal: 0,
        };
        let mut buf = Vec::new();
        write(&r, &mut buf);
        assert_eq!(frames(&buf), (vec![r], 0));
    }

    #[test]
    fn endless_line_without_newline_is_garbage() {
        assert_eq!(scan(&[b'*'; 100]), Scan::Garbage(100));
    }
}
