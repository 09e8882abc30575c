//! The messages the archive's spool saw last, by id. A reception's message
//! is committed with it or shortly before (within the de-duplication
//! window), and ids are handed out in order, so a ring indexed by id
//! answers nearly every lookup; a newer message overwrites the one
//! [`SLOTS`] ids older.

use super::messages::Message;

/// Messages kept: at 100,000 messages/s, the last 2.6 s.
pub const SLOTS: usize = 1 << 18;

/// The ring.
#[derive(Debug)]
pub struct Recent {
    slots: Vec<Option<Message>>,
}

impl Default for Recent {
    fn default() -> Self {
        Self::with_slots(SLOTS)
    }
}

impl Recent {
    /// A ring of `n` slots (a power of two).
    pub fn with_slots(n: usize) -> Self {
        assert!(n.is_power_of_two(), "slots must be a power of two");
        Self {
            slots: vec![None; n],
        }
    }

    fn slot(&self, id: i64) -> usize {
        (id as u64 as usize) & (self.slots.len() - 1)
    }

    /// Keeps `m`.
    pub fn add(&mut self, m: Message) {
        let i = self.slot(m.id);
        self.slots[i] = Some(m);
    }

    /// Message `id`, if it is still kept.
    pub fn get(&self, id: i64) -> Option<Message> {
        self.slots[self.slot(id)].filter(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_kept_until_one_a_ring_newer_takes_its_slot() {
        let mut r = Recent::with_slots(4);
        for id in 1..=4 {
            r.add(Message::new(id, id * 10, None, 17, &[id as u8; 7]));
        }
        assert_eq!(r.get(2).map(|m| m.time_ms), Some(20));
        r.add(Message::new(6, 60, None, 17, &[6; 7]));
        assert_eq!(r.get(2), None, "id 6 took id 2's slot");
        assert_eq!(r.get(6).map(|m| m.raw().len()), Some(7));
        assert_eq!(r.get(5), None, "never seen");
        assert_eq!(r.get(-3), None, "no id is negative, but no panic");
    }
}
