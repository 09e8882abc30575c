//! The rows a batch adds about its receiver: its counts per minute and
//! the furthest ranges of its coverage.

use rusqlite::{Transaction, params};

use super::rows::WriteBatch;

/// Adds `b`'s minute counts and coverage records (in the writer's
/// transaction `tx`).
pub fn add(tx: &Transaction<'_>, b: &WriteBatch) -> anyhow::Result<()> {
    let mut minute = tx.prepare_cached(
        "INSERT INTO receiver_minutes (receiver, minute, frames, accepted, positions, rejected, aircraft,
           max_range_m, sig_0, sig_1, sig_2, sig_3, sig_4, sig_5)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (receiver, minute) DO UPDATE SET frames = frames + ?3, accepted = accepted + ?4,
           positions = positions + ?5, rejected = rejected + ?6, aircraft = max(aircraft, ?7),
           max_range_m = max(coalesce(max_range_m, ?8), coalesce(?8, max_range_m)),
           sig_0 = sig_0 + ?9, sig_1 = sig_1 + ?10, sig_2 = sig_2 + ?11, sig_3 = sig_3 + ?12,
           sig_4 = sig_4 + ?13, sig_5 = sig_5 + ?14",
    )?;
    for m in &b.minutes {
        let [s0, s1, s2, s3, s4, s5] = m.signal;
        minute.execute(params![
            b.receiver,
            m.minute,
            m.frames,
            m.accepted,
            m.positions,
            m.rejected,
            m.aircraft,
            m.max_range_m,
            s0,
            s1,
            s2,
            s3,
            s4,
            s5
        ])?;
    }
    let mut cover = tx.prepare_cached(
        "INSERT INTO receiver_coverage (receiver, sector, max_range_m, time_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (receiver, sector) DO UPDATE SET max_range_m = ?3, time_ms = ?4 WHERE ?3 > max_range_m",
    )?;
    for c in &b.coverage {
        cover.execute(params![b.receiver, c.sector, c.range_m, c.time_ms])?;
    }
    Ok(())
}
