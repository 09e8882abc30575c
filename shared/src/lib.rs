//! CloudRadar shared library: everything the agent, collector and simulator
//! must agree on, with no I/O and no async runtime.
//!
//! Module map (the folder tree mirrors it):
//! - [`crc`]: the Mode S CRC-24, syndromes and bit-error correction tables.
//! - [`bits`]: reading bit fields out of a message without panicking.
//! - [`frame`]: a raw Mode S message (56 or 112 bits) as received.
//! - [`wire`]: the versioned, compressed agent → collector batch format and MQTT topics.
#![forbid(unsafe_code)]

pub mod bits;
pub mod crc;
pub mod frame;
pub mod wire;

pub use frame::{Frame, FrameError};
