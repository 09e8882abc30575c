//! The read side of the store: typed queries for the HTTP API. Each takes
//! a read connection (what [`Reader::query`](super::Reader::query) hands
//! out) and a selection, and returns row structs; the SQL, and the indexes
//! it is written to use, stay here.

mod flights;
mod positions;
mod receivers;
mod select;
mod totals;
mod track;

pub use flights::{FlightFilter, FlightSummary, flights};
pub use positions::{
    PositionFilter, PositionRecord, RECORD_COLUMNS, for_each_position, positions, record,
};
pub use receivers::{
    CoverageSector, ReceiverInterval, ReceiverSummary, coverage, intervals, receiver_exists,
    receivers,
};
pub use select::{Area, MinuteRange, Page, TimeWindow};
pub use totals::{Totals, totals};
pub use track::{TrackPoint, track};

/// A database filled by [`fixture::fill`](super::fixture::fill) and a
/// connection to it, for the queries' tests.
#[cfg(test)]
async fn filled() -> (
    tempfile::TempDir,
    rusqlite::Connection,
    super::fixture::Fixture,
) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("db.sqlite");
    let f = super::fixture::fill(&path).await;
    let conn = super::open(&path).expect("open");
    (dir, conn, f)
}
