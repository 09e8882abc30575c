//! Outputs: per receiver, TCP servers speaking Beast (like readsb on
//! 30005) and AVR (like 30002), so agents and third-party tools connect to
//! the simulator exactly as to a real receiver.

mod server;

pub use server::{StreamServer, WireFormat};
