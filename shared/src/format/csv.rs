//! The recording format of `../shared/data/long_flight.csv`:
//! `unix_time_seconds,beast_hex`, one frame a line, where the hex is one
//! unescaped Beast frame (`1a`, type, 6-byte timestamp, signal, message).

use super::Received;
use crate::Frame;
use crate::frame::hex_val;

/// Why a recording line was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// No comma, or an unparseable time.
    #[error("expected `unix_time,beast_hex`")]
    Shape,
    /// The hex field is not a Beast Mode S frame.
    #[error("not a Beast Mode S frame in hex")]
    Frame,
}

/// Parses one line into its time (Unix seconds) and frame.
pub fn parse_line(line: &str) -> Result<(f64, Received), CsvError> {
    let (time, hex) = line.trim_end().split_once(',').ok_or(CsvError::Shape)?;
    let time: f64 = time.parse().map_err(|_| CsvError::Shape)?;
    let hex = hex.as_bytes();
    if hex.len() % 2 != 0 || hex.len() > 2 * 23 {
        return Err(CsvError::Frame);
    }
    let mut bytes = [0u8; 23];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        bytes[i] = (hex_val(pair[0]).ok_or(CsvError::Frame)? << 4)
            | hex_val(pair[1]).ok_or(CsvError::Frame)?;
    }
    let n = hex.len() / 2;
    let msg_len = match (bytes[0], bytes[1]) {
        (0x1a, b'2') => 7,
        (0x1a, b'3') => 14,
        _ => return Err(CsvError::Frame),
    };
    if n != 9 + msg_len {
        return Err(CsvError::Frame);
    }
    let timestamp = bytes[2..8]
        .iter()
        .fold(0u64, |a, &b| (a << 8) | u64::from(b));
    let frame = Frame::new(&bytes[9..n]).map_err(|_| CsvError::Frame)?;
    Ok((
        time,
        Received {
            frame,
            timestamp,
            signal: bytes[8],
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_lines_of_long_flight() {
        let (t, r) = parse_line("1698140962.119813,1a32000023b1dda011210000bd6b441a").unwrap();
        assert_eq!(t, 1698140962.119813);
        assert_eq!(r.timestamp, 0x23b1dda0);
        assert_eq!(r.signal, 0x11);
        assert_eq!(r.frame.to_hex(), "210000bd6b441a");
        let (_, r) =
            parse_line("1698140962.171425,1a33000023bb50f025903907dbc1b50fca1ad701efd570\n")
                .unwrap();
        assert_eq!(r.frame.df(), 18);
    }

    #[test]
    fn bad_lines_are_errors() {
        assert_eq!(parse_line("nonsense"), Err(CsvError::Shape));
        assert_eq!(parse_line("x,1a32"), Err(CsvError::Shape));
        assert_eq!(
            parse_line("1.0,1a32000023b1dda011210000bd6b44"),
            Err(CsvError::Frame)
        );
        assert_eq!(
            parse_line("1.0,zz32000023b1dda011210000bd6b441a"),
            Err(CsvError::Frame)
        );
    }
}
