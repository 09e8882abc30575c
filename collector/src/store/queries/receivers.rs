//! Receivers: the list with totals, recent frames and range; one
//! receiver's coverage (furthest range per bearing sector) and its counts
//! over time (per minute, per hour once rolled up).

use rusqlite::{Connection, OptionalExtension, params};

use super::MinuteRange;

/// A receiver with its totals.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverSummary {
    /// Receiver id.
    pub id: String,
    /// First batch or status, Unix ms.
    pub first_seen_ms: i64,
    /// Latest batch or status, Unix ms.
    pub last_seen_ms: i64,
    /// Its last status said online.
    pub online: bool,
    /// Position, when the agent reported one.
    pub lat: Option<f64>,
    /// Position, when the agent reported one.
    pub lon: Option<f64>,
    /// Agent version, when reported.
    pub version: Option<String>,
    /// Frames ever received.
    pub frames: i64,
    /// Batches ever applied.
    pub batches: i64,
    /// Frames received in the minutes asked for (0 when none).
    pub recent_frames: i64,
    /// Furthest range in any sector, metres.
    pub range_m: Option<f64>,
}

/// Every receiver in id order, with its frames in `recent`.
pub fn receivers(c: &Connection, recent: MinuteRange) -> anyhow::Result<Vec<ReceiverSummary>> {
    let mut st = c.prepare_cached(
        "SELECT r.id, r.first_seen_ms, r.last_seen_ms, r.online, r.lat, r.lon, r.version, r.frames, r.batches,
           (SELECT sum(frames) FROM receiver_minutes m WHERE m.receiver = r.id AND m.minute >= ?1 AND m.minute < ?2),
           (SELECT max(max_range_m) FROM receiver_coverage v WHERE v.receiver = r.id)
         FROM receivers r ORDER BY r.id",
    )?;
    let rows = st
        .query_map(params![recent.from, recent.to], |r| {
            Ok(ReceiverSummary {
                id: r.get(0)?,
                first_seen_ms: r.get(1)?,
                last_seen_ms: r.get(2)?,
                online: r.get::<_, i64>(3)? != 0,
                lat: r.get(4)?,
                lon: r.get(5)?,
                version: r.get(6)?,
                frames: r.get(7)?,
                batches: r.get(8)?,
                recent_frames: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
                range_m: r.get(10)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether a receiver with this id ever sent a batch or a status.
pub fn receiver_exists(c: &Connection, id: &str) -> anyhow::Result<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM receivers WHERE id = ?1")?
        .query_row(params![id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The furthest range heard in one bearing sector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageSector {
    /// Sector index: bearing / `process::SECTOR_DEGREES`.
    pub sector: i64,
    /// Range, metres.
    pub max_range_m: f64,
}

/// A receiver's sectors with a range (those never reached are absent).
pub fn coverage(c: &Connection, receiver: &str) -> anyhow::Result<Vec<CoverageSector>> {
    let mut st =
        c.prepare_cached("SELECT sector, max_range_m FROM receiver_coverage WHERE receiver = ?1")?;
    let rows = st
        .query_map(params![receiver], |r| {
            Ok(CoverageSector {
                sector: r.get(0)?,
                max_range_m: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A receiver's counts over one minute, or one hour once rolled up.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverInterval {
    /// First minute (Unix time / 60).
    pub minute: i64,
    /// Minutes covered: 1, or 60 for a rolled-up hour.
    pub span_minutes: i64,
    /// Frames received.
    pub frames: i64,
    /// Frames decoded and trusted.
    pub accepted: i64,
    /// Frames that failed to decode or were not trusted.
    pub rejected: i64,
    /// Positions decoded.
    pub positions: i64,
    /// Most distinct aircraft heard in a minute.
    pub aircraft: i64,
    /// Furthest aircraft heard, metres.
    pub max_range_m: Option<f64>,
    /// Frames per signal band (see `process::SIGNAL_BANDS_DBFS`).
    pub signal: [i64; 6],
}

/// A receiver's intervals starting after minute `after`, oldest first.
pub fn intervals(
    c: &Connection,
    receiver: &str,
    after: i64,
) -> anyhow::Result<Vec<ReceiverInterval>> {
    let mut st = c.prepare_cached(
        "SELECT minute, frames, accepted, rejected, positions, aircraft, max_range_m,
                sig_0, sig_1, sig_2, sig_3, sig_4, sig_5, span_minutes
         FROM receiver_minutes WHERE receiver = ?1 AND minute > ?2 ORDER BY minute",
    )?;
    let rows = st
        .query_map(params![receiver, after], |r| {
            Ok(ReceiverInterval {
                minute: r.get(0)?,
                frames: r.get(1)?,
                accepted: r.get(2)?,
                rejected: r.get(3)?,
                positions: r.get(4)?,
                aircraft: r.get(5)?,
                max_range_m: r.get(6)?,
                signal: [
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                ],
                span_minutes: r.get(13)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn receivers_list_with_status_totals_and_recent_frames() {
        let (_dir, c, f) = super::super::filled().await;
        let around = MinuteRange {
            from: f.minute(),
            to: f.minute() + 1,
        };
        let rows = receivers(&c, around).unwrap();
        assert_eq!(
            rows[0],
            ReceiverSummary {
                id: "rx-a".into(),
                first_seen_ms: f.base,
                last_seen_ms: f.base,
                online: true,
                lat: Some(52.0),
                lon: Some(4.5),
                version: Some("1.2.3".into()),
                frames: 10,
                batches: 1,
                recent_frames: 120,
                range_m: Some(20_000.6),
            }
        );
        assert_eq!(
            rows[1],
            ReceiverSummary {
                id: "rx-b".into(),
                first_seen_ms: f.base + 5_000,
                last_seen_ms: f.base + 5_000,
                online: false,
                lat: None,
                lon: None,
                version: None,
                frames: 1,
                batches: 1,
                recent_frames: 0,
                range_m: None,
            }
        );
        assert_eq!(rows.len(), 2);
        // The range excludes its end.
        let before = MinuteRange {
            from: f.minute() - 5,
            to: f.minute(),
        };
        assert_eq!(receivers(&c, before).unwrap()[0].recent_frames, 0);
    }

    #[tokio::test]
    async fn only_known_receivers_exist() {
        let (_dir, c, _) = super::super::filled().await;
        assert!(receiver_exists(&c, "rx-a").unwrap());
        assert!(receiver_exists(&c, "rx-b").unwrap());
        assert!(!receiver_exists(&c, "rx-c").unwrap());
    }

    #[tokio::test]
    async fn coverage_holds_the_sectors_reached() {
        let (_dir, c, _) = super::super::filled().await;
        let mut sectors = coverage(&c, "rx-a").unwrap();
        sectors.sort_by_key(|s| s.sector);
        let at = |sector, max_range_m| CoverageSector {
            sector,
            max_range_m,
        };
        assert_eq!(sectors, [at(3, 10_000.4), at(35, 20_000.6)]);
        assert_eq!(coverage(&c, "rx-b").unwrap(), []);
    }

    #[tokio::test]
    async fn intervals_start_after_the_minute_given() {
        let (_dir, c, f) = super::super::filled().await;
        let expected = ReceiverInterval {
            minute: f.minute(),
            span_minutes: 1,
            frames: 120,
            accepted: 100,
            rejected: 20,
            positions: 5,
            aircraft: 2,
            max_range_m: Some(20_000.6),
            signal: [1, 2, 3, 4, 5, 6],
        };
        assert_eq!(intervals(&c, "rx-a", f.minute() - 1).unwrap(), [expected]);
        assert_eq!(intervals(&c, "rx-a", f.minute()).unwrap(), []);
        assert_eq!(intervals(&c, "rx-b", 0).unwrap(), []);
    }
}
