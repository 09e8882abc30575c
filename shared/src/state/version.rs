//! ADS-B version 0 as readsb assumes it (readsb v3.14.1642 `track.c`,
//! "assume version 0 until we see something else"): an ADS-B message
//! from an aircraft whose version is unknown makes it version 0, and
//! while it is version 0 its NACp and SIL come from the position message
//! type (ED-102A tables N-7 and N-8, readsb's `compute_v0_nacp` and
//! `compute_v0_sil`), with SIL type `unknown`.
//!
//! Only ADS-B messages (DF17, DF18 CF 0/1) are handled: readsb keeps the
//! TIS-B and ADS-R versions apart and does not print them.

use super::addrtype::is_adsb_source;
use super::aircraft::Aircraft;
use super::fields::Fields;
use crate::decode::Message;

/// NACp of a version 0 message type (ED-102A table N-7).
fn v0_nac_p(tc: u8) -> Option<u8> {
    Some(match tc {
        0 | 8 | 18 | 22 => 0,
        5 | 9 | 20 => 11,
        6 | 10 | 21 => 10,
        7 | 11 => 8,
        12 => 7,
        13 => 6,
        14 => 5,
        15 => 4,
        16 | 17 => 1,
        _ => return None,
    })
}

/// SIL of a version 0 message type (ED-102A table N-8).
fn v0_sil(tc: u8) -> Option<u8> {
    match tc {
        0 | 18 | 22 => Some(0),
        5..=17 | 20 | 21 => Some(2),
        _ => None,
    }
}

/// Adds to `fields` (what `msg` says) the version readsb assumes and the
/// NACp/SIL it derives for version 0.
pub(crate) fn assume_v0(ac: &Aircraft, msg: &Message, fields: &mut Fields) {
    if !is_adsb_source(msg.address.kind) {
        return;
    }
    let Some(tc) = msg.frame.as_bytes().get(4).map(|b| b >> 3) else {
        return;
    };
    if fields.version.is_none() && ac.fields.version.is_none() {
        fields.version = Some(0);
    }
    if fields.version.or(ac.fields.version) != Some(0) {
        return;
    }
    if fields.nac_p.is_none() {
        fields.nac_p = v0_nac_p(tc);
    }
    if fields.sil_type.is_none()
        && let Some(sil) = v0_sil(tc)
    {
        fields.sil = Some(sil);
        // A known SIL type is not replaced by "unknown".
        if ac.fields.sil_type.is_none() {
            fields.sil_type = Some("unknown");
        }
    }
}

#[cfg(test)]
mod tests {
    //! Expected values from readsb's tables and rules, and from readsb's
    //! own aircraft.json for a simulated version 0 aircraft (TC 11:
    //! version 0, nac_p 8, sil 2, sil_type "unknown").

    use crate::cpr::Position;
    use crate::decode::{DecodeOptions, decode};
    use crate::encode::{df11, df17, me};
    use crate::state::{Fields, Tracker, TrackerOptions};

    const ICAO: u32 = 0x35735B;

    fn send(t: &mut Tracker, frame: crate::Frame, at_ms: u64) {
        let msg = decode(&frame, &DecodeOptions::default()).expect("decodes");
        t.update(&msg, at_ms, None).expect("applied");
    }

    fn fields(t: &Tracker) -> Fields {
        t.get(ICAO, false).expect("tracked").fields.clone()
    }

    fn position(tc: u8) -> crate::Frame {
        let pos = Position {
            lat: 51.2,
            lon: 4.9,
        };
        df17(ICAO, 5, me::airborne_position(tc, pos, 4_000, false))
    }

    fn tracker() -> Tracker {
        Tracker::new(TrackerOptions {
            receiver: Some(Position {
                lat: 52.3,
                lon: 4.76,
            }),
            ..TrackerOptions::default()
        })
    }

    #[test]
    fn an_adsb_aircraft_without_operational_status_is_version_0() {
        let mut t = tracker();
        send(&mut t, position(11), 1_000);
        let f = fields(&t);
        assert_eq!((f.version, f.nac_p, f.sil), (Some(0), Some(8), Some(2)));
        assert_eq!(f.sil_type, Some("unknown"));
    }

    #[test]
    fn operational_status_replaces_the_assumed_version_and_is_kept() {
        let mut t = tracker();
        send(&mut t, position(13), 1_000);
        assert_eq!(fields(&t).nac_p, Some(6));
        send(
            &mut t,
            df17(ICAO, 5, me::operational_status(false, 2, true, 9, 3)),
            2_000,
        );
        send(&mut t, position(13), 3_000);
        let f = fields(&t);
        assert_eq!((f.version, f.nac_p, f.sil), (Some(2), Some(9), Some(3)));
        assert_eq!(f.sil_type, Some("perhour"));
    }

    #[test]
    fn mode_s_replies_do_not_make_a_version() {
        let mut t = tracker();
        send(&mut t, df11(ICAO, 5, 0), 1_000);
        assert_eq!(fields(&t).version, None);
    }

    #[test]
    fn gva_comes_only_from_version_2_operational_status() {
        let mut t = tracker();
        send(
            &mut t,
            df17(ICAO, 5, me::operational_status(false, 1, true, 9, 3)),
            1_000,
        );
        assert_eq!((fields(&t).version, fields(&t).gva), (Some(1), None));
        send(
            &mut t,
            df17(ICAO, 5, me::operational_status(false, 2, true, 9, 3)),
            2_000,
        );
        assert_eq!((fields(&t).version, fields(&t).gva), (Some(2), Some(2)));
    }
}
