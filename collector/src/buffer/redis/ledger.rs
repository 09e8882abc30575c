//! The writer's copy of what Redis may still hold unprocessed. A batch is
//! acknowledged to the broker once Redis has it; a Redis that restarts
//! without persistence (or loses its disk) comes back empty, and whatever
//! the processor had not read yet would be gone, with the agents long
//! past re-sending it. So the writer keeps the newest batches it added,
//! as many as the stream's backlog (the processor deletes entries once
//! stored, so the stream length is what is left to do), within a byte
//! bound; when Redis reports a new `run_id` it adds them again. Batches
//! that were processed after all are recognised by receiver and sequence
//! and applied once.

use std::collections::VecDeque;
use std::sync::Arc;

/// One batch as it was added.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Receiver id.
    pub receiver: String,
    /// Batch sequence number.
    pub seq: u64,
    /// The encoded batch.
    pub payload: Arc<Vec<u8>>,
}

/// The newest batches added, oldest first.
#[derive(Debug)]
pub struct Ledger {
    kept: VecDeque<Kept>,
    bytes: usize,
    max_bytes: usize,
    run_id: Option<String>,
}

impl Ledger {
    /// A ledger holding at most `max_bytes` of payload.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            kept: VecDeque::new(),
            bytes: 0,
            max_bytes,
            run_id: None,
        }
    }

    /// Records a batch Redis accepted.
    pub fn record(&mut self, kept: Kept) {
        self.bytes += kept.payload.len();
        self.kept.push_back(kept);
        while self.bytes > self.max_bytes {
            let Some(old) = self.kept.pop_front() else {
                break;
            };
            self.bytes -= old.payload.len();
        }
    }

    /// Keeps only the newest `backlog` batches: the stream holds no more
    /// unprocessed entries than that.
    pub fn trim_to(&mut self, backlog: usize) {
        while self.kept.len() > backlog {
            let Some(old) = self.kept.pop_front() else {
                break;
            };
            self.bytes -= old.payload.len();
        }
    }

    /// Notes the Redis server's `run_id`; true when it changed since the
    /// last one seen (Redis restarted: [`Ledger::kept`] must be added again).
    pub fn restarted(&mut self, run_id: &str) -> bool {
        let changed = self.run_id.as_deref().is_some_and(|old| old != run_id);
        self.run_id = Some(run_id.to_string());
        changed
    }

    /// The batches kept, oldest first.
    pub fn kept(&self) -> Vec<Kept> {
        self.kept.iter().cloned().collect()
    }

    /// Batches kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(seq: u64, len: usize) -> Kept {
        Kept {
            receiver: "rx".into(),
            seq,
            payload: Arc::new(vec![0; len]),
        }
    }

    #[test]
    fn keeps_the_backlog_within_its_byte_bound() {
        let mut l = Ledger::new(100);
        for seq in 1..=5 {
            l.record(kept(seq, 30));
        }
        let seqs = |l: &Ledger| l.kept().iter().map(|k| k.seq).collect::<Vec<_>>();
        assert_eq!(seqs(&l), [3, 4, 5], "90 bytes of the newest");
        l.trim_to(1);
        assert_eq!(seqs(&l), [5]);
        l.trim_to(10);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn a_new_run_id_is_a_restart_the_first_is_not() {
        let mut l = Ledger::new(10);
        assert!(!l.restarted("a"));
        assert!(!l.restarted("a"));
        assert!(l.restarted("b"));
        assert!(!l.restarted("b"));
    }
}
