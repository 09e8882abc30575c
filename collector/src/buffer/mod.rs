//! The buffer between ingest and processing, behind one interface
//! ([`Buffer`]) with two implementations; the processing loop
//! (`pipeline`) takes entries from either, commits them, and
//! reports them done.
//!
//! - [`embedded`]: no Redis configured. The bounded in-memory queue from
//!   ingest is the buffer; a batch is acknowledged to the broker once it
//!   is committed to SQLite.
//! - [`redis`]: Redis Streams. A feeder adds each accepted batch to the
//!   stream (XADD), then acknowledges it to the broker; the processing
//!   loop reads with a consumer group, reports done with XACK after the
//!   commit, and reclaims what a dead consumer left pending.
//!
//! Either way, the agent forgets a batch only when the collector confirms
//! it ([`crate::confirm`]), so a batch a crash takes from the buffer is
//! sent again.

pub mod embedded;
pub mod redis;

use std::future::Future;
use std::time::Duration;

pub use embedded::Embedded;
pub use redis::RedisBuffer;

/// A batch taken from the buffer, to process and commit.
#[derive(Debug)]
pub struct Entry<R> {
    /// The encoded batch.
    pub payload: Vec<u8>,
    /// What reports it done: an MQTT receipt, a stream id.
    pub receipt: R,
}

/// Where accepted batches wait to be processed.
pub trait Buffer: Send {
    /// What reports an entry done.
    type Receipt: Send;

    /// The next entries in order, at most `max`; empty when none came
    /// within about `wait` (the loop does its periodic work then).
    /// Dropping the future loses nothing: an entry taken but never
    /// reported done is taken again after a restart.
    fn take(
        &mut self,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = Vec<Entry<Self::Receipt>>> + Send;

    /// Whether `take` may be called again before what it gave is reported
    /// done (a buffer that would hand the same entries out twice says no).
    fn may_take_ahead(&self) -> bool;

    /// Entries committed, or dropped and counted, in the order they were
    /// taken: the buffer forgets them.
    fn done(&mut self, receipts: Vec<Self::Receipt>) -> impl Future<Output = ()> + Send;
}
