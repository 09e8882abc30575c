//! Reduce mode (like readsb's `--net-beast-reduce`): keeps every frame that
//! tells something new about an aircraft's identity or status, and thins
//! the high-rate repetitive ones to at most one per `reduce_interval_ms`
//! per aircraft and kind. Off (0) by default: full rate keeps everything,
//! as multilateration needs.
//!
//! Always kept:
//! - DF17/18 identification and category (TC 1–4), and TC 0;
//! - DF17/18 aircraft status / emergency (TC 28), target state (TC 29) and
//!   operational status (TC 31) whose ME field differs from the last one
//!   of that type code kept for the address;
//! - DF0/4/16/20 whose altitude, and DF5/21 whose squawk, differs from the
//!   last one kept for that address;
//! - Comm-B identification (BDS 2,0) and resolution advisories (BDS 3,0);
//! - DF24 and anything else not listed below.
//!
//! Thinned to one per interval (when unchanged, for the kinds above):
//! - DF17/18 airborne position (TC 9–18, 20–22) and surface position
//!   (TC 5–8), per address and per CPR format (even and odd separately, so
//!   every aircraft keeps the even/odd pairs that global CPR decoding needs);
//! - DF17/18 airborne velocity (TC 19), per address;
//! - DF17/18 TC 28, 29 and 31 repeating the last one kept, and the rest
//!   (TC 23–27, 30: test, surface system status, reserved), per address
//!   and type code;
//! - DF11 all-call replies, per address;
//! - DF0/4/5/16 with an unchanged altitude or squawk, per address and DF;
//! - other Comm-B replies (DF20/21) with an unchanged altitude or squawk,
//!   per address, DF and inferred register.
//!
//! Time is the frame's arrival time (`rx_ms`: the recorded time for CSV
//! replays). A kept frame opens the interval; the first frame of every
//! kind from every aircraft is kept.

use std::collections::HashMap;

use cloudradar_shared::adsb::Me;
use cloudradar_shared::decode::{Content, Message};

/// Entries untouched this long are forgotten (bounds the state under a
/// stream of noise with random address/parity addresses).
const FORGET_MS: u64 = 120_000;

/// What a thinned frame competes with: one is kept per interval per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    AirbornePosition {
        odd: bool,
    },
    SurfacePosition {
        odd: bool,
    },
    Velocity,
    Squitter {
        tc: u8,
    },
    AllCall,
    Surveillance {
        df: u8,
    },
    CommB {
        df: u8,
        register: Option<&'static str>,
    },
}

/// A value whose change is always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Watched {
    /// Of a surveillance or Comm-B reply.
    Altitude,
    /// Of a surveillance or Comm-B reply.
    Squawk,
    /// The ME field of an ADS-B status message of this type code.
    Status { tc: u8 },
}

/// The reducer: per-aircraft state and the count of frames it dropped.
#[derive(Debug)]
pub struct Reducer {
    interval_ms: u64,
    /// (address, slot) → when a frame in it was last kept.
    kept: HashMap<(u32, Slot), u64>,
    /// (address, altitude or squawk) → last kept value, and when.
    values: HashMap<(u32, Watched), (u64, u64)>,
    last_prune_ms: u64,
    /// Frames dropped so far.
    pub dropped: u64,
}

impl Reducer {
    /// A reducer keeping thinned kinds at most once per `interval_ms`.
    pub fn new(interval_ms: u64) -> Self {
        Self {
            interval_ms,
            kept: HashMap::new(),
            values: HashMap::new(),
            last_prune_ms: 0,
            dropped: 0,
        }
    }

    /// Whether to send `m`, which arrived at `rx_ms`.
    pub fn keep(&mut self, m: &Message, rx_ms: u64) -> bool {
        self.prune(rx_ms);
        let icao = m.address.icao;
        let (slot, watched) = match classify(m) {
            Class::Keep => return true,
            Class::Thin(slot) => (slot, None),
            Class::ThinUnchanged(slot, what, value) => (slot, Some((what, value))),
        };
        if let Some((what, value)) = watched {
            let changed = self
                .values
                .get(&(icao, what))
                .is_none_or(|&(last, _)| last != value);
            if changed {
                self.values.insert((icao, what), (value, rx_ms));
                self.kept.insert((icao, slot), rx_ms);
                return true;
            }
        }
        let due = self
            .kept
            .get(&(icao, slot))
            .is_none_or(|&at| rx_ms.abs_diff(at) >= self.interval_ms);
        if due {
            self.kept.insert((icao, slot), rx_ms);
            if let Some((what, value)) = watched {
                self.values.insert((icao, what), (value, rx_ms));
            }
        } else {
            self.dropped += 1;
        }
        due
    }

    fn prune(&mut self, now: u64) {
        if now.abs_diff(self.last_prune_ms) < FORGET_MS {
            return;
        }
        self.last_prune_ms = now;
        self.kept.retain(|_, at| now.abs_diff(*at) < FORGET_MS);
        self.values
            .retain(|_, (_, at)| now.abs_diff(*at) < FORGET_MS);
    }
}

enum Class {
    Keep,
    Thin(Slot),
    /// Thin, unless the watched value changed.
    ThinUnchanged(Slot, Watched, u64),
}

fn classify(m: &Message) -> Class {
    let altitude = |slot, a: Option<cloudradar_shared::altitude::Altitude>| {
        let feet = a.map_or(u64::MAX, |a| a.feet() as u32 as u64);
        Class::ThinUnchanged(slot, Watched::Altitude, feet)
    };
    let squawk = |slot, s: u16| Class::ThinUnchanged(slot, Watched::Squawk, u64::from(s));
    let df = m.df;
    match &m.content {
        Content::ExtendedSquitter { me, .. } => {
            let tc = m.type_code().unwrap_or(0);
            match me {
                Me::AirbornePosition(p) => Class::Thin(Slot::AirbornePosition { odd: p.cpr.odd }),
                Me::SurfacePosition(p) => Class::Thin(Slot::SurfacePosition { odd: p.cpr.odd }),
                Me::Velocity(_) => Class::Thin(Slot::Velocity),
                Me::Identification(_) | Me::NoPosition { .. } => Class::Keep,
                _ if matches!(tc, 28 | 29 | 31) => {
                    // ME = message bytes 4..11 (Annex 10 Vol IV §3.1.2.8.6).
                    let bits = m
                        .frame
                        .as_bytes()
                        .get(4..11)
                        .map_or(0, |b| b.iter().fold(0u64, |v, x| v << 8 | u64::from(*x)));
                    Class::ThinUnchanged(Slot::Squitter { tc }, Watched::Status { tc }, bits)
                }
                _ => Class::Thin(Slot::Squitter { tc }),
            }
        }
        Content::AllCall { .. } => Class::Thin(Slot::AllCall),
        Content::ShortAcas { altitude: a, .. }
        | Content::LongAcas { altitude: a, .. }
        | Content::SurveillanceAltitude { altitude: a, .. } => {
            altitude(Slot::Surveillance { df }, *a)
        }
        Content::SurveillanceIdentity { squawk: s, .. } => squawk(Slot::Surveillance { df }, *s),
        Content::CommBAltitude {
            altitude: a, bds, ..
        } => match bds.name() {
            Some("2,0" | "3,0") => Class::Keep,
            register => altitude(Slot::CommB { df, register }, *a),
        },
        Content::CommBIdentity { squawk: s, bds, .. } => match bds.name() {
            Some("2,0" | "3,0") => Class::Keep,
            register => squawk(Slot::CommB { df, register }, *s),
        },
        _ => Class::Keep,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use cloudradar_shared::decode::{DecodeOptions, decode};
    use cloudradar_shared::format::csv;

    use super::*;

    const LONG_FLIGHT: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/long_flight.csv"
    );

    /// The frames of long_flight.csv that pass the CRC, with their recorded time.
    fn long_flight() -> Vec<(Message, u64)> {
        let text = std::fs::read_to_string(LONG_FLIGHT).unwrap();
        text.lines()
            .filter_map(|l| csv::parse_line(l).ok())
            .filter_map(|(t, rx)| {
                let m = decode(&rx.frame, &DecodeOptions::default()).ok()?;
                Some((m, (t * 1000.0) as u64))
            })
            .collect()
    }

    /// (surface, odd) of a position message.
    fn position_parity(m: &Message) -> Option<(bool, bool)> {
        match m.me()? {
            Me::AirbornePosition(p) => Some((false, p.cpr.odd)),
            Me::SurfacePosition(p) => Some((true, p.cpr.odd)),
            _ => None,
        }
    }

    #[test]
    fn one_second_on_the_long_flight_keeps_aircraft_parities_and_identities() {
        let all = long_flight();
        let mut r = Reducer::new(1_000);
        let kept: Vec<&(Message, u64)> = all.iter().filter(|(m, t)| r.keep(m, *t)).collect();
        assert_eq!(r.dropped as usize, all.len() - kept.len());
        // A large reduction (to a third: Comm-B replies are thinned per
        // inferred register, and with 1,0, 1,7 and 5,0/6,0 resolved there
        // are more registers than when this was under a third)...
        assert!(
            kept.len() * 100 < all.len() * 35,
            "kept {} of {}",
            kept.len(),
            all.len()
        );
        // ...with every aircraft still there.
        let addresses = |v: &mut dyn Iterator<Item = &(Message, u64)>| {
            v.map(|(m, _)| m.address.icao).collect::<HashSet<_>>()
        };
        assert_eq!(
            addresses(&mut all.iter()),
            addresses(&mut kept.iter().copied())
        );
        // Both CPR formats kept for every aircraft that sent both.
        let parities = |v: &mut dyn Iterator<Item = &(Message, u64)>| {
            let mut p: HashMap<(u32, bool), HashSet<bool>> = HashMap::new();
            for (m, _) in v {
                if let Some((surface, odd)) = position_parity(m) {
                    p.entry((m.address.icao, surface)).or_default().insert(odd);
                }
            }
            p
        };
        let sent = parities(&mut all.iter());
        let got = parities(&mut kept.iter().copied());
        assert!(sent.values().filter(|p| p.len() == 2).count() > 5);
        for (key, p) in &sent {
            assert_eq!(got.get(key), Some(p), "{:06x}", key.0);
        }
        // Every identification message kept.
        let ids = |v: &mut dyn Iterator<Item = &(Message, u64)>| {
            v.filter(|(m, _)| matches!(m.type_code(), Some(1..=4)))
                .count()
        };
        let sent_ids = ids(&mut all.iter());
        assert!(sent_ids > 100);
        assert_eq!(ids(&mut kept.iter().copied()), sent_ids);
        // And positions really are thinned: never two of one parity within the interval.
        let mut last: HashMap<(u32, (bool, bool)), u64> = HashMap::new();
        let mut positions = 0;
        for (m, t) in &kept {
            if let Some(kind) = position_parity(m) {
                positions += 1;
                if let Some(prev) = last.insert((m.address.icao, kind), *t) {
                    assert!(t.abs_diff(prev) >= 1_000, "{:06x}", m.address.icao);
                }
            }
        }
        let sent_positions = all
            .iter()
            .filter(|(m, _)| position_parity(m).is_some())
            .count();
        // Aircraft send about one position of each format per second, so one
        // second per format keeps a little over half (6,975 of 12,964 when written).
        assert!(
            positions * 10 < sent_positions * 6,
            "{positions} of {sent_positions}"
        );
    }

    #[test]
    fn a_changed_squawk_altitude_or_status_is_kept_within_the_interval() {
        let all = long_flight();
        let mut r = Reducer::new(60_000);
        let mut last: HashMap<(u32, u8), Vec<u8>> = HashMap::new();
        let mut changes = [0; 3];
        for (m, t) in &all {
            // (what, its value): 0 = altitude, 1 = squawk, else the ADS-B type code.
            let value = match m.content {
                Content::ShortAcas { altitude, .. }
                | Content::LongAcas { altitude, .. }
                | Content::SurveillanceAltitude { altitude, .. }
                | Content::CommBAltitude { altitude, .. } => {
                    Some((0, format!("{:?}", altitude.map(|a| a.feet())).into_bytes()))
                }
                Content::SurveillanceIdentity { squawk, .. }
                | Content::CommBIdentity { squawk, .. } => Some((1, squawk.to_be_bytes().to_vec())),
                Content::ExtendedSquitter { .. } => match m.type_code() {
                    Some(tc @ (28 | 29 | 31)) => Some((tc, m.frame.as_bytes()[4..11].to_vec())),
                    _ => None,
                },
                _ => None,
            };
            let kept = r.keep(m, *t);
            if let Some((what, v)) = value {
                let changed = last.get(&(m.address.icao, what)) != Some(&v);
                last.insert((m.address.icao, what), v);
                if changed {
                    changes[usize::from(what.min(2))] += 1;
                    assert!(kept, "{:06x}: a change of {what} dropped", m.address.icao);
                }
            }
        }
        // The recording has few squawk changes: 11 at the time of writing.
        assert!(
            changes[0] > 100 && changes[1] >= 5 && changes[2] > 100,
            "{changes:?}"
        );
    }

    #[test]
    fn velocities_are_thinned_per_aircraft() {
        let all = long_flight();
        let velocity = |m: &Message| matches!(m.me(), Some(Me::Velocity(_)));
        let mut r = Reducer::new(5_000);
        let mut last: HashMap<u32, u64> = HashMap::new();
        let mut kept = 0;
        for (m, t) in all.iter().filter(|(m, _)| velocity(m)) {
            if r.keep(m, *t) {
                kept += 1;
                if let Some(prev) = last.insert(m.address.icao, *t) {
                    assert!(t.abs_diff(prev) >= 5_000);
                }
            }
        }
        let sent = all.iter().filter(|(m, _)| velocity(m)).count();
        assert!(kept > 0 && kept * 5 < sent, "{kept} of {sent}");
    }
}
