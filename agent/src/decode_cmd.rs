//! `cloudradar-agent decode`: prints every frame of a recording (Beast
//! binary, AVR text or the CSV recordings) as one JSON object a line, with
//! readsb's field names, for debugging receivers and back-filling history.
//!
//! Each line has `raw` (lowercase hex) and, where the input carries them,
//! `timestamp` (CSV: Unix seconds; Beast/AVR: the receiver's 12 MHz
//! counter) and `rssi` (dBFS). Frames that pass the CRC add `df`, `hex`,
//! `crc` (`ok` or `corrected`), `tc` for ADS-B, `bds` for Comm-B (or
//! `bds_candidates` when the reply stays ambiguous), and the
//! fields the frame carries. A frame that fails the CRC, or an
//! address/parity reply from an address no CRC-checked message confirmed
//! in the last minute, prints `crc: "bad"` and nothing decoded.
//!
//! Frames without a timestamp (AVR `*hex;`) are untimed: the tracker
//! resolves their positions by message order and against `--lat/--lon`,
//! never as if they all arrived at one instant.

use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use cloudradar_shared::commb::Bds;
use cloudradar_shared::cpr::Position;
use cloudradar_shared::decode::{Content, CrcStatus, DecodeOptions, Message, decode};
use cloudradar_shared::format::{Received, Scan, avr, beast, csv, signal_dbfs};
use cloudradar_shared::state::{Fields, Tracker, TrackerOptions};
use cloudradar_shared::time::now_ms;
use serde::Serialize;

/// Input formats the command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Beast binary.
    Beast,
    /// AVR text (`*hex;`, `@ts hex;`, `<ts sig hex;`).
    Avr,
    /// `unix_time,beast_hex` lines.
    Csv,
}

/// One output line.
#[derive(Serialize)]
struct Line<'a> {
    raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rssi: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    df: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hex: Option<String>,
    crc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tc: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bds: Option<&'static str>,
    /// The registers an ambiguous Comm-B reply fits (pyModeS's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    bds_candidates: Option<Vec<&'static str>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    fields: Option<&'a Fields>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Timestamp {
    Unix(f64),
    Ticks(u64),
}

/// Runs the command: reads `input` (`-` for stdin) and writes JSON lines to stdout.
pub fn run(
    input: &str,
    format: Option<InputFormat>,
    reference: Option<Position>,
) -> anyhow::Result<()> {
    let data = if input == "-" {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf).context("reading stdin")?;
        buf
    } else {
        std::fs::read(Path::new(input)).with_context(|| format!("reading {input}"))?
    };
    let format = match format.or_else(|| detect(&data)) {
        Some(f) => f,
        None => bail!("cannot tell the format of {input}; pass --format beast|avr|csv"),
    };
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut decoder = LineDecoder::new(reference);
    let write = |out: &mut BufWriter<_>, line: &Line| -> anyhow::Result<()> {
        serde_json::to_writer(&mut *out, line)?;
        out.write_all(b"\n")?;
        Ok(())
    };
    match format {
        InputFormat::Csv => {
            let text =
                std::str::from_utf8(&data).with_context(|| format!("{input} is not UTF-8 text"))?;
            for (n, l) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let (time, rx) =
                    csv::parse_line(l).with_context(|| format!("{input}:{}: bad line", n + 1))?;
                decoder.frame(
                    &rx,
                    Some(Timestamp::Unix(time)),
                    Some((time * 1000.0) as u64),
                    |line| write(&mut out, line),
                )?;
            }
        }
        InputFormat::Beast | InputFormat::Avr => {
            let scan = if format == InputFormat::Beast {
                beast::scan
            } else {
                avr::scan
            };
            let mut rest = &data[..];
            while let Scan::Frame(_, n) | Scan::ModeAc(_, n) | Scan::Garbage(n) = scan(rest) {
                if let Scan::Frame(rx, _) = scan(rest) {
                    // Frames without a receiver timestamp are untimed.
                    let ticks = rx.ticks();
                    let ts = ticks.map(Timestamp::Ticks);
                    decoder.frame(&rx, ts, ticks.map(|t| t / 12_000), |line| {
                        write(&mut out, line)
                    })?;
                }
                rest = &rest[n..];
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Guesses the format from the first bytes.
fn detect(data: &[u8]) -> Option<InputFormat> {
    let first = data.iter().find(|b| !b.is_ascii_whitespace())?;
    match first {
        0x1a => Some(InputFormat::Beast),
        b'*' | b'@' | b'<' => Some(InputFormat::Avr),
        b'0'..=b'9' => Some(InputFormat::Csv),
        _ => None,
    }
}

/// Decodes frames in order through one tracker, so positions resolve.
struct LineDecoder {
    tracker: Tracker,
    opts: DecodeOptions,
    /// Dates the fields of untimed frames (the tracker pairs and checks
    /// their positions by order, not by this clock).
    wall_ms: u64,
}

impl LineDecoder {
    fn new(reference: Option<Position>) -> Self {
        Self {
            tracker: Tracker::new(TrackerOptions {
                receiver: reference,
                ..TrackerOptions::default()
            }),
            opts: DecodeOptions::default(),
            wall_ms: now_ms(),
        }
    }

    fn frame(
        &mut self,
        rx: &Received,
        timestamp: Option<Timestamp>,
        at_ms: Option<u64>,
        mut emit: impl FnMut(&Line) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let rssi = (rx.signal != 0).then(|| (signal_dbfs(rx.signal) * 10.0).round() / 10.0);
        let mut line = Line {
            raw: rx.frame.to_hex(),
            timestamp,
            rssi,
            df: None,
            hex: None,
            crc: "bad",
            tc: None,
            bds: None,
            bds_candidates: None,
            fields: None,
        };
        let Ok(msg) = decode(&rx.frame, &self.opts) else {
            return emit(&line);
        };
        let fields;
        let msg = self.tracker.resolve(&msg);
        let applied = match at_ms {
            Some(at) => self.tracker.update(&msg, at, rssi),
            None => self.tracker.update_untimed(&msg, self.wall_ms, rssi),
        };
        if let Some(f) = applied {
            fields = f;
            line.df = Some(msg.df);
            line.hex = Some(msg.address.hex());
            line.crc = match msg.crc {
                CrcStatus::Corrected { .. } => "corrected",
                _ => "ok",
            };
            line.tc = msg.type_code();
            line.bds = bds(&msg);
            line.bds_candidates = candidates(&msg);
            line.fields = Some(&fields);
        }
        emit(&line)
    }
}

fn candidates(msg: &Message) -> Option<Vec<&'static str>> {
    match &msg.content {
        Content::CommBAltitude {
            bds: Bds::Ambiguous(c),
            ..
        }
        | Content::CommBIdentity {
            bds: Bds::Ambiguous(c),
            ..
        } => Some(c.names().collect()),
        _ => None,
    }
}

fn bds(msg: &Message) -> Option<&'static str> {
    match &msg.content {
        Content::CommBAltitude { bds, .. } | Content::CommBIdentity { bds, .. } => match bds {
            Bds::Empty | Bds::Unknown | Bds::Ambiguous(_) => None,
            b => b.name(),
        },
        _ => None,
    }
}
