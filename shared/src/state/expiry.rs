//! Expiry on the data's own time. An aircraft's fields and state age
//! against the time of its own latest message, never the caller's wall
//! clock: a back-fill of last year's traffic, or a live feed delivered
//! after a pause, keeps or loses state exactly as it would have live.
//!
//! - On arrival, a message more than [`TrackerOptions::expire_ms`] after
//!   the aircraft's previous one finds the aircraft gone (it starts
//!   afresh, as it would had it been dropped in between), and fields
//!   older than readsb's validities ([`Aircraft::valid_fields`]) are
//!   forgotten before the message's own are merged.
//! - The sweep ([`super::Tracker::expire`]) only bounds memory: it drops
//!   an aircraft quiet for `expire_ms` both in data time (against the
//!   latest message time of any aircraft) and in wall time (since the
//!   first sweep after its latest message), so neither a fast back-fill
//!   nor a slow delivery loses state a later message still needs.
//!
//! [`TrackerOptions::expire_ms`]: super::TrackerOptions::expire_ms

use super::aircraft::Aircraft;

/// Whether a message at `now_ms` (data time) comes more than `expire_ms`
/// after the aircraft's latest one, so the aircraft has expired meanwhile.
pub(super) fn expired_before(ac: &Aircraft, now_ms: u64, expire_ms: u64) -> bool {
    now_ms.saturating_sub(ac.last_seen_ms) > expire_ms
}

/// Forgets the fields no longer valid at `now_ms`, the data time of the
/// message about to be applied (readsb's `updateValidities`, run at
/// that message rather than at the wall clock).
pub(super) fn expire_fields(ac: &mut Aircraft, now_ms: u64) {
    if now_ms > ac.last_seen_ms {
        ac.fields = ac.valid_fields(now_ms);
    }
}

/// The sweep's verdict for one aircraft at wall time `wall_ms`, with
/// `clock_ms` the latest data time of any aircraft: notes when the sweep
/// first saw its latest message, and returns whether to keep it.
pub(super) fn keep(ac: &mut Aircraft, clock_ms: u64, wall_ms: u64, expire_ms: u64) -> bool {
    if ac.swept_messages != ac.messages {
        ac.swept_messages = ac.messages;
        ac.heard_wall_ms = wall_ms;
    }
    let data_quiet = clock_ms.saturating_sub(ac.last_seen_ms) > expire_ms;
    let wall_quiet = wall_ms.saturating_sub(ac.heard_wall_ms) > expire_ms;
    !(data_quiet && wall_quiet)
}

#[cfg(test)]
mod tests {
    use super::super::{Tracker, TrackerOptions};
    use crate::decode::{DecodeOptions, Message, decode};
    use crate::encode::{df11, df17, me};

    const A: u32 = 0x4840D6;
    const B: u32 = 0x3C6586;
    /// 14 Nov 2023: the data of a back-fill, years before the wall clock.
    const T0: u64 = 1_700_000_000_000;
    /// Three years later: the wall clock of that back-fill.
    const WALL: u64 = T0 + 3 * 365 * 86_400_000;

    fn all_call(icao: u32) -> Message {
        decode(&df11(icao, 5, 0), &DecodeOptions::default()).expect("decodes")
    }

    fn velocity(icao: u32) -> Message {
        let me = me::velocity(450.0, 90.0, 0, true, None);
        decode(&df17(icao, 5, me), &DecodeOptions::default()).expect("decodes")
    }

    #[test]
    fn a_message_after_the_expiry_time_of_data_finds_the_aircraft_gone() {
        let mut t = Tracker::new(TrackerOptions::default());
        t.update(&all_call(A), T0, None);
        t.update(&all_call(A), T0 + 300_000, None);
        let kept = t.get(A, false).map(|a| (a.first_seen_ms, a.messages));
        assert_eq!(kept, Some((T0, 2)), "300 s quiet: still there");
        t.update(&all_call(A), T0 + 600_001, None);
        let fresh = t.get(A, false).map(|a| (a.first_seen_ms, a.messages));
        assert_eq!(fresh, Some((T0 + 600_001, 1)), "300.001 s quiet: afresh");
    }

    /// Regression: fields were expired only by the sweep at the wall
    /// clock, so a back-fill kept or lost them by how fast it ran.
    #[test]
    fn fields_expire_against_the_next_messages_data_time_without_a_sweep() {
        let mut t = Tracker::new(TrackerOptions::default());
        t.update(&velocity(A), T0, None);
        t.update(&all_call(A), T0 + 60_000, None);
        assert_eq!(t.get(A, false).and_then(|a| a.fields.gs), Some(450.0));
        t.update(&all_call(A), T0 + 60_001, None);
        assert_eq!(t.get(A, false).and_then(|a| a.fields.gs), None);
    }

    /// Regression: the sweep dropped every aircraft whose data time was
    /// more than `expire_ms` behind the wall clock, i.e. all of a back-fill.
    #[test]
    fn the_sweep_drops_only_aircraft_quiet_in_data_and_in_wall_time() {
        let mut t = Tracker::new(TrackerOptions::default());
        t.update(&all_call(A), T0, None);
        t.update(&all_call(B), T0 + 400_000, None);
        t.expire(WALL);
        assert_eq!(t.len(), 2, "both heard at this sweep, wall time");
        t.expire(WALL + 300_000);
        assert_eq!(t.len(), 2, "300 s of wall time is not yet quiet");
        t.expire(WALL + 300_001);
        assert!(t.get(A, false).is_none(), "quiet in both: dropped");
        assert!(t.get(B, false).is_some(), "B is the data's latest");
    }
}
