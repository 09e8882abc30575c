//! CloudRadar shared library: everything the agent, collector and simulator
//! must agree on, with no I/O and no async runtime.
//!
//! Module map (the folder tree mirrors it):
//! - [`crc`]: the Mode S CRC-24, syndromes and bit-error correction tables.
//! - [`bits`]: reading bit fields out of a message without panicking.
//! - [`frame`]: a raw Mode S message (56 or 112 bits) as received.
//! - [`altitude`]: the altitude and identity codes several formats share
//!   (below both `decode` and `adsb`, which use them).
//! - [`decode`]: CRC check/correction, addresses and every downlink format.
//! - [`adsb`]: ADS-B ME fields by type code (DF17/18).
//! - [`commb`]: Comm-B register inference and decoding (DF20/21).
//! - [`cpr`]: CPR position decoding (global, local, surface) and encoding.
//! - [`encode`]: bit-exact frames from physical values (for the simulator).
//! - [`format`]: receiver stream formats (Beast, AVR, CSV recordings).
//! - [`state`]: per-aircraft state merged from all messages, with positions.
//! - [`geomag`]: magnetic declination from the World Magnetic Model (WMM2020).
//! - [`wire`]: the versioned, compressed agent → collector batch format and MQTT topics.
//! - [`redact`]: masking secrets (passwords in URLs) in printed configuration and logs.
//! - `settings` (feature `settings`): the binaries' configuration layers
//!   (default, file, environment, flag) and the README tables made from them.
//! - [`mqtt_url`]: the one parser of broker URLs (`mqtt://`, `mqtts://`).
//! - [`time`], [`random`], [`retry`]: the wall clock in Unix ms, the OS
//!   random source, and backoff with jitter between retries.
#![forbid(unsafe_code)]

pub mod adsb;
pub mod altitude;
pub mod bits;
pub mod commb;
pub mod cpr;
pub mod crc;
pub mod decode;
pub mod encode;
pub mod format;
pub mod frame;
pub mod geomag;
pub mod mqtt_url;
pub mod propagation;
pub mod random;
pub mod redact;
pub mod retry;
#[cfg(feature = "settings")]
pub mod settings;
pub mod state;
pub mod time;
pub mod wire;

pub use frame::{Frame, FrameError};
