//! Where each recording file was left, so a restarted agent resumes a
//! file where the last batch that reached the spool ended: back-filling a
//! large recording neither sends a frame twice (a re-sent frame would get
//! a new batch number, which the collector could not recognise) nor skips
//! one.
//!
//! Every frame read from a file carries a [`Mark`] (which file, and the
//! byte offset just after the frame). The batcher hands the newest mark of
//! each file in a batch to the publisher, which records it in two steps
//! around spooling the batch: [`Positions::prepare`] (the batch's sequence
//! number and offset, pending) before, [`Positions::commit`] after. A kill
//! between the two leaves a pending record; at the next start it counts
//! only if that batch is in the spool (a batch is sent only after its
//! commit, so a spooled batch cannot have been acknowledged and removed
//! yet). Positions live in `<data_dir>/inputs/<hash>.pos` with the file's
//! inode, so a replaced or truncated file is read from the start. Delete
//! the position file to replay a file. A file timed by its receiver clock
//! also keeps its time base there (`clock.rs`), so a resumed back-fill
//! goes on with the times it started with.

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::identity::write_synced;

/// A frame's place in a file: the file's index and the offset after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Index of the file among the file inputs.
    pub file: u16,
    /// Byte offset just after the frame.
    pub offset: u64,
}

#[derive(Debug)]
struct Tracked {
    path: PathBuf,
    store: PathBuf,
    inode: u64,
    /// Where to start, resolved at open.
    start: u64,
    /// The offset last committed (starts at `start`), so a record is
    /// written without reading the previous one back.
    committed: Mutex<u64>,
    /// Unix µs of the file's first clocked frame, for a file timed by its
    /// receiver clock; resolved at open like `start`.
    clock_base_us: Mutex<Option<i64>>,
}

/// A position record: `inode committed pending_seq pending_offset path`
/// (`pending_seq` 0 = none; batch numbers are never 0), and for a file
/// timed by its clock a second line `clock_base_us BASE` (which readers of
/// the first four numbers only ignore).
#[derive(Debug, PartialEq, Eq)]
struct Record {
    inode: u64,
    committed: u64,
    pending: Option<(u64, u64)>,
    clock_base_us: Option<i64>,
}

/// The second line's key.
const CLOCK_BASE: &str = "clock_base_us";

impl Record {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split_whitespace().map(str::parse::<u64>);
        let mut next = || parts.next()?.ok();
        let (inode, committed, seq, offset) = (next()?, next()?, next()?, next()?);
        let clock_base_us = text.lines().skip(1).find_map(|l| {
            let (key, value) = l.split_once(' ')?;
            (key == CLOCK_BASE).then(|| value.trim().parse().ok())?
        });
        Some(Self {
            inode,
            committed,
            pending: (seq != 0).then_some((seq, offset)),
            clock_base_us,
        })
    }

    fn write(&self, t: &Tracked) {
        let (seq, offset) = self.pending.unwrap_or((0, 0));
        let mut line = format!(
            "{} {} {seq} {offset} {}\n",
            self.inode,
            self.committed,
            t.path.display()
        );
        if let Some(base) = self.clock_base_us {
            line.push_str(&format!("{CLOCK_BASE} {base}\n"));
        }
        if let Err(e) = write_synced(&t.store, line.as_bytes()) {
            tracing::warn!(error = %format!("{e:#}"), "cannot save the file position");
        }
    }
}

/// The saved positions of the file inputs.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    files: Arc<Vec<Tracked>>,
}

impl Positions {
    /// Tracks `files` (in the order their inputs are numbered), keeping the
    /// positions in `dir`; `spooled` tells whether a batch is in the spool.
    pub fn open(
        dir: &Path,
        files: &[PathBuf],
        spooled: impl Fn(u64) -> bool,
    ) -> anyhow::Result<Self> {
        if files.is_empty() {
            return Ok(Self::default());
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut tracked = Vec::new();
        for f in files {
            let path = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
            let mut h = std::collections::hash_map::DefaultHasher::new();
            h.write(path.as_os_str().as_encoded_bytes());
            let mut t = Tracked {
                store: dir.join(format!("{:016x}.pos", h.finish())),
                inode: inode(&path),
                path,
                start: 0,
                committed: Mutex::new(0),
                clock_base_us: Mutex::new(None),
            };
            let (start, clock_base_us) = resolve(&t, &spooled);
            t.start = start;
            t.committed = Mutex::new(start);
            t.clock_base_us = Mutex::new(clock_base_us);
            // What was resolved is the committed position from now on: a
            // pending record left as it was would count only while its
            // batch is spooled, and once that batch is delivered the next
            // start would go back to the older committed offset.
            Record {
                inode: t.inode,
                committed: t.start,
                pending: None,
                clock_base_us,
            }
            .write(&t);
            tracked.push(t);
        }
        Ok(Self {
            files: Arc::new(tracked),
        })
    }

    /// Where file `index` should be read from.
    pub fn resume(&self, index: u16) -> u64 {
        self.files.get(index as usize).map_or(0, |t| t.start)
    }

    /// The time base file `index` was read with, if it is timed by its
    /// clock and resumed (or was read from the start before).
    pub fn clock_base_us(&self, index: u16) -> Option<i64> {
        let t = self.files.get(index as usize)?;
        *t.clock_base_us.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `base_us` as file `index`'s time base (before it sends a frame).
    pub fn set_clock_base_us(&self, index: u16, base_us: i64) {
        let Some(t) = self.files.get(index as usize) else {
            return;
        };
        *t.clock_base_us.lock().unwrap_or_else(|e| e.into_inner()) = Some(base_us);
        let committed = *t.committed.lock().unwrap_or_else(|e| e.into_inner());
        Record {
            inode: t.inode,
            committed,
            pending: None,
            clock_base_us: Some(base_us),
        }
        .write(t);
    }

    /// Before batch `seq` is spooled: its marks, pending.
    pub fn prepare(&self, seq: u64, marks: &[Mark]) {
        self.record(marks, |committed, offset| (committed, Some((seq, offset))));
    }

    /// After the batch is spooled: its marks, committed.
    pub fn commit(&self, marks: &[Mark]) {
        self.record(marks, |_, offset| (offset, None));
    }

    /// Writes one record per marked file: `make(committed, offset)` gives
    /// its committed offset and pending batch.
    fn record(&self, marks: &[Mark], make: impl Fn(u64, u64) -> (u64, Option<(u64, u64)>)) {
        for m in marks {
            let Some(t) = self.files.get(m.file as usize) else {
                continue;
            };
            let mut committed = t.committed.lock().unwrap_or_else(|e| e.into_inner());
            let (now, pending) = make(*committed, m.offset);
            *committed = now;
            Record {
                inode: t.inode,
                committed: now,
                pending,
                clock_base_us: *t.clock_base_us.lock().unwrap_or_else(|e| e.into_inner()),
            }
            .write(t);
        }
    }
}

/// The start offset for `t`: its committed offset, or the pending one if
/// that batch made it into the spool; 0 if the file changed. With it the
/// file's time base, if it has one and did not change.
fn resolve(t: &Tracked, spooled: &impl Fn(u64) -> bool) -> (u64, Option<i64>) {
    let Ok(text) = std::fs::read_to_string(&t.store) else {
        return (0, None);
    };
    let Some(r) = Record::parse(&text) else {
        tracing::warn!(file = %t.store.display(), "unreadable file position; reading from the start");
        return (0, None);
    };
    let offset = match r.pending {
        Some((seq, offset)) if spooled(seq) => offset,
        _ => r.committed,
    };
    let len = std::fs::metadata(&t.path).map(|m| m.len()).unwrap_or(0);
    if r.inode != t.inode || offset > len {
        tracing::info!(path = %t.path.display(), "the file changed since it was read; reading from the start");
        return (0, None);
    }
    tracing::info!(path = %t.path.display(), offset, len, position = %t.store.display(),
        "resuming the file where the last spooled batch ended (delete the position file to replay)");
    (offset, r.clock_base_us)
}

/// Folds `mark` into the newest marks per file.
pub fn note(marks: &mut Vec<Mark>, mark: Mark) {
    match marks.iter_mut().find(|m| m.file == mark.file) {
        Some(m) => m.offset = m.offset.max(mark.offset),
        None => marks.push(mark),
    }
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map(|m| m.ino()).unwrap_or(0)
}

#[cfg(not(unix))]
fn inode(_path: &Path) -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A restart: positions kept in `dir`, with batch `spooled` in the spool.
    fn reopen(dir: &Path, file: &Path, spooled: u64) -> Positions {
        Positions::open(&dir.join("inputs"), &[file.to_path_buf()], |s| s == spooled).expect("open")
    }

    #[test]
    fn a_saved_position_is_resumed_until_the_file_is_replaced_or_truncated() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("rec.csv");
        std::fs::write(&file, "0123456789").expect("write");
        let open = |spooled: u64| reopen(dir.path(), &file, spooled);
        // Each open is a restart; the process then goes on with it.
        let p = open(0);
        assert_eq!(p.resume(0), 0, "nothing saved yet");
        p.prepare(5, &[Mark { file: 0, offset: 7 }]);
        let p = open(5);
        assert_eq!(p.resume(0), 7, "batch 5 is in the spool");
        p.prepare(6, &[Mark { file: 0, offset: 9 }]);
        let p = open(0);
        assert_eq!(p.resume(0), 7, "batch 6 never reached the spool");
        p.prepare(7, &[Mark { file: 0, offset: 9 }]);
        p.commit(&[Mark { file: 0, offset: 9 }]);
        let p = open(0);
        assert_eq!(p.resume(0), 9, "committed");
        p.prepare(
            8,
            &[Mark {
                file: 0,
                offset: 10,
            }],
        );
        std::fs::write(&file, "0123").expect("truncate");
        let p = open(8);
        assert_eq!(p.resume(0), 0, "shorter than the position");
        p.commit(&[Mark { file: 0, offset: 2 }]);
        // Made while the first still exists, so its inode differs.
        std::fs::write(dir.path().join("other"), "0123456789").expect("other");
        std::fs::remove_file(&file).expect("rm");
        std::fs::rename(dir.path().join("other"), &file).expect("replace");
        assert_eq!(open(0).resume(0), 0, "another file at the same path");
    }

    /// Regression: a pending record resolved at start was left as it was;
    /// once its batch had been delivered (and left the spool), the next
    /// start went back to the older committed offset and sent the batch's
    /// frames again under a new number.
    #[test]
    fn a_pending_position_resolved_at_start_stays_resolved() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("rec.csv");
        std::fs::write(&file, "0123456789ab").expect("write");
        let open = |spooled: u64| reopen(dir.path(), &file, spooled);
        let p = open(0);
        p.prepare(1, &[Mark { file: 0, offset: 4 }]);
        p.commit(&[Mark { file: 0, offset: 4 }]);
        p.prepare(
            2,
            &[Mark {
                file: 0,
                offset: 10,
            }],
        );
        // Killed before the commit; batch 2 is in the spool at the restart,
        // which reads nothing more (the file is at its end)...
        assert_eq!(open(2).resume(0), 10);
        // ...and batch 2 is delivered and leaves the spool.
        assert_eq!(open(0).resume(0), 10);
    }

    #[test]
    fn a_clock_base_is_kept_across_restarts_until_the_file_changes() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("rec.beast");
        std::fs::write(&file, "0123456789").expect("write");
        let p = reopen(dir.path(), &file, 0);
        assert_eq!(p.clock_base_us(0), None);
        p.set_clock_base_us(0, 1_698_140_962_119_813);
        p.prepare(3, &[Mark { file: 0, offset: 4 }]);
        p.commit(&[Mark { file: 0, offset: 4 }]);
        let p = reopen(dir.path(), &file, 0);
        assert_eq!(
            (p.resume(0), p.clock_base_us(0)),
            (4, Some(1_698_140_962_119_813))
        );
        std::fs::write(&file, "01").expect("truncate");
        let p = reopen(dir.path(), &file, 0);
        assert_eq!((p.resume(0), p.clock_base_us(0)), (0, None));
    }

    #[test]
    fn records_round_trip_and_garbage_is_refused() {
        let r = Record {
            inode: 42,
            committed: 10,
            pending: Some((7, 12)),
            clock_base_us: None,
        };
        let text = "42 10 7 12 /a path/with spaces.csv\n";
        assert_eq!(Record::parse(text), Some(r));
        let clocked = format!("{text}{CLOCK_BASE} -1698140962119813\n");
        assert_eq!(
            Record::parse(&clocked).and_then(|r| r.clock_base_us),
            Some(-1_698_140_962_119_813)
        );
        assert_eq!(Record::parse("42 10 0 0 /x").map(|r| r.pending), Some(None));
        for bad in ["", "42", "x 1 2 3 /p", "1 2 3"] {
            assert_eq!(Record::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn marks_keep_the_newest_offset_per_file() {
        let mut marks = Vec::new();
        for (file, offset) in [(0, 5), (1, 3), (0, 9), (0, 7)] {
            note(&mut marks, Mark { file, offset });
        }
        assert_eq!(
            marks,
            vec![Mark { file: 0, offset: 9 }, Mark { file: 1, offset: 3 }]
        );
    }
}
