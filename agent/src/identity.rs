//! Receiver identity and batch sequence numbers, both kept in the data
//! directory so they survive restarts (and kill -9).
//!
//! Sequence numbers are reserved in blocks: the file holds the end of the
//! reserved block, written and synced *before* any number of the block is
//! used, so a number is never reused even if the agent dies mid-block.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use cloudradar_shared::wire::{MAX_SEQ, valid_receiver_id};
use cloudradar_shared::{random, time};

pub(crate) const BLOCK: u64 = 1000;

/// Highest sequence an agent starts from: 2^32 batches below the largest
/// the collector accepts, decades of batching at any rate, so a running
/// agent never reaches [`MAX_SEQ`].
pub(crate) const START_LIMIT: u64 = MAX_SEQ - (1 << 32);

/// Reads the persisted receiver id, or generates and stores a new one.
pub fn receiver_id(dir: &Path, configured: Option<&str>) -> anyhow::Result<String> {
    if let Some(id) = configured {
        return Ok(id.to_string());
    }
    let path = dir.join("receiver-id");
    if let Ok(id) = fs::read_to_string(&path) {
        let id = id.trim().to_string();
        if valid_receiver_id(&id) {
            return Ok(id);
        }
        anyhow::bail!("{} holds an invalid receiver id {id:?}", path.display());
    }
    let id = format!(
        "rx-{:012x}",
        random::u64().context("generating a receiver id")? & 0xFFFF_FFFF_FFFF
    );
    write_synced(&path, id.as_bytes())?;
    Ok(id)
}

/// Writes a small file atomically and durably (temp file, fsync, rename).
pub fn write_synced(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(data)?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    if let Some(parent) = path.parent()
        && let Ok(d) = fs::File::open(parent)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Hands out strictly increasing batch sequence numbers.
#[derive(Debug)]
pub struct Sequence {
    path: PathBuf,
    next: u64,
    reserved_until: u64,
}

impl Sequence {
    /// Opens the sequence kept in `dir/sequence`, starting after anything
    /// reserved before (and after `at_least`, e.g. the newest spooled batch).
    ///
    /// A new sequence starts at the current time in microseconds, not at 1:
    /// an agent reinstalled with its old receiver id but an empty data
    /// directory must not reuse numbers the collector has already applied
    /// (it would drop those batches as re-sends). Numbers handed out before
    /// are far below: at most one per batch plus a block per restart.
    ///
    /// Refuses to open a sequence at or above [`START_LIMIT`] (a corrupt or
    /// hand-edited file, or a spooled batch numbered like that): the
    /// collector refuses batches above [`MAX_SEQ`], so they would be lost.
    pub fn open(dir: &Path, at_least: u64) -> anyhow::Result<Self> {
        let path = dir.join("sequence");
        let stored = match fs::read_to_string(&path) {
            Ok(s) => s
                .trim()
                .parse::<u64>()
                .with_context(|| format!("{} is corrupt", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => time::now_us().max(1),
            Err(e) => {
                return Err(e).with_context(|| format!("reading {}", path.display()));
            }
        };
        if stored >= START_LIMIT {
            anyhow::bail!(
                "{} holds batch sequence {stored}, at or above {START_LIMIT}: the collector \
                 accepts none above {MAX_SEQ}; delete the file to start again from the current time",
                path.display()
            );
        }
        if at_least >= START_LIMIT {
            anyhow::bail!(
                "the spool holds a batch numbered {at_least}, at or above {START_LIMIT}: the \
                 collector accepts none above {MAX_SEQ}; remove that batch from the spool",
            );
        }
        let next = stored.max(at_least + 1);
        let mut s = Self {
            path,
            next,
            reserved_until: next,
        };
        s.reserve()?;
        Ok(s)
    }

    /// Reserves the next block; only a reservation that reached the disk
    /// counts, so a failed write leaves the numbers unavailable.
    fn reserve(&mut self) -> anyhow::Result<()> {
        let until = self.next + BLOCK;
        write_synced(&self.path, until.to_string().as_bytes())?;
        self.reserved_until = until;
        Ok(())
    }

    /// The next number.
    pub fn take(&mut self) -> anyhow::Result<u64> {
        if self.next >= self.reserved_until {
            self.reserve()?;
        }
        let n = self.next;
        self.next += 1;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_id_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = receiver_id(dir.path(), None).unwrap();
        let b = receiver_id(dir.path(), None).unwrap();
        assert_eq!(a, b);
        assert!(valid_receiver_id(&a));
        assert_eq!(receiver_id(dir.path(), Some("mine")).unwrap(), "mine");
    }

    #[test]
    fn sequence_never_repeats_across_reopen_even_without_a_clean_stop() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sequence::open(dir.path(), 0).unwrap();
        let used: Vec<u64> = (0..5).map(|_| s.take().unwrap()).collect();
        drop(s); // as if killed: nothing written on drop
        let mut s = Sequence::open(dir.path(), 0).unwrap();
        let n = s.take().unwrap();
        assert!(n > *used.last().unwrap());
        let mut s2 = Sequence::open(dir.path(), n + 5000).unwrap();
        assert!(s2.take().unwrap() > n + 5000);
    }

    /// Regression: a reservation whose write failed (disk full) still
    /// counted, so the numbers after it were handed out unsaved and, after
    /// a restart, handed out again; the collector dropped those batches as
    /// re-sends.
    #[test]
    fn a_failed_reservation_hands_out_no_unsaved_number() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sequence::open(dir.path(), 0).unwrap();
        let mut used = Vec::new();
        for _ in 0..BLOCK {
            used.push(s.take().unwrap());
        }
        // The next block cannot be saved: a directory squats on the temp name.
        let tmp = dir.path().join("sequence.tmp");
        std::fs::create_dir(&tmp).unwrap();
        assert!(s.take().is_err());
        assert!(s.take().is_err(), "still nothing to hand out");
        std::fs::remove_dir(&tmp).unwrap();
        used.push(s.take().unwrap());
        drop(s); // killed
        let mut s = Sequence::open(dir.path(), 0).unwrap();
        let n = s.take().unwrap();
        assert!(n > *used.iter().max().unwrap(), "{n} reused");
    }

    /// Regression: a sequence file at 2^63 or above was used as it was; the
    /// collector stored such sequences negative. Near the limit the agent
    /// now refuses to start, naming the file.
    #[test]
    fn a_sequence_near_the_collectors_limit_is_refused_at_start() {
        for stored in [START_LIMIT, MAX_SEQ, 1 << 63, u64::MAX] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("sequence"), stored.to_string()).unwrap();
            let err = format!("{:#}", Sequence::open(dir.path(), 0).unwrap_err());
            assert!(
                err.contains("sequence") && err.contains(&stored.to_string()),
                "{err}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let err = format!("{:#}", Sequence::open(dir.path(), 1 << 63).unwrap_err());
        assert!(err.contains("spool"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sequence"), (START_LIMIT - 1).to_string()).unwrap();
        let mut s = Sequence::open(dir.path(), 0).unwrap();
        assert!(s.take().unwrap() <= MAX_SEQ);
    }

    /// Regression: a reinstalled agent (same receiver id, empty data
    /// directory) started again at 1 and the collector dropped its batches
    /// as re-sends of the old installation's.
    #[test]
    fn a_reinstalled_agent_continues_above_the_old_installation() {
        let old = tempfile::tempdir().unwrap();
        let mut s = Sequence::open(old.path(), 0).unwrap();
        let mut last = 0;
        for _ in 0..3 {
            // Restarts skip ahead a block each time.
            for _ in 0..10 {
                last = s.take().unwrap();
            }
            s = Sequence::open(old.path(), 0).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        let fresh = tempfile::tempdir().unwrap();
        let first = Sequence::open(fresh.path(), 0).unwrap().take().unwrap();
        assert!(first > last, "{first} <= {last}");
    }
}
