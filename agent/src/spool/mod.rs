//! The on-disk spool: every batch is written here (and synced) before it
//! is published, and deleted only when the broker acknowledges it. After a
//! broker outage, a restart or kill -9, whatever is here is sent again, in
//! sequence order. Bounded by size and age: beyond either, the oldest
//! batches are dropped and counted, never silently.
//!
//! Layout: one file per batch, `<seq:020>-<created_ms>.batch`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::identity::write_synced;

#[derive(Debug, Clone, Copy)]
struct Entry {
    bytes: u64,
    created_ms: u64,
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
            entries.insert(seq, Entry { bytes, created_ms });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            entries,
            total,
            max_bytes,
            max_age_ms: max_age_s * 1000,
            dropped: 0,
        })
    }

    fn path(&self, seq: u64, created_ms: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}-{created_ms}.batch"))
    }

    /// Stores a batch durably, then enforces the bounds.
    pub fn put(&mut self, seq: u64, created_ms: u64, data: &[u8]) -> anyhow::Result<()> {
        write_synced(&self.path(seq, created_ms), data)?;
        self.total += data.len() as u64;
        self.entries.insert(
            seq,
            Entry {
                bytes: data.len() as u64,
                created_ms,
            },
        );
        self.enforce(created_ms);
        self.gauges();
        Ok(())
    }

    /// Reads a spooled batch.
    pub fn get(&self, seq: u64) -> anyhow::Result<Vec<u8>> {
        let e = self.entries.get(&seq).context("not in the spool")?;
        let p = self.path(seq, e.created_ms);
        fs::read(&p).with_context(|| format!("reading {}", p.display()))
    }

    /// Deletes an acknowledged batch.
    pub fn remove(&mut self, seq: u64) {
        if let Some(e) = self.entries.remove(&seq) {
            self.total -= e.bytes;
            let _ = fs::remove_file(self.path(seq, e.created_ms));
        }
        self.gauges();
    }

    /// Spooled sequence numbers, oldest first.
    pub fn seqs(&self) -> Vec<u64> {
        self.entries.keys().copied().collect()
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
        let cutoff = now_ms.saturating_sub(self.max_age_ms);
        while let Some((&seq, &e)) = self.entries.iter().next() {
            if self.total <= self.max_bytes && e.created_ms >= cutoff {
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
            s.put(seq, 1000 + seq, &[seq as u8; 10]).unwrap();
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
            s.put(seq, 1000, &[0; 10]).unwrap();
        }
        assert_eq!(s.seqs(), vec![4, 5]);
        assert_eq!(s.dropped(), 3);
        let mut s = Spool::open(dir.path(), 1 << 20, 1).unwrap();
        s.put(6, 10_000, &[0; 10]).unwrap();
        assert_eq!(s.seqs(), vec![6], "older than a second are dropped");
    }
}
