//! Mode S message decoding: CRC check and correction, address recovery,
//! and the fields of every downlink format (ICAO Annex 10 Vol IV §3.1.2).
//!
//! [`decode`] takes a raw [`Frame`] and returns a [`Message`]: the checked
//! (possibly corrected) frame, its address, and a [`Content`] per downlink
//! format. ADS-B (DF17/18) ME fields are decoded by [`crate::adsb`], Comm-B
//! (DF20/21) MB fields inferred by [`crate::commb`]. Nothing allocates.
//!
//! | DF | content | parity |
//! | --- | --- | --- |
//! | 0, 16 | ACAS short/long air-air surveillance | address/parity |
//! | 4, 5 | surveillance altitude / identity reply | address/parity |
//! | 11 | all-call reply | interrogator id overlaid |
//! | 17, 18 | extended squitter (ADS-B, TIS-B, ADS-R) | plain CRC, correctable |
//! | 20, 21 | Comm-B altitude / identity reply | address/parity |
//! | 24 | Comm-D extended length message | recognised only |

mod address;
mod message;

pub use address::{Address, AddressKind};
pub use message::{Content, FlightStatus, Message};

use crate::adsb;
use crate::altitude;
use crate::bits::field;
use crate::commb;
use crate::crc;
use crate::frame::Frame;

/// Decoder switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Repair single-bit errors in DF11 (II=0), DF17 and DF18 (on by default).
    pub fix_one_bit: bool,
    /// Repair two-bit errors in DF17/18 (off by default: it turns noise
    /// into ghost aircraft).
    pub fix_two_bits: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            fix_one_bit: true,
            fix_two_bits: false,
        }
    }
}

/// How the CRC check went for an accepted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrcStatus {
    /// Parity checked and intact.
    Ok,
    /// Parity checked after repairing this many bits.
    Corrected {
        /// 1 or 2.
        bits: u8,
    },
    /// Address/parity format: the address was recovered from the parity,
    /// which cannot be checked without knowing the aircraft. Trust it only
    /// for addresses recently seen in DF11/17/18.
    AddressParity,
}

/// Why a frame was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Parity does not check and could not be repaired.
    #[error("CRC check failed (syndrome {syndrome:06x})")]
    Crc {
        /// The CRC syndrome.
        syndrome: u32,
    },
    /// The frame length does not match what the DF requires.
    #[error("DF{df} needs {expected} bytes, got {len}")]
    Length {
        /// Downlink format.
        df: u8,
        /// Bytes required.
        expected: usize,
        /// Bytes present.
        len: usize,
    },
    /// A downlink format not in use (1–3, 6–10, 12–15, 19, 22, 23).
    #[error("DF{0} is not a format in use")]
    UnsupportedDf(u8),
}

/// Decodes one Mode S message.
pub fn decode(frame: &Frame, opts: &DecodeOptions) -> Result<Message, DecodeError> {
    let df = frame.df();
    let expected = match df {
        0 | 4 | 5 | 11 => 7,
        16 | 17 | 18 | 20 | 21 | 24 => 14,
        _ => return Err(DecodeError::UnsupportedDf(df)),
    };
    if frame.len() != expected {
        return Err(DecodeError::Length {
            df,
            expected,
            len: frame.len(),
        });
    }
    let mut frame = *frame;
    let syndrome = crc::syndrome(frame.as_bytes());
    let (crc_status, address) = match df {
        17 | 18 => {
            let status = repair(&mut frame, syndrome, opts)?;
            let address = field(frame.as_bytes(), 9, 32) as u32;
            (status, address)
        }
        11 => {
            // The parity is overlaid with the interrogator code: II 0–15, or
            // SI 1–63 as 16 + SI; any syndrome of 80 or more is an error
            // (Annex 10 Vol IV §3.1.2.3.3.2; readsb accepts < 80 the same way).
            let status = if syndrome < 80 {
                CrcStatus::Ok
            } else {
                repair_df11(&mut frame, syndrome, opts)?
            };
            (status, field(frame.as_bytes(), 9, 32) as u32)
        }
        _ => (CrcStatus::AddressParity, syndrome),
    };
    let content = content(df, &frame, syndrome);
    let kind = address_kind(df, &content, &frame);
    Ok(Message {
        df,
        address: Address {
            icao: address,
            kind,
        },
        crc: crc_status,
        frame,
        content,
    })
}

fn repair(
    frame: &mut Frame,
    syndrome: u32,
    opts: &DecodeOptions,
) -> Result<CrcStatus, DecodeError> {
    if syndrome == 0 {
        return Ok(CrcStatus::Ok);
    }
    let bits = frame.bits();
    if opts.fix_one_bit
        && let Some(bit) = crc::error_bit(syndrome, bits, 5)
    {
        crc::flip(frame.as_bytes_mut(), bit);
        return Ok(CrcStatus::Corrected { bits: 1 });
    }
    if opts.fix_two_bits
        && let Some((a, b)) = crc::error_bits2(syndrome, bits, 5)
    {
        crc::flip(frame.as_bytes_mut(), a);
        crc::flip(frame.as_bytes_mut(), b);
        return Ok(CrcStatus::Corrected { bits: 2 });
    }
    Err(DecodeError::Crc { syndrome })
}

/// DF11 with II=0 (the common acquisition squitter) can be repaired like
/// DF17; with other interrogator codes the syndrome is ambiguous.
fn repair_df11(
    frame: &mut Frame,
    syndrome: u32,
    opts: &DecodeOptions,
) -> Result<CrcStatus, DecodeError> {
    if opts.fix_one_bit
        && let Some(bit) = crc::error_bit(syndrome, 56, 5)
    {
        crc::flip(frame.as_bytes_mut(), bit);
        return Ok(CrcStatus::Corrected { bits: 1 });
    }
    Err(DecodeError::Crc { syndrome })
}

#[inline]
fn array7(bytes: &[u8], start: usize) -> [u8; 7] {
    let mut out = [0u8; 7];
    if let Some(src) = bytes.get(start..start + 7) {
        out.copy_from_slice(src);
    }
    out
}

fn content(df: u8, frame: &Frame, syndrome: u32) -> Content {
    let b = frame.as_bytes();
    let fs = || FlightStatus(field(b, 6, 8) as u8);
    let ac = || altitude::ac13(field(b, 20, 32) as u16);
    let id = || altitude::squawk(field(b, 20, 32) as u16);
    match df {
        0 => Content::ShortAcas {
            vertical_status_ground: field(b, 6, 6) != 0,
            sensitivity: field(b, 9, 11) as u8,
            reply_information: field(b, 14, 17) as u8,
            altitude: ac(),
        },
        4 => Content::SurveillanceAltitude {
            flight_status: fs(),
            altitude: ac(),
        },
        5 => Content::SurveillanceIdentity {
            flight_status: fs(),
            squawk: id(),
        },
        11 => Content::AllCall {
            capability: field(b, 6, 8) as u8,
            interrogator: (syndrome & 0x7F) as u8,
        },
        16 => Content::LongAcas {
            vertical_status_ground: field(b, 6, 6) != 0,
            altitude: ac(),
            mv: array7(b, 4),
        },
        17 | 18 => {
            let me = array7(b, 4);
            let cf = field(b, 6, 8) as u8;
            // DF18 CF 3 (coarse TIS-B) and 4 (management) do not use the ES ME layouts.
            let decoded = if df == 18 && matches!(cf, 3 | 4 | 7) {
                adsb::Me::Other {
                    tc: me[0] >> 3,
                    subtype: me[0] & 7,
                }
            } else {
                adsb::decode_me(&me)
            };
            Content::ExtendedSquitter {
                capability: cf,
                me: decoded,
            }
        }
        20 => Content::CommBAltitude {
            flight_status: fs(),
            altitude: ac(),
            bds: commb::infer(&array7(b, 4)),
        },
        21 => Content::CommBIdentity {
            flight_status: fs(),
            squawk: id(),
            bds: commb::infer(&array7(b, 4)),
        },
        _ => Content::CommD,
    }
}

fn address_kind(df: u8, content: &Content, frame: &Frame) -> AddressKind {
    if df == 17 {
        return AddressKind::AdsbIcao;
    }
    if df != 18 {
        return AddressKind::ModeS;
    }
    let cf = field(frame.as_bytes(), 6, 8);
    // IMF (ICAO/Mode A flag) of TIS-B/ADS-R: ME bit 8 in airborne position,
    // ME bit 21 in surface position, ME bit 9 in velocity messages
    // (DO-260B §2.2.3.3.2, TIS-B fine formats).
    let imf = match content {
        Content::ExtendedSquitter {
            me: adsb::Me::AirbornePosition(p),
            ..
        } => p.nic_b,
        Content::ExtendedSquitter {
            me: adsb::Me::SurfacePosition(_),
            ..
        } => field(frame.as_bytes(), 53, 53) != 0,
        Content::ExtendedSquitter {
            me: adsb::Me::Velocity(_),
            ..
        } => field(frame.as_bytes(), 41, 41) != 0,
        _ => false,
    };
    match (cf, imf) {
        (0, _) => AddressKind::AdsbIcaoNt,
        (1, _) => AddressKind::AdsbOther,
        (2 | 3, false) => AddressKind::TisbIcao,
        (2 | 3, true) => AddressKind::TisbTrackfile,
        (6, false) => AddressKind::AdsrIcao,
        (6, true) => AddressKind::AdsrOther,
        _ => AddressKind::TisbOther,
    }
}
