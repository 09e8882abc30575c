//! SQLite storage: the schema and its migrations, one writer thread that
//! commits processed batches in transactions and expires old rows, and
//! read connections and the typed queries ([`queries`]) for the HTTP API:
//! the collector's SQL lives here.
//!
//! Talks to: the processor (sends [`WriteBatch`]es to the writer) and the
//! HTTP layer (runs [`queries`] through [`Reader`]).

mod committed;
mod copy;
#[cfg(test)]
pub(crate) mod fixture;
mod hours;
mod migrate;
pub mod queries;
mod reader;
mod receiver_rows;
mod retention;
mod rows;
mod source;
mod startup;
mod writer;

pub use committed::{CommitFeed, Committed};
pub use copy::{check_restorable, copy_into};
pub use migrate::{SCHEMA_VERSION, open};
pub use reader::{Busy, Reader, SLOT_WAIT, Slot};
pub use retention::{Pruned, Retention};
pub use rows::{
    AircraftRow, CoverageRow, FlightRow, MessageRow, PositionRow, ReceiverMinuteRow, ReceptionRow,
    WriteBatch,
};
pub use source::PositionSource;
pub use startup::{ReceiverSite, Startup};
pub use writer::{Commit, StatusRow, Writer, WriterHandle};
