//! The on-disk spool: every batch is written here (and synced) before it
//! is published, and deleted only when the broker acknowledges it. After a
//! broker outage, a restart or kill -9, whatever is here is sent again, in
//! sequence order. Bounded by size and age: beyond either, the oldest
//! batches are dropped and counted, never silently.
//!
//! A batch that cannot be written (disk full, read-only file system, I/O
//! errors) is held in memory instead and sent from there, up to
//! [`MEMORY_MAX_BYTES`]; it is lost only if the agent stops before it is
//! delivered, or, beyond the bound, dropped oldest first and counted.
//!
//! Layout: one file per batch, `<seq:020>-<created_ms>.batch`.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::identity::write_synced;

/// Bytes of batches held in memory when they could not be written.
pub const MEMORY_MAX_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, Copy)]
struct Entry {
    bytes: u64,
    created_ms: u64,
    /// When this run spooled it. Its age is measured on that monotonic
    /// clock: the wall clock of a receiver without a real-time clock (a Pi
    /// that was off) jumps when it is set, and every batch made before
    /// would look as old as the jump.
    spooled_at: Option<Instant>,
}

/// Where a batch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Written and synced: survives a restart.
    OnDisk,
    /// Could not be written; held in memory until delivered.
    InMemory,
}

/// The spool directory and its index.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    entries: BTreeMap<u64, Entry>,
    total: u64,
    max_bytes: u64,
    max_age_ms: u64,
    dropped: u64,
    /// Batches that could not be written, by sequence number.
    held: HashMap<u64, Vec<u8>>,
    held_bytes: u64,
}

impl Spool {
    /// Opens (creating) the spool in `dir` and indexes what is there.
    pub fn open(dir: &Path, max_bytes: u64, max_age_s: u64) -> anyhow::Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating spool {}", dir.display()))?;
        let mut entries = BTreeMap::new();
        let mut total = 0;
        for e in fs::read_dir(dir).with_context(|| format!("reading spool {}", dir.display()))? {
            let e = e?;
            let name = e.file_name().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".batch") else {
                // Leftover temp files from a crash mid-write were never acknowledged
                // as spooled; remove them.
                if name.ends_with(".tmp") {
                    let _ = fs::remove_file(e.path());
                }
                continue;
            };
            let Some((seq, created)) = stem.split_once('-') else {
                continue;
            };
            let (Ok(seq), Ok(created_ms)) = (seq.parse::<u64>(), created.parse::<u64>()) else {
                continue;
            };
            let bytes = e.metadata()?.len();
            total += bytes;
            entries.insert(
                seq,
                Entry {
                    bytes,
                    created_ms,
                    spooled_at: None,
                },
            );
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            entries,
            total,
            max_bytes,
            max_age_ms: max_age_s * 1000,
            dropped: 0,
            held: HashMap::new(),
            held_bytes: 0,
        })
    }

    fn path(&self, seq: u64, created_ms: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}-{created_ms}.batch"))
    }

    /// Stores a batch durably, or in memory if it cannot be written, then
    /// enforces the bounds.
    pub fn put(&mut self, seq: u64, created_ms: u64, data: &[u8]) -> Stored {
        let path = self.path(seq, created_ms);
        let stored = match write_synced(&path, data) {
            Ok(()) => Stored::OnDisk,
            Err(e) => {
                let _ = fs::remove_file(path.with_extension("tmp"));
                tracing::error!(seq, error = %format!("{e:#}"), "cannot write the batch to the spool: held in memory until delivered");
                metrics::counter!("cloudradar_agent_spool_write_errors_total").increment(1);
                self.held.insert(seq, data.to_vec());
                self.held_bytes += data.len() as u64;
                Stored::InMemory
            }
        };
        self.total += data.len() as u64;
        self.entries.insert(
            seq,
            Entry {
                bytes: data.len() as u64,
                created_ms,
                spooled_at: Some(Instant::now()),
            },
        );
        self.enforce(created_ms);
        self.gauges();
        stored
    }

    /// Reads a spooled batch.
    pub fn get(&self, seq: u64) -> anyhow::Result<Vec<u8>> {
        let e = self.entries.get(&seq).context("not in the spool")?;
        if let Some(data) = self.held.get(&seq) {
            return Ok(data.clone());
        }
        let p = self.path(seq, e.created_ms);
        fs::read(&p).with_context(|| format!("reading {}", p.display()))
    }

    /// Deletes an acknowledged batch.
    pub fn remove(&mut self, seq: u64) {
        if let Some(e) = self.entries.remove(&seq) {
            self.total -= e.bytes;
            if let Some(data) = self.held.remove(&seq) {
                self.held_bytes -= data.len() as u64;
            } else {
                let _ = fs::remove_file(self.path(seq, e.created_ms));
            }
        }
        self.gauges();
    }

    /// Spooled sequence numbers, oldest first.
    pub fn seqs(&self) -> Vec<u64> {
        self.entries.keys().copied().collect()
    }

    /// Spooled sequence numbers from `first` to `last` (inclusive).
    pub fn seqs_within(&self, first: u64, last: u64) -> Vec<u64> {
        if first > last {
            return Vec::new();
        }
        self.entries.range(first..=last).map(|(s, _)| *s).collect()
    }

    /// Whether nothing is spooled.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `seq` is still spooled.
    pub fn contains(&self, seq: u64) -> bool {
        self.entries.contains_key(&seq)
    }

    /// Newest spooled sequence number.
    pub fn newest(&self) -> Option<u64> {
        self.entries.keys().next_back().copied()
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.total
    }

    /// Batches dropped because of the bounds.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn enforce(&mut self, now_ms: u64) {
        while self.held_bytes > MEMORY_MAX_BYTES {
            let Some(&seq) = self.held.keys().min() else {
                break;
            };
            if self.held.len() == 1 {
                break;
            }
            tracing::warn!(
                seq,
                "batches held in memory beyond their bound: oldest dropped"
            );
            metrics::counter!("cloudradar_agent_batches_dropped_total").increment(1);
            self.dropped += 1;
            self.remove(seq);
        }
        let cutoff = now_ms.saturating_sub(self.max_age_ms);
        let max_age = Duration::from_millis(self.max_age_ms);
        while let Some((&seq, &e)) = self.entries.iter().next() {
            let too_old = match e.spooled_at {
                Some(at) => at.elapsed() > max_age,
                None => e.created_ms < cutoff,
            };
            if self.total <= self.max_bytes && !too_old {
                break;
            }
            // Never drop the batch just written.
            if self.entries.len() == 1 {
                break;
            }
            tracing::warn!(
                seq,
                bytes = e.bytes,
                "spool full or batch too old: oldest batch dropped"
            );
            metrics::counter!("cloudradar_agent_batches_dropped_total").increment(1);
            self.dropped += 1;
            self.remove(seq);
        }
    }

    fn gauges(&self) {
        metrics::gauge!("cloudradar_agent_spool_bytes").set(self.total as f64);
        metrics::gauge!("cloudradar_agent_spool_max_bytes").set(self.max_bytes as f64);
        metrics::gauge!("cloudradar_agent_spool_batches").set(self.entries.len() as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen_and_keeps_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 1 << 20, 3600).unwrap();
        for seq in [3u64, 1, 2] {
            s.put(seq, 1000 + seq, &[seq as u8; 10]);
        }
        s.remove(2);
        drop(s);
        let s = Spool::open(dir.path(), 1 << 20, 3600).unwrap();
        assert_eq!(s.seqs(), vec![1, 3]);
        assert_eq!(s.get(3).unwrap(), vec![3u8; 10]);
        assert_eq!(s.bytes(), 20);
    }

    #[test]
    fn oldest_batches_are_dropped_and_counted_beyond_the_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 25, 3600).unwrap();
        for seq in 1..=5u64 {
            s.put(seq, 1000, &[0; 10]);
        }
        assert_eq!(s.seqs(), vec![4, 5]);
        assert_eq!(s.dropped(), 3);
        let mut s = Spool::open(dir.path(), 1 << 20, 1).unwrap();
        s.put(6, 10_000, &[0; 10]);
        assert_eq!(s.seqs(), vec![6], "older than a second are dropped");
    }

    /// Regression: the wall clock set forward (a Pi without a real-time
    /// clock, off for days, synchronised after the agent started) made
    /// every batch spooled before look too old, and they were dropped.
    #[test]
    fn a_clock_set_forward_does_not_age_this_runs_batches() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 1 << 20, 3600).unwrap();
        let wrong = 1_700_000_000_000u64;
        for seq in 1..=3u64 {
            s.put(seq, wrong + seq, &[0; 10]);
        }
        let ten_days = 10 * 24 * 3_600_000;
        s.put(4, wrong + ten_days, &[0; 10]);
        assert_eq!(s.seqs(), vec![1, 2, 3, 4]);
        assert_eq!(s.dropped(), 0);
        // After a restart only the wall clock is left to go by.
        drop(s);
        let mut s = Spool::open(dir.path(), 1 << 20, 3600).unwrap();
        s.put(5, wrong + ten_days + 1, &[0; 10]);
        assert_eq!(s.seqs(), vec![4, 5]);
    }

    /// Regression: a batch the spool could not write (disk full) was
    /// logged and thrown away, uncounted.
    #[test]
    fn a_batch_that_cannot_be_written_is_held_in_memory_and_sent_from_there() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), 1 << 20, 3600).unwrap();
        assert_eq!(s.put(1, 1000, &[1; 10]), Stored::OnDisk);
        // The write of batch 2 fails: a directory squats on its temp name.
        std::fs::create_dir(dir.path().join(format!("{:020}-1000.tmp", 2))).unwrap();
        assert_eq!(s.put(2, 1000, &[2; 10]), Stored::InMemory);
        assert_eq!(s.put(3, 1000, &[3; 10]), Stored::OnDisk);
        assert_eq!(s.seqs(), vec![1, 2, 3], "sent in order with the others");
        assert_eq!(s.get(2).unwrap(), vec![2u8; 10]);
        assert_eq!(s.bytes(), 30);
        s.remove(2);
        assert_eq!(s.seqs(), vec![1, 3]);
        assert_eq!(s.bytes(), 20);
        assert_eq!(s.dropped(), 0);
    }

    #[test]
    fn batches_held_in_memory_are_bounded_oldest_dropped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), u64::MAX, 3600).unwrap();
        let big = vec![0u8; (MEMORY_MAX_BYTES / 4) as usize];
        for seq in 1..=6u64 {
            std::fs::create_dir(dir.path().join(format!("{seq:020}-1000.tmp"))).unwrap();
            assert_eq!(s.put(seq, 1000, &big), Stored::InMemory);
        }
        assert_eq!(s.seqs(), vec![3, 4, 5, 6]);
        assert_eq!(s.dropped(), 2);
    }
}
