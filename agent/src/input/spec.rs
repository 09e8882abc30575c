//! Input specifications as written in the config: `tcp:HOST:PORT[:beast|avr]`,
//! `serial:DEVICE[:BAUD][:beast|avr]`, `file:PATH[:beast|avr|csv]`.

use std::path::PathBuf;

use anyhow::{Context, bail};

/// Byte format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Beast binary.
    Beast,
    /// AVR text.
    Avr,
    /// `unix_time,beast_hex` recordings (files only).
    Csv,
    /// Decide from the first bytes.
    Auto,
}

impl Format {
    fn parse(s: &str) -> anyhow::Result<Self> {
        Ok(match s {
            "beast" => Self::Beast,
            "avr" => Self::Avr,
            "csv" => Self::Csv,
            "auto" => Self::Auto,
            other => bail!("unknown format {other:?} (beast, avr, csv, auto)"),
        })
    }
}

/// One input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// A TCP server to read from.
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
        /// Format (default Beast).
        format: Format,
    },
    /// A serial device.
    Serial {
        /// Device path.
        device: String,
        /// Baud rate (default 3,000,000 for Beast).
        baud: u32,
        /// Format (default auto).
        format: Format,
    },
    /// A recording.
    File {
        /// Path.
        path: PathBuf,
        /// Format (default auto).
        format: Format,
    },
}

impl Spec {
    /// Parses a specification.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        let (kind, rest) = s.split_once(':').context("expected KIND:…")?;
        let parts: Vec<&str> = rest.split(':').collect();
        match kind {
            "tcp" => {
                let [host, port, fmt @ ..] = &parts[..] else {
                    bail!("expected tcp:HOST:PORT[:FORMAT]");
                };
                let port: u16 = port.parse().with_context(|| format!("bad port {port:?}"))?;
                let format = fmt
                    .first()
                    .map(|f| Format::parse(f))
                    .transpose()?
                    .unwrap_or(Format::Beast);
                if format == Format::Csv {
                    bail!("csv is for files");
                }
                Ok(Self::Tcp {
                    host: host.to_string(),
                    port,
                    format,
                })
            }
            "serial" => {
                let device = parts
                    .first()
                    .filter(|d| !d.is_empty())
                    .context("expected serial:DEVICE")?;
                let mut baud = 3_000_000;
                let mut format = Format::Auto;
                for p in &parts[1..] {
                    match p.parse::<u32>() {
                        Ok(b) => baud = b,
                        Err(_) => format = Format::parse(p)?,
                    }
                }
                Ok(Self::Serial {
                    device: device.to_string(),
                    baud,
                    format,
                })
            }
            "file" => {
                let (path, format) = match rest.rsplit_once(':') {
                    Some((p, f)) if matches!(f, "beast" | "avr" | "csv" | "auto") => {
                        (p, Format::parse(f)?)
                    }
                    _ => (rest, Format::Auto),
                };
                if path.is_empty() {
                    bail!("expected file:PATH");
                }
                Ok(Self::File {
                    path: PathBuf::from(path),
                    format,
                })
            }
            other => bail!("unknown input kind {other:?} (tcp, serial, file)"),
        }
    }

    /// A short label for logs and metrics.
    pub fn label(&self) -> String {
        match self {
            Self::Tcp { host, port, .. } => format!("tcp:{host}:{port}"),
            Self::Serial { device, .. } => format!("serial:{device}"),
            Self::File { path, .. } => format!("file:{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind() {
        assert_eq!(
            Spec::parse("tcp:localhost:30002:avr").unwrap(),
            Spec::Tcp {
                host: "localhost".into(),
                port: 30002,
                format: Format::Avr
            }
        );
        assert_eq!(
            Spec::parse("serial:/dev/ttyUSB0").unwrap(),
            Spec::Serial {
                device: "/dev/ttyUSB0".into(),
                baud: 3_000_000,
                format: Format::Auto
            }
        );
        assert_eq!(
            Spec::parse("serial:/dev/ttyS1:115200:avr").unwrap(),
            Spec::Serial {
                device: "/dev/ttyS1".into(),
                baud: 115_200,
                format: Format::Avr
            }
        );
        assert_eq!(
            Spec::parse("file:/tmp/x.csv:csv").unwrap(),
            Spec::File {
                path: "/tmp/x.csv".into(),
                format: Format::Csv
            }
        );
        assert!(Spec::parse("tcp:host").is_err());
        assert!(Spec::parse("udp:a:1").is_err());
        assert!(Spec::parse("tcp:a:notaport").is_err());
    }
}
