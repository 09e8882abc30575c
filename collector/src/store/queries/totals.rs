//! Row counts of the main tables, for `/api/v1/stats`.

use rusqlite::Connection;

/// How many rows each table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Frames received (one per receiver hearing a message).
    pub receptions: i64,
    /// Distinct messages.
    pub messages: i64,
    /// Positions.
    pub positions: i64,
    /// Aircraft ever identified.
    pub aircraft: i64,
    /// Flights.
    pub flights: i64,
    /// Batches applied.
    pub batches: i64,
}

fn count(c: &Connection, sql: &str) -> anyhow::Result<i64> {
    Ok(c.prepare_cached(sql)?.query_row([], |r| r.get(0))?)
}

/// Counts every table (each a full count: SQLite keeps no row counts).
pub fn totals(c: &Connection) -> anyhow::Result<Totals> {
    Ok(Totals {
        receptions: count(c, "SELECT count(*) FROM receptions")?,
        messages: count(c, "SELECT count(*) FROM messages")?,
        positions: count(c, "SELECT count(*) FROM positions")?,
        aircraft: count(c, "SELECT count(*) FROM aircraft")?,
        flights: count(c, "SELECT count(*) FROM flights")?,
        batches: count(c, "SELECT count(*) FROM applied_batches")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn totals_count_what_the_writer_committed() {
        let (_dir, c, _) = super::super::filled().await;
        assert_eq!(
            totals(&c).unwrap(),
            Totals {
                receptions: 1,
                messages: 1,
                positions: 3,
                aircraft: 1,
                flights: 2,
                batches: 2,
            }
        );
    }
}
