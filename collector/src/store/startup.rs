//! What the processor needs from the store when the collector starts.

use std::collections::HashMap;

use cloudradar_shared::cpr::Position;
use rusqlite::Connection;

/// The store's state the processor resumes from.
#[derive(Debug, Default)]
pub struct Startup {
    /// The highest message id stored.
    pub last_message_id: i64,
    /// Each receiver's last known position.
    pub receiver_positions: HashMap<String, ReceiverSite>,
    /// Each receiver's newest applied batches: what a restart may read
    /// again from Redis (entries committed but not yet acknowledged there).
    pub recently_applied: Vec<(String, u64)>,
}

/// Batches per receiver in [`Startup::recently_applied`].
const APPLIED_PER_RECEIVER: i64 = 1_000;

impl Startup {
    /// Reads it from the database.
    pub fn read(conn: &Connection) -> anyhow::Result<Self> {
        Ok(Self {
            last_message_id: conn.query_row(
                "SELECT coalesce(max(id), 0) FROM messages",
                [],
                |r| r.get(0),
            )?,
            receiver_positions: receiver_positions(conn)?,
            recently_applied: recently_applied(conn)?,
        })
    }
}

fn recently_applied(conn: &Connection) -> anyhow::Result<Vec<(String, u64)>> {
    let receivers: Vec<String> = conn
        .prepare("SELECT id FROM receivers")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut st = conn.prepare(
        "SELECT seq FROM applied_batches WHERE receiver = ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let mut out = Vec::new();
    for receiver in receivers {
        let seqs = st.query_map(rusqlite::params![receiver, APPLIED_PER_RECEIVER], |r| {
            r.get::<_, i64>(0)
        })?;
        for seq in seqs {
            out.push((receiver.clone(), seq? as u64));
        }
    }
    Ok(out)
}

/// Where a receiver is, from its status.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReceiverSite {
    /// The antenna's position, the reference for CPR decoding.
    pub position: Position,
    /// Its height above the WGS84 ellipsoid, metres, if reported.
    pub alt_m: Option<f64>,
}

fn receiver_positions(conn: &Connection) -> anyhow::Result<HashMap<String, ReceiverSite>> {
    let mut st = conn.prepare(
        "SELECT id, lat, lon, alt_m FROM receivers WHERE lat IS NOT NULL AND lon IS NOT NULL",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            ReceiverSite {
                position: Position {
                    lat: r.get(1)?,
                    lon: r.get(2)?,
                },
                alt_m: r.get(3)?,
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
