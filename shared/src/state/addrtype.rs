//! Which kind of message an aircraft's data comes from (aircraft.json's
//! `type`), by readsb's rule (readsb v3.14.1642 `track.c`, "update
//! addrtype"), so a DF11 or DF4 between two ADS-B positions does not
//! turn an ADS-B aircraft into `mode_s`:
//!
//! - an accepted position sets the type of its message at once;
//! - any other message takes over only when the current type is older
//!   than 45 s (`TRACK_EXPIRE * 3 / 4`) if its rank is better or equal,
//!   90 s (`TRACK_EXPIRE * 3 / 2`) if worse;
//! - a DF17 that takes over while the aircraft has no valid ADS-B
//!   position sets `mode_s`, not `adsb_icao` ("don't set to ADS-B without
//!   a position");
//! - a type other than `adsb_icao`/`adsb_icao_nt` forgets the ADS-B
//!   version.
//!
//! Ranks (lower is better) follow readsb's `addrtype_t` order with
//! `mode_s` moved to 4.5: after `tisb_icao` (3), before `mlat` (5) and
//! the non-ICAO types (8 to 11).

use super::aircraft::Aircraft;
use crate::decode::AddressKind;

/// readsb's `TRACK_EXPIRE` (`track.h`): data older than this is invalid.
pub(crate) const TRACK_EXPIRE_MS: u64 = 60_000;

/// A better or equal type takes over once the current one is this old.
const BETTER_AFTER_MS: u64 = TRACK_EXPIRE_MS * 3 / 4;

/// A worse type takes over once the current one is this old.
const WORSE_AFTER_MS: u64 = TRACK_EXPIRE_MS * 3 / 2;

/// readsb's rank of an address type, doubled so `mode_s` (4.5) is whole.
fn rank(kind: AddressKind) -> u8 {
    match kind {
        AddressKind::AdsbIcao => 0,
        AddressKind::AdsbIcaoNt => 2,
        AddressKind::AdsrIcao => 4,
        AddressKind::TisbIcao => 6,
        AddressKind::ModeS => 9,
        AddressKind::Mlat => 10,
        AddressKind::AdsbOther => 16,
        AddressKind::AdsrOther => 18,
        AddressKind::TisbTrackfile => 20,
        AddressKind::TisbOther => 22,
    }
}

/// readsb's `ADDR_UNKNOWN` (15): the rank before any message.
const UNKNOWN_RANK: u8 = 30;

/// `true` for the kinds readsb decodes as `SOURCE_ADSB` (DF17, DF18 CF 0
/// and 1); TIS-B and ADS-R have sources of their own.
pub(crate) fn is_adsb_source(kind: AddressKind) -> bool {
    matches!(
        kind,
        AddressKind::AdsbIcao | AddressKind::AdsbIcaoNt | AddressKind::AdsbOther
    )
}

/// Applies the type rule for a message of `kind` and downlink format
/// `df` arriving at `now_ms`, before its fields and position are applied.
pub(crate) fn note_message(ac: &mut Aircraft, kind: AddressKind, df: u8, now_ms: u64) {
    let (new, old) = match ac.kind_updated_ms {
        Some(_) => (rank(kind), rank(ac.address.kind)),
        None => (rank(kind), UNKNOWN_RANK),
    };
    // Before any type, readsb's `addrtype_updated` is 0: any message is
    // older than both limits.
    let age = ac
        .kind_updated_ms
        .map_or(u64::MAX, |t| now_ms.saturating_sub(t));
    let takes_over = (new <= old && age > BETTER_AFTER_MS) || (new > old && age > WORSE_AFTER_MS);
    if !takes_over {
        return;
    }
    if kind == AddressKind::AdsbIcao && !has_adsb_position(ac, now_ms) {
        if df == 17 {
            set(ac, AddressKind::ModeS, now_ms);
        }
    } else {
        set(ac, kind, now_ms);
    }
    if !matches!(
        ac.address.kind,
        AddressKind::AdsbIcao | AddressKind::AdsbIcaoNt
    ) {
        ac.fields.version = None;
    }
}

/// An accepted position sets the type of its message ("we use the type
/// from the accepted position").
pub(crate) fn note_position(ac: &mut Aircraft, kind: AddressKind, now_ms: u64) {
    set(ac, kind, now_ms);
    ac.position_kind = Some(kind);
}

fn set(ac: &mut Aircraft, kind: AddressKind, now_ms: u64) {
    ac.address.kind = kind;
    ac.kind_updated_ms = Some(now_ms);
}

/// readsb's `position_valid.source == SOURCE_ADSB`: a position from an
/// ADS-B message no older than `TRACK_EXPIRE`.
fn has_adsb_position(ac: &Aircraft, now_ms: u64) -> bool {
    ac.position_kind.is_some_and(is_adsb_source)
        && ac
            .position()
            .is_some_and(|(_, t)| now_ms.saturating_sub(t) <= TRACK_EXPIRE_MS)
}

#[cfg(test)]
mod tests {
    //! Expected types from readsb's rule as written in `track.c`, not from
    //! our output.

    use crate::Frame;
    use crate::cpr::Position;
    use crate::decode::{DecodeOptions, decode};
    use crate::encode::{df11, df17, df18, me};
    use crate::state::{Tracker, TrackerOptions};

    const ICAO: u32 = 0x4840D6;
    const SITE: Position = Position {
        lat: 52.3,
        lon: 4.76,
    };

    fn tracker() -> Tracker {
        Tracker::new(TrackerOptions {
            receiver: Some(SITE),
            ..TrackerOptions::default()
        })
    }

    fn send(t: &mut Tracker, frame: Frame, at_ms: u64) {
        let msg = decode(&frame, &DecodeOptions::default()).expect("decodes");
        t.update(&msg, at_ms, Some(-20.0)).expect("applied");
    }

    fn kind(t: &Tracker) -> &'static str {
        t.get(ICAO, false)
            .expect("tracked")
            .address
            .kind
            .readsb_name()
    }

    fn position(second: u64) -> Frame {
        let pos = Position {
            lat: 52.4 + second as f64 * 0.001,
            lon: 4.9,
        };
        df17(
            ICAO,
            5,
            me::airborne_position(11, pos, 35_000, second % 2 == 1),
        )
    }

    #[test]
    fn all_call_replies_between_adsb_positions_keep_adsb_icao() {
        let mut t = tracker();
        for s in 0..60u64 {
            send(&mut t, position(s), 1_000_000 + s * 1000);
            assert_eq!(kind(&t), "adsb_icao", "after the position at {s} s");
            send(&mut t, df11(ICAO, 5, 0), 1_000_000 + s * 1000 + 500);
            assert_eq!(kind(&t), "adsb_icao", "after the DF11 at {s}.5 s");
        }
    }

    #[test]
    fn adsb_without_a_position_is_mode_s() {
        let mut t = tracker();
        send(
            &mut t,
            df17(ICAO, 5, me::identification("A3", "KLM1234")),
            1_000,
        );
        assert_eq!(kind(&t), "mode_s");
    }

    #[test]
    fn a_worse_type_takes_over_only_after_90_s() {
        let mut t = tracker();
        send(&mut t, position(0), 1_000_000);
        send(&mut t, df11(ICAO, 5, 0), 1_090_000);
        assert_eq!(kind(&t), "adsb_icao", "90 s is not more than 90 s");
        send(&mut t, df11(ICAO, 5, 0), 1_090_001);
        assert_eq!(kind(&t), "mode_s");
    }

    #[test]
    fn a_better_type_without_a_position_takes_over_only_after_45_s() {
        let mut t = tracker();
        let ident = || df18(ICAO, 0, me::identification("C1", "TUG1    "));
        send(&mut t, df11(ICAO, 5, 0), 1_000_000);
        assert_eq!(kind(&t), "mode_s");
        send(&mut t, ident(), 1_045_000);
        assert_eq!(kind(&t), "mode_s", "45 s is not more than 45 s");
        send(&mut t, ident(), 1_045_001);
        assert_eq!(kind(&t), "adsb_icao_nt");
    }

    #[test]
    fn a_position_sets_its_type_at_once() {
        let mut t = tracker();
        send(&mut t, df11(ICAO, 5, 0), 1_000_000);
        send(&mut t, position(1), 1_001_000);
        assert_eq!(kind(&t), "adsb_icao");
    }

    #[test]
    fn rssi_is_the_mean_power_of_the_last_eight_messages() {
        let mut t = tracker();
        let rssi = |t: &Tracker| t.get(ICAO, false).expect("tracked").rssi_average();
        send(&mut t, df11(ICAO, 5, 0), 1_000);
        // readsb: fewer than four levels give 10·log10(1.125e-5).
        assert!((rssi(&t) - (-49.488)).abs() < 1e-3, "{}", rssi(&t));
        for i in 0..7 {
            send(&mut t, df11(ICAO, 5, 0), 2_000 + i);
        }
        // Eight messages at −20 dBFS: 10·log10(0.01 + 1.125e-5).
        assert!((rssi(&t) - (-19.995)).abs() < 1e-3, "{}", rssi(&t));
    }
}
