//! SQLite storage: the schema and its migrations, one writer thread that
//! commits processed batches in transactions and expires old rows, and
//! read connections for the HTTP API.
//!
//! Talks to: the processor (sends [`WriteBatch`]es to the writer) and the
//! HTTP layer (queries through [`Reader`]).

#[cfg(test)]
pub(crate) mod fixture;
mod migrate;
mod reader;
mod retention;
mod rows;
mod startup;
mod writer;

pub use migrate::{SCHEMA_VERSION, open};
pub use reader::{Busy, Reader, SLOT_WAIT, Slot};
pub use retention::{Pruned, Retention};
pub use rows::{
    AircraftRow, CoverageRow, FlightRow, MessageRow, PositionRow, ReceiverMinuteRow, ReceptionRow,
    WriteBatch,
};
pub use startup::Startup;
pub use writer::{StatusRow, Writer, WriterHandle};
