//! Replay of a recording instead of simulated traffic, read once and handed
//! out in its timing scaled by the speed factor: the CSV recordings
//! (`time,beast-hex` as in `../shared/data/long_flight.csv`) carry Unix
//! times; AVR text (`*hex;` or `@timestamp hex;`, as in
//! `lax-messages.txt`) is timed by its 12 MHz timestamps when it has them,
//! else played at [`AVR_UNTIMED_RATE`] frames a second.

use std::path::Path;

use anyhow::Context;
use cloudradar_shared::format::{Received, avr, csv, scan_all};

/// Frames a second for AVR text without timestamps (before `speed`).
pub const AVR_UNTIMED_RATE: f64 = 1_000.0;

/// A recording and how far it has been played.
#[derive(Debug)]
pub struct Replay {
    frames: Vec<(f64, Received)>,
    next: usize,
    start: f64,
}

impl Replay {
    /// Reads the recording; unreadable lines are an error naming the line.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading replay {}", path.display()))?;
        let avr_text = text.trim_start().starts_with(['*', '@']);
        let mut frames = Vec::new();
        if avr_text {
            let (got, garbage) = scan_all(avr::scan, text.as_bytes());
            if got.is_empty() {
                anyhow::bail!(
                    "replay {}: no AVR frames ({garbage} bytes unreadable)",
                    path.display()
                );
            }
            let timed = got.iter().all(|r| r.timestamp > 0);
            for (i, r) in got.into_iter().enumerate() {
                let t = if timed {
                    r.timestamp as f64 / 12e6
                } else {
                    i as f64 / AVR_UNTIMED_RATE
                };
                frames.push((t, r));
            }
        } else {
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let f = csv::parse_line(line).map_err(|e| {
                    anyhow::anyhow!("replay {} line {}: {e}", path.display(), i + 1)
                })?;
                frames.push(f);
            }
        }
        frames.sort_by(|a, b| a.0.total_cmp(&b.0));
        let start = frames.first().map_or(0.0, |f| f.0);
        Ok(Self {
            frames,
            next: 0,
            start,
        })
    }

    /// The frames recorded up to `elapsed` seconds after the first one.
    pub fn until(&mut self, elapsed: f64) -> &[(f64, Received)] {
        let from = self.next;
        while self
            .frames
            .get(self.next)
            .is_some_and(|(t, _)| t - self.start <= elapsed)
        {
            self.next += 1;
        }
        self.frames.get(from..self.next).unwrap_or_default()
    }

    /// Everything has been played.
    pub fn finished(&self) -> bool {
        self.next >= self.frames.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_in_recorded_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        // Lines of ../shared/data/long_flight.csv, out of order, re-timed.
        let lines = [
            "1000.5,1a33000023bb50f025903907dbc1b50fca1ad701efd570",
            "1000.0,1a32000023b1dda011210000bd6b441a",
            "1002.0,1a33000023bbaeb025903907dbc2b40000db177a8c3971",
        ];
        std::fs::write(&p, lines.join("\n")).unwrap();
        let mut r = Replay::open(&p).unwrap();
        assert_eq!(r.until(0.0).len(), 1);
        assert_eq!(r.until(1.0).len(), 1);
        assert!(!r.finished());
        assert_eq!(r.until(5.0).len(), 1);
        assert!(r.finished());
        // AVR text without timestamps: a fixed rate.
        std::fs::write(&p, "*8D4840D6202CC371C32CE0576098;\n*02C60B9ED4497C;\n").unwrap();
        let mut r = Replay::open(&p).unwrap();
        assert_eq!(r.until(0.0).len(), 1);
        assert_eq!(r.until(1.0 / AVR_UNTIMED_RATE).len(), 1);
        assert!(r.finished());
        std::fs::write(&p, "not,a,frame\n").unwrap();
        let err = Replay::open(&p).unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
    }
}
