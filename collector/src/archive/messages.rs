//! The messages that an archived part's receptions heard, read as one
//! sequential scan beside the receptions' own scan instead of one lookup
//! per reception.
//!
//! A message is stored when its first reception arrives, and its other
//! receptions follow within the de-duplication horizon, so in rowid order
//! the receptions refer to messages in a narrow band of ids that only
//! moves forward. [`Messages`] reads messages in id order as far as the
//! newest reference and keeps the last [`WINDOW`] of them; a reference
//! behind the window (a part that starts mid-band, a receiver far behind)
//! falls back to a lookup by id.

use std::collections::VecDeque;

use rusqlite::{Connection, OptionalExtension, Rows, Statement, params};

/// Messages kept behind the scan position: at 100,000 frames/s about
/// 10 s of messages, well beyond a batch's spread.
pub const WINDOW: usize = 1 << 20;

/// One message's archived columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Message {
    /// Row id.
    pub id: i64,
    /// Time of its first reception, Unix ms.
    pub time_ms: i64,
    /// Address, if the message has one.
    pub icao: Option<i64>,
    /// Downlink format.
    pub df: i64,
    raw: [u8; 14],
    len: u8,
}

impl Message {
    /// The Mode S bytes (7 or 14).
    pub fn raw(&self) -> &[u8] {
        &self.raw[..self.len as usize]
    }

    /// A message of these columns (bytes past the 14th are not kept: no
    /// Mode S message has them).
    pub fn new(id: i64, time_ms: i64, icao: Option<i64>, df: i64, bytes: &[u8]) -> Self {
        let len = bytes.len().min(14);
        let mut raw = [0u8; 14];
        raw[..len].copy_from_slice(&bytes[..len]);
        Self {
            id,
            time_ms,
            icao,
            df,
            raw,
            len: len as u8,
        }
    }

    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let bytes = r.get_ref(4)?.as_blob()?;
        Ok(Self::new(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, bytes))
    }

    /// Message `id` as stored in `conn`, if it is.
    pub fn look_up(conn: &Connection, id: i64) -> rusqlite::Result<Option<Self>> {
        conn.prepare_cached(LOOKUP)?
            .query_row(params![id], Message::from_row)
            .optional()
    }
}

const COLUMNS: &str = "id, time_ms, icao, df, raw";
const LOOKUP: &str = "SELECT id, time_ms, icao, df, raw FROM messages WHERE id = ?1";

/// Prepared statements for [`Messages`].
pub struct Statements<'c> {
    scan: Statement<'c>,
    lookup: Statement<'c>,
}

impl std::fmt::Debug for Statements<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Statements")
    }
}

impl<'c> Statements<'c> {
    /// Prepares the scan and the lookup on `conn`.
    pub fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Self {
            scan: conn.prepare(&format!(
                "SELECT {COLUMNS} FROM messages WHERE id >= ?1 ORDER BY id"
            ))?,
            lookup: conn.prepare(LOOKUP)?,
        })
    }
}

/// Messages by id, scanned forward with a window behind.
pub struct Messages<'s, 'c> {
    scan: Option<Rows<'s>>,
    lookup: &'s mut Statement<'c>,
    /// In id order.
    window: VecDeque<Message>,
    /// The scan has passed every id below this.
    scanned_to: i64,
    /// The window's length.
    cap: usize,
    /// Lookups behind the window (for tests and profiles).
    pub lookups: u64,
}

impl std::fmt::Debug for Messages<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("window", &self.window.len())
            .field("scanned_to", &self.scanned_to)
            .finish()
    }
}

impl<'s, 'c> Messages<'s, 'c> {
    /// Starts the scan at message `first`.
    pub fn new(st: &'s mut Statements<'c>, first: i64) -> rusqlite::Result<Self> {
        Ok(Self {
            scan: Some(st.scan.query(params![first])?),
            lookup: &mut st.lookup,
            window: VecDeque::new(),
            scanned_to: first,
            cap: WINDOW,
            lookups: 0,
        })
    }

    /// Message `id`, or `None` if it is not (or no longer) stored.
    pub fn get(&mut self, id: i64) -> rusqlite::Result<Option<Message>> {
        if id >= self.scanned_to {
            self.scan_past(id)?;
        }
        if let Some(front) = self.window.front()
            && id >= front.id
        {
            return Ok(self.in_window(id));
        }
        if id >= self.scanned_to {
            return Ok(None); // past the last message
        }
        self.lookups += 1;
        self.lookup
            .query_row(params![id], Message::from_row)
            .optional()
    }

    /// Ids are mostly consecutive: try the offset first, then search.
    fn in_window(&self, id: i64) -> Option<Message> {
        let front = self.window.front()?.id;
        if let Some(m) = self.window.get((id - front) as usize)
            && m.id == id
        {
            return Some(*m);
        }
        let i = self.window.binary_search_by_key(&id, |m| m.id).ok()?;
        Some(self.window[i])
    }

    /// Reads messages until one with an id of at least `id` is in the
    /// window (or the table ends).
    fn scan_past(&mut self, id: i64) -> rusqlite::Result<()> {
        let Some(rows) = self.scan.as_mut() else {
            return Ok(());
        };
        while self.scanned_to <= id {
            let Some(r) = rows.next()? else {
                self.scan = None;
                self.scanned_to = i64::MAX;
                return Ok(());
            };
            let m = Message::from_row(r)?;
            self.scanned_to = m.id + 1;
            if self.window.len() >= self.cap {
                self.window.pop_front();
            }
            self.window.push_back(m);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(ids: &[i64]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,
             icao INTEGER, df INTEGER NOT NULL, raw BLOB NOT NULL)",
        )
        .unwrap();
        for &id in ids {
            conn.execute(
                "INSERT INTO messages VALUES (?1, ?2, ?3, 17, ?4)",
                params![id, id * 10, id + 0x400000, vec![id as u8; 14]],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn forward_backward_and_missing_ids() {
        let conn = db(&[1, 2, 3, 5, 6, 9]);
        let mut st = Statements::prepare(&conn).unwrap();
        let mut m = Messages::new(&mut st, 2).unwrap();
        let got = |m: &mut Messages<'_, '_>, id| m.get(id).unwrap().map(|x| (x.id, x.time_ms));
        assert_eq!(got(&mut m, 3), Some((3, 30)));
        assert_eq!(got(&mut m, 2), Some((2, 20)));
        assert_eq!(got(&mut m, 4), None, "a gap in the ids");
        assert_eq!(got(&mut m, 6), Some((6, 60)));
        assert_eq!(got(&mut m, 5), Some((5, 50)), "behind the offset guess");
        assert_eq!(m.lookups, 0);
        assert_eq!(got(&mut m, 1), Some((1, 10)), "before the scan's start");
        assert_eq!(m.lookups, 1);
        assert_eq!(got(&mut m, 9).map(|x| x.0), Some(9));
        assert_eq!(got(&mut m, 12), None, "past the end");
        let nine = m.get(9).unwrap().unwrap();
        assert_eq!(
            (nine.icao, nine.df, nine.raw()),
            (Some(0x400009), 17, &[9u8; 14][..])
        );
    }

    #[test]
    fn the_window_is_bounded_and_older_ids_are_looked_up() {
        let ids: Vec<i64> = (1..=40).collect();
        let conn = db(&ids);
        let mut st = Statements::prepare(&conn).unwrap();
        let mut m = Messages::new(&mut st, 1).unwrap();
        m.cap = 16;
        assert!(m.get(40).unwrap().is_some());
        assert_eq!(m.window.len(), 16);
        assert_eq!(m.get(25).unwrap().map(|x| x.id), Some(25));
        assert_eq!(m.lookups, 0);
        assert_eq!(m.get(3).unwrap().map(|x| x.id), Some(3));
        assert_eq!(m.lookups, 1);
    }
}
