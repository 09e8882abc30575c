//! The buffer between ingest and processing.
//!
//! - `redis.rs`: Redis Streams (production). Ingest XADDs each accepted
//!   batch, then acknowledges it to the broker; the processor reads with a
//!   consumer group and XACKs only after SQLite committed the batch, and on
//!   start reclaims what a dead consumer left pending (XAUTOCLAIM).
//! - `ledger.rs`: the writer's copy of the stream's unprocessed backlog,
//!   added again when Redis restarts without its data.
//! - Embedded (no Redis configured): the bounded in-memory queue itself is
//!   the buffer and the MQTT acknowledgement waits for the SQLite commit.
//!   Limit: the embedded broker keeps unacknowledged messages in memory, so
//!   a crash of the single collector process loses the batches in flight
//!   (at most `queue_capacity`); agents do not re-send what the broker
//!   already acknowledged to them. Use Redis (and an external broker) where
//!   that matters.

pub mod ledger;
pub mod redis;
