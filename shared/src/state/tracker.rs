//! All aircraft in view: applies decoded messages, pairs CPR messages into
//! positions, rejects implausible positions, and keeps noise from creating
//! ghost aircraft.
//!
//! Trust: replies whose address comes from the parity (DF0/4/5/16/20/21)
//! are applied only to aircraft whose address was confirmed by a
//! CRC-checked DF11/17/18 within [`TrackerOptions::trust_window_ms`]; any
//! other such reply is refused (`update` returns `None`).
//!
//! Comm-B: a reply that fits both BDS 5,0 and 6,0 is resolved against the
//! aircraft's ground speed, track, airspeeds, heading and altitude before
//! its fields are applied ([`Tracker::resolve`]).
//!
//! Positions: an even/odd pair within 10 s (airborne) or 25 s (surface)
//! decodes globally; otherwise a single message decodes locally against
//! the aircraft's last position or the receiver. Every new position must
//! be reachable from the previous one at a plausible speed and lie within
//! the receiver's range.

use std::collections::HashMap;

use super::aircraft::{Aircraft, PendingCpr};
use super::fields::Fields;
use crate::adsb::{CprRaw, Me, nic_rc};
use crate::altitude::Altitude;
use crate::commb::{Bds, Known};
use crate::cpr::{self, Kind, Position, distance_m};
use crate::decode::{Content, CrcStatus, Message};

/// Tracker settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerOptions {
    /// Receiver position: reference for local and surface decoding, and
    /// centre of the range check.
    pub receiver: Option<Position>,
    /// Positions further than this from the receiver are rejected, metres.
    pub max_range_m: f64,
    /// How long a confirmed address keeps address/parity replies trusted.
    pub trust_window_ms: u64,
    /// Aircraft not heard for this long are dropped by [`Tracker::expire`].
    pub expire_ms: u64,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        Self {
            receiver: None,
            // Radio horizon of an aircraft at FL450 seen from the ground, rounded up.
            max_range_m: 500_000.0,
            trust_window_ms: 60_000,
            expire_ms: 300_000,
        }
    }
}

/// All aircraft, keyed by address (non-ICAO addresses kept apart).
#[derive(Debug, Default)]
pub struct Tracker {
    aircraft: HashMap<u32, Aircraft>,
    options: TrackerOptions,
}

const AIRBORNE_PAIR_MS: u64 = 10_000;
const SURFACE_PAIR_MS: u64 = 25_000;
/// Last positions older than this are not used as a local reference.
const REFERENCE_AGE_MS: u64 = 60_000;

fn key(msg: &Message) -> u32 {
    msg.address.icao | (u32::from(msg.address.kind.is_non_icao()) << 24)
}

impl Tracker {
    /// A tracker with the given options.
    pub fn new(options: TrackerOptions) -> Self {
        Self {
            aircraft: HashMap::new(),
            options,
        }
    }

    /// The options in force.
    pub fn options(&self) -> &TrackerOptions {
        &self.options
    }

    /// Applies one decoded message received at `now_ms` (Unix ms) and
    /// returns what it said, including the position it resolved, if any.
    /// `None` for an address/parity reply from an address not recently
    /// confirmed (not applied). The receiver position of the options is
    /// the CPR reference and range centre.
    pub fn update(&mut self, msg: &Message, now_ms: u64, rssi: Option<f64>) -> Option<Fields> {
        let receiver = self.options.receiver;
        self.update_from(msg, now_ms, rssi, receiver)
    }

    /// Like [`Tracker::update`] for a message heard by a receiver at
    /// `receiver` (a collector tracks many receivers: each message is
    /// resolved and range-checked against the one that heard it).
    pub fn update_from(
        &mut self,
        msg: &Message,
        now_ms: u64,
        rssi: Option<f64>,
        receiver: Option<Position>,
    ) -> Option<Fields> {
        let k = key(msg);
        let trust_window = self.options.trust_window_ms;
        let ac = match msg.crc {
            CrcStatus::AddressParity => match self.aircraft.get_mut(&k) {
                Some(ac) if now_ms.saturating_sub(ac.confirmed_ms) <= trust_window => ac,
                _ => return None,
            },
            CrcStatus::Ok | CrcStatus::Corrected { .. } => {
                let ac = self
                    .aircraft
                    .entry(k)
                    .or_insert_with(|| Aircraft::new(msg.address, now_ms));
                ac.confirmed_ms = now_ms;
                ac.address = msg.address;
                ac
            }
        };
        let msg = &resolve_comm_b(ac, msg);
        if let Some(ft) = reported_altitude(msg) {
            ac.reported_altitude = Some(ft);
        }
        let mut fields = Fields::from_message(msg);
        if let Some(me) = msg.me() {
            position(
                ac,
                me,
                now_ms,
                receiver,
                self.options.max_range_m,
                &mut fields,
            );
        }
        ac.apply(&fields, now_ms);
        if rssi.is_some() {
            ac.rssi = rssi;
        }
        Some(fields)
    }

    /// `msg` with an ambiguous Comm-B register resolved against what the
    /// aircraft is known to be doing; other messages unchanged.
    pub fn resolve(&self, msg: &Message) -> Message {
        match self.aircraft.get(&key(msg)) {
            Some(ac) => resolve_comm_b(ac, msg),
            None => *msg,
        }
    }

    /// The aircraft with this ICAO address (non-ICAO ones: `non_icao = true`).
    pub fn get(&self, icao: u32, non_icao: bool) -> Option<&Aircraft> {
        self.aircraft.get(&(icao | (u32::from(non_icao) << 24)))
    }

    /// Every aircraft.
    pub fn iter(&self) -> impl Iterator<Item = &Aircraft> {
        self.aircraft.values()
    }

    /// Number of aircraft.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// `true` when no aircraft is tracked.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }

    /// Drops aircraft not heard since `expire_ms` and fields older than a minute.
    pub fn expire(&mut self, now_ms: u64) {
        let cutoff = now_ms.saturating_sub(self.options.expire_ms);
        self.aircraft.retain(|_, a| a.last_seen_ms >= cutoff);
        let stale = now_ms.saturating_sub(60_000);
        for a in self.aircraft.values_mut() {
            a.fields.expire(stale, &a.updated);
        }
    }
}

/// `msg` with its Comm-B register resolved against `ac`'s state.
fn resolve_comm_b(ac: &Aircraft, msg: &Message) -> Message {
    let mut msg = *msg;
    if let Content::CommBAltitude { bds, .. } | Content::CommBIdentity { bds, .. } =
        &mut msg.content
        && let Bds::Ambiguous(c) = *bds
    {
        *bds = c.resolve(&known(ac));
    }
    msg
}

/// What `ac` is known to be doing, in the terms of [`Known`].
fn known(ac: &Aircraft) -> Known {
    let f = &ac.fields;
    Known {
        ground_speed: f.gs,
        track: f.track,
        true_airspeed: f.tas.map(f64::from),
        heading: f.mag_heading,
        ias: f.ias.map(f64::from),
        mach: f.mach,
        altitude: ac.reported_altitude.map(f64::from),
    }
}

/// The altitude `msg` carries in feet, whatever its flight status says, as
/// pyModeS keeps it (metric codes, which it does not decode, excluded).
fn reported_altitude(msg: &Message) -> Option<i32> {
    let code = match &msg.content {
        Content::ShortAcas { altitude, .. }
        | Content::LongAcas { altitude, .. }
        | Content::SurveillanceAltitude { altitude, .. }
        | Content::CommBAltitude { altitude, .. } => *altitude,
        Content::ExtendedSquitter {
            me: Me::AirbornePosition(p),
            ..
        } => return p.altitude,
        _ => None,
    };
    match code? {
        Altitude::Feet(ft) => Some(ft),
        Altitude::Metres(_) => None,
    }
}

/// Decodes the position carried by `me`, if any, into `fields`.
fn position(
    ac: &mut Aircraft,
    me: &Me,
    now_ms: u64,
    receiver: Option<Position>,
    max_range_m: f64,
    fields: &mut Fields,
) {
    let (cpr, surface, tc, nic_b) = match me {
        Me::AirbornePosition(p) => (p.cpr, false, p.tc, p.nic_b),
        Me::SurfacePosition(s) => (s.cpr, true, s.tc, false),
        _ => return,
    };
    let pending = PendingCpr {
        cpr,
        at_ms: now_ms,
        surface,
    };
    if cpr.odd {
        ac.odd = Some(pending);
    } else {
        ac.even = Some(pending);
    }
    let Some((pos, global)) = resolve(ac, cpr, surface, now_ms, receiver) else {
        return;
    };
    if !plausible(ac, pos, surface, now_ms, receiver, max_range_m) {
        ac.rejected_positions += 1;
        if global {
            // A bad pair: start pairing again from this message alone.
            if cpr.odd {
                ac.even = None;
            } else {
                ac.odd = None;
            }
        }
        return;
    }
    let version = ac.fields.version.unwrap_or(0);
    let nic = nic_rc(
        tc,
        version,
        ac.fields.nic_a.unwrap_or(false),
        nic_b,
        ac.fields.nic_c.unwrap_or(false),
    );
    ac.position = Some((pos, now_ms));
    fields.lat = Some((pos.lat * 1e6).round() / 1e6);
    fields.lon = Some((pos.lon * 1e6).round() / 1e6);
    fields.nic = Some(nic.nic);
    fields.rc = nic.rc;
}

/// Global decode when a fresh pair exists, else local against a reference.
fn resolve(
    ac: &Aircraft,
    cpr: CprRaw,
    surface: bool,
    now_ms: u64,
    receiver: Option<Position>,
) -> Option<(Position, bool)> {
    let window = if surface {
        SURFACE_PAIR_MS
    } else {
        AIRBORNE_PAIR_MS
    };
    let reference = ac
        .position
        .filter(|(_, at)| now_ms.saturating_sub(*at) <= REFERENCE_AGE_MS)
        .map(|(p, _)| p)
        .or(receiver);
    if let (Some(e), Some(o)) = (ac.even, ac.odd)
        && e.surface == surface
        && o.surface == surface
        && e.at_ms.abs_diff(o.at_ms) <= window
    {
        let decoded = if surface {
            reference.and_then(|r| cpr::surface_global(e.cpr, o.cpr, cpr.odd, r).ok())
        } else {
            cpr::airborne_global(e.cpr, o.cpr, cpr.odd).ok()
        };
        if let Some(p) = decoded {
            return Some((p, true));
        }
    }
    let kind = if surface {
        Kind::Surface
    } else {
        Kind::Airborne
    };
    // Local decoding needs an aircraft position to be safe; the receiver
    // position alone is used only for airborne messages, whose 180 NM
    // ambiguity is beyond any receiver's range.
    let reference = match ac.position {
        Some((p, at)) if now_ms.saturating_sub(at) <= REFERENCE_AGE_MS => p,
        _ if !surface => receiver?,
        _ => return None,
    };
    cpr::local(cpr, reference, kind).ok().map(|p| (p, false))
}

/// Speed and range checks against the previous position and the receiver.
fn plausible(
    ac: &Aircraft,
    pos: Position,
    surface: bool,
    now_ms: u64,
    receiver: Option<Position>,
    max_range_m: f64,
) -> bool {
    if let Some(rx) = receiver
        && distance_m(rx, pos) > max_range_m
    {
        return false;
    }
    let Some((last, at)) = ac.position else {
        return true;
    };
    let elapsed_s = now_ms.saturating_sub(at) as f64 / 1000.0;
    // Reported ground speed with margin, or a generous ceiling when unknown.
    let knots = ac
        .fields
        .gs
        .map(|gs| gs.max(if surface { 50.0 } else { 250.0 }) * 1.5)
        .unwrap_or(if surface { 150.0 } else { 1000.0 });
    let allowed_m = (elapsed_s + 2.0) * knots * 0.514_444 + 500.0;
    distance_m(last, pos) <= allowed_m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{DecodeOptions, decode};
    use crate::frame::Frame;

    fn apply(t: &mut Tracker, hex: &str, unix_s: f64) -> Fields {
        let msg = decode(&Frame::from_hex(hex).unwrap(), &DecodeOptions::default()).unwrap();
        t.update(&msg, (unix_s * 1000.0) as u64, None).unwrap()
    }

    #[test]
    fn comm_b_50_60_ambiguity_is_resolved_with_adsb_ground_speed() {
        // long_flight.csv, 486257 taxiing: a surface position (GS 2 kt, track
        // 47.8125) and a DF4 without altitude, then a DF20 that fits 5,0 and
        // 6,0. pyModeS 3.6.1 PipeDecoder on the same frames -> bds 5,0, roll
        // -0.17578125, GS 2, TAS 2.
        let mut t = Tracker::default();
        apply(&mut t, "8C48625738191058255017DAA2B1", 1698141758.38419);
        apply(&mut t, "21000000E3F95B", 1698141758.918481);
        let f = apply(&mut t, "A1000000FFE00100400401759680", 1698141760.917175);
        assert_eq!(f.roll, Some(-0.18));
        assert_eq!((f.gs, f.tas), (Some(2.0), Some(2)));
        assert_eq!((f.mag_heading, f.ias), (None, None));
    }

    #[test]
    fn comm_b_50_60_ambiguity_uses_the_altitude_of_a_reply_on_the_ground() {
        // long_flight.csv, 398101 taxiing: two surface positions (GS 70 and
        // 67 kt, track 323.4375) and a DF4 saying "on the ground" with an
        // altitude code of 525 ft, then a DF20 that fits 5,0 and 6,0. IAS
        // and Mach derived at 525 ft make 6,0 fit best. pyModeS 3.6.1 PipeDecoder on the same four frames ->
        // bds 6,0, heading 322.91015625, IAS 58, Mach 0.092, baro rate 160.
        let mut t = Tracker::default();
        apply(&mut t, "8C3981013DEF30556D4E16C9E36B", 1698142161.325025);
        apply(&mut t, "210000BD6B81F6", 1698142161.622596);
        apply(&mut t, "8C3981013DBF366525464A71B7D0", 1698142161.797101);
        let f = apply(&mut t, "A10000BDF2D87505E02C003910F1", 1698142162.122668);
        assert_eq!(f.mag_heading, Some(322.91));
        assert_eq!((f.ias, f.mach), (Some(58), Some(0.092)));
        assert_eq!((f.baro_rate, f.geom_rate), (Some(160), Some(0)));
        assert_eq!((f.roll, f.track_rate), (None, None));
    }

    #[test]
    fn comm_b_ambiguity_without_speed_state_stays_unapplied() {
        // long_flight.csv, 38A0DB: a TC 28 squitter confirms the address but
        // says nothing of speed; the DF20 that follows, twice, fits 5,0 and
        // 6,0. Our convention: ambiguous both times, nothing applied.
        // pyModeS 3.6.1 PipeDecoder reports candidates[0] (5,0: roll
        // 0.3515625, track 242.40234375, GS 0) the first time, and the
        // second time scores against the state it stored from that guess.
        let mut t = Tracker::default();
        apply(&mut t, "8C38A0DBE11FAF00000000919CF3", 1698142140.766632);
        for at in [1698142141.507346, 1698142146.01656] {
            let f = apply(&mut t, "A10000BF805AC700200000111B6F", at);
            assert_eq!(
                (f.roll, f.track, f.gs, f.mag_heading),
                (None, None, None, None)
            );
        }
    }
}
