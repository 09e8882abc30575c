//! Outputs: per receiver, TCP servers speaking Beast (like readsb on
//! 30005) and AVR (like 30002), so agents and third-party tools connect to
//! the simulator exactly as to a real receiver; optionally the same stream
//! on a pseudo-terminal (`serial.rs`), as a serial receiver would send it;
//! or, in fleet mode (`fleet.rs`), as virtual agents publishing batches
//! straight to the collector's MQTT broker.

pub mod fleet;
mod serial;
mod server;

pub use serial::SerialOutput;
pub use server::{StreamServer, WireFormat};
