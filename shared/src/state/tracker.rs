//! All aircraft in view: applies decoded messages, pairs CPR messages into
//! positions, rejects implausible positions, and keeps noise from creating
//! ghost aircraft.
//!
//! Trust: replies whose address comes from the parity (DF0/4/5/16/20/21)
//! are applied only to aircraft whose address was confirmed by a
//! CRC-checked DF11/17/18 within [`TrackerOptions::trust_window_ms`]; any
//! other such reply is refused (`update` returns `None`).
//!
//! Positions: an even/odd pair within 10 s (airborne) or 25 s (surface)
//! decodes globally; otherwise a single message decodes locally against
//! the aircraft's last position or the receiver. Every new position must
//! be reachable from the previous one at a plausible speed and lie within
//! the receiver's range. A surface pair also needs a reference to pick its
//! 90° quadrant: the aircraft's position, the receiver, or, when every
//! message comes from one receiver, any aircraft's latest position.
//!
//! Untimed input ([`Tracker::update_untimed`], e.g. AVR `*hex;` lines):
//! message order is known, time is not. An airborne message decodes
//! locally against the receiver, which is unambiguous within 180 NM
//! (DO-260B §A.1.7.5) and so needs no time; failing that, an even/odd
//! pair of consecutive position messages decodes globally when a nearby
//! anchor vouches for the result, or the message decodes locally against
//! the aircraft's last position. The speed check needs the time between
//! two positions, so it is skipped when either is untimed; the range
//! check still applies.

use std::collections::HashMap;

use super::aircraft::{Aircraft, PendingCpr};
use super::fields::Fields;
use crate::adsb::{CprRaw, Me, nic_rc};
use crate::cpr::{self, Kind, Position, distance_m};
use crate::decode::{CrcStatus, Message};

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
    /// The latest position of any aircraft heard through
    /// [`Tracker::update`]/[`Tracker::update_untimed`] (one receiver).
    area: Option<Position>,
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
            area: None,
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
        self.apply(msg, now_ms, Some(now_ms), rssi, receiver, true)
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
        self.apply(msg, now_ms, Some(now_ms), rssi, receiver, false)
    }

    /// Like [`Tracker::update`] for a message whose input carries no
    /// reception time (AVR `*hex;` lines). `clock_ms` (typically the wall
    /// clock) only dates the fields, for ages, expiry and the trust
    /// window; positions are paired and checked by message order, never
    /// by time (see the module documentation).
    pub fn update_untimed(
        &mut self,
        msg: &Message,
        clock_ms: u64,
        rssi: Option<f64>,
    ) -> Option<Fields> {
        let receiver = self.options.receiver;
        self.apply(msg, clock_ms, None, rssi, receiver, true)
    }

    /// Applies `msg`: `now_ms` dates the fields, `rx_ms` is the reception
    /// time when the input has one (`None`: untimed). `one_receiver`: all
    /// messages come from one receiver, so any aircraft's position tells
    /// roughly where that receiver is.
    fn apply(
        &mut self,
        msg: &Message,
        now_ms: u64,
        rx_ms: Option<u64>,
        rssi: Option<f64>,
        receiver: Option<Position>,
        one_receiver: bool,
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
        let mut fields = Fields::from_message(msg);
        if let Some(me) = msg.me() {
            let at = Arrival { now_ms, rx_ms };
            let refs = Refs {
                receiver,
                area: self.area.filter(|_| one_receiver),
            };
            let accepted = position(ac, me, at, refs, self.options.max_range_m, &mut fields);
            if one_receiver && accepted.is_some() {
                self.area = accepted;
            }
        }
        ac.apply(&fields, now_ms);
        if rssi.is_some() {
            ac.rssi = rssi;
        }
        Some(fields)
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

/// When a message arrived: the caller's clock, and the reception time if
/// the input has one.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    now_ms: u64,
    rx_ms: Option<u64>,
}

/// What a message can be resolved against besides the aircraft's own
/// position.
#[derive(Debug, Clone, Copy)]
struct Refs {
    /// The receiver that heard it.
    receiver: Option<Position>,
    /// Any aircraft's latest position from the same receiver: within a few
    /// hundred kilometres of it, so it picks the right one of the surface
    /// decode's 90° quadrants (DO-260B §A.1.7.8) and nothing finer.
    area: Option<Position>,
}

impl Refs {
    /// The reference that picks a surface pair's quadrant.
    fn quadrant(self, own: Option<Position>) -> Option<Position> {
        own.or(self.receiver).or(self.area)
    }
}

/// Decodes the position carried by `me`, if any, into `fields`, and
/// returns it.
fn position(
    ac: &mut Aircraft,
    me: &Me,
    at: Arrival,
    refs: Refs,
    max_range_m: f64,
    fields: &mut Fields,
) -> Option<Position> {
    let receiver = refs.receiver;
    let (cpr, surface, tc, nic_b) = match me {
        Me::AirbornePosition(p) => (p.cpr, false, p.tc, p.nic_b),
        Me::SurfacePosition(s) => (s.cpr, true, s.tc, false),
        _ => return None,
    };
    ac.cpr_seq += 1;
    let pending = PendingCpr {
        cpr,
        at_ms: at.rx_ms,
        seq: ac.cpr_seq,
        surface,
    };
    if cpr.odd {
        ac.odd = Some(pending);
    } else {
        ac.even = Some(pending);
    }
    let (pos, global) = resolve(ac, cpr, surface, at.rx_ms, refs)?;
    if !plausible(ac, pos, surface, at.rx_ms, receiver, max_range_m) {
        ac.rejected_positions += 1;
        if global {
            // A bad pair: start pairing again from this message alone.
            if cpr.odd {
                ac.even = None;
            } else {
                ac.odd = None;
            }
        }
        return None;
    }
    let version = ac.fields.version.unwrap_or(0);
    let nic = nic_rc(
        tc,
        version,
        ac.fields.nic_a.unwrap_or(false),
        nic_b,
        ac.fields.nic_c.unwrap_or(false),
    );
    ac.position = Some((pos, at.now_ms));
    ac.position_at_ms = at.rx_ms;
    fields.lat = Some((pos.lat * 1e6).round() / 1e6);
    fields.lon = Some((pos.lon * 1e6).round() / 1e6);
    fields.nic = Some(nic.nic);
    fields.rc = nic.rc;
    Some(pos)
}

/// The aircraft's last position if it is a safe local reference for a
/// message received at `now_ms`: timed and no older than a minute.
fn own_reference(ac: &Aircraft, now_ms: u64) -> Option<Position> {
    let (pos, _) = ac.position?;
    let at = ac.position_at_ms?;
    (now_ms.saturating_sub(at) <= REFERENCE_AGE_MS).then_some(pos)
}

fn kind(surface: bool) -> Kind {
    if surface {
        Kind::Surface
    } else {
        Kind::Airborne
    }
}

/// The position of the message just stored in `ac.even`/`ac.odd`, and
/// whether it came from a global (pair) decode.
fn resolve(
    ac: &mut Aircraft,
    cpr: CprRaw,
    surface: bool,
    rx_ms: Option<u64>,
    refs: Refs,
) -> Option<(Position, bool)> {
    match rx_ms {
        Some(now) => resolve_timed(ac, cpr, surface, now, refs),
        None => resolve_untimed(ac, cpr, surface, refs),
    }
}

/// Global decode when a pair within the time window exists, else local
/// against the aircraft's recent position or the receiver.
fn resolve_timed(
    ac: &Aircraft,
    cpr: CprRaw,
    surface: bool,
    now_ms: u64,
    refs: Refs,
) -> Option<(Position, bool)> {
    let receiver = refs.receiver;
    let own = own_reference(ac, now_ms);
    let window = if surface {
        SURFACE_PAIR_MS
    } else {
        AIRBORNE_PAIR_MS
    };
    if let (Some(e), Some(o)) = (ac.even, ac.odd)
        && e.surface == surface
        && o.surface == surface
        && let (Some(te), Some(to)) = (e.at_ms, o.at_ms)
        && te.abs_diff(to) <= window
    {
        let decoded = if surface {
            refs.quadrant(own)
                .and_then(|r| cpr::surface_global(e.cpr, o.cpr, cpr.odd, r).ok())
        } else {
            cpr::airborne_global(e.cpr, o.cpr, cpr.odd).ok()
        };
        if let Some(p) = decoded {
            return Some((p, true));
        }
    }
    // Local decoding needs an aircraft position to be safe; the receiver
    // position alone is used only for airborne messages, whose 180 NM
    // ambiguity is beyond any receiver's range.
    let reference = match own {
        Some(p) => p,
        None if !surface => receiver?,
        None => return None,
    };
    cpr::local(cpr, reference, kind(surface))
        .ok()
        .map(|p| (p, false))
}

/// Untimed: local against the receiver (airborne: exact within 180 NM,
/// no time needed); else a pair of consecutive position messages; else
/// local against the aircraft's last position.
///
/// Two consecutive messages can still be minutes apart (a gap in
/// reception), and such a pair decodes into the wrong CPR cell, hundreds
/// of kilometres off. Without times to check speed against, a pair's
/// position is believed only when a nearby anchor vouches for it: the
/// aircraft's last position, its previous pair position or the receiver
/// lies within local-decoding range of it. When none does, the message
/// gives no position (its local decode would be just as unvouched).
fn resolve_untimed(
    ac: &mut Aircraft,
    cpr: CprRaw,
    surface: bool,
    refs: Refs,
) -> Option<(Position, bool)> {
    let receiver = refs.receiver;
    let kind = kind(surface);
    if !surface
        && let Some(rx) = receiver
        && let Ok(p) = cpr::local(cpr, rx, kind)
    {
        return Some((p, false));
    }
    let own = ac.position.map(|(p, _)| p);
    if let (Some(e), Some(o)) = (ac.even, ac.odd)
        && e.surface == surface
        && o.surface == surface
        && e.seq.abs_diff(o.seq) == 1
    {
        let decoded = if surface {
            refs.quadrant(own)
                .and_then(|r| cpr::surface_global(e.cpr, o.cpr, cpr.odd, r).ok())
        } else {
            cpr::airborne_global(e.cpr, o.cpr, cpr.odd).ok()
        };
        if let Some(p) = decoded {
            let anchors = [own, ac.last_pair, receiver];
            ac.last_pair = Some(p);
            let range = cpr::max_range_m(kind);
            let vouched = anchors
                .into_iter()
                .flatten()
                .any(|a| distance_m(a, p) <= range);
            return vouched.then_some((p, true));
        }
    }
    cpr::local(cpr, own?, kind).ok().map(|p| (p, false))
}

/// Speed and range checks against the previous position and the receiver.
/// The speed check needs both reception times; without them a position is
/// never refused for its jump alone.
fn plausible(
    ac: &Aircraft,
    pos: Position,
    surface: bool,
    rx_ms: Option<u64>,
    receiver: Option<Position>,
    max_range_m: f64,
) -> bool {
    if let Some(rx) = receiver
        && distance_m(rx, pos) > max_range_m
    {
        return false;
    }
    let (Some((last, _)), Some(now), Some(at)) = (ac.position, rx_ms, ac.position_at_ms) else {
        return true;
    };
    let elapsed_s = now.saturating_sub(at) as f64 / 1000.0;
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
    use crate::Frame;
    use crate::decode::{DecodeOptions, decode};

    const LAX: Position = Position {
        lat: 33.9425,
        lon: -118.408,
    };

    fn msg(hex: &str) -> Message {
        decode(
            &Frame::from_hex(hex).expect("hex"),
            &DecodeOptions::default(),
        )
        .expect("decodes")
    }

    fn lat_lon(f: &Fields) -> Option<(f64, f64)> {
        Some((f.lat?, f.lon?))
    }

    fn near(got: Option<(f64, f64)>, want: (f64, f64)) {
        let (lat, lon) = got.expect("a position");
        assert!(
            (lat - want.0).abs() < 1e-5 && (lon - want.1).abs() < 1e-5,
            "{got:?} != {want:?}"
        );
    }

    /// lax-messages.txt lines 27245 and 215305: A8881E's first and last
    /// airborne positions, 179 km apart; pyModeS 3.6 with the LAX reference
    /// gives these positions.
    const A8881E_FIRST: &str = "8da8881e58b503114d74a184b4f9";
    const A8881E_LAST: &str = "8da8881e58897268fddf7a0744f6";

    #[test]
    fn untimed_frames_far_apart_both_get_positions_against_the_receiver() {
        let mut t = Tracker::new(TrackerOptions {
            receiver: Some(LAX),
            ..TrackerOptions::default()
        });
        let first = t
            .update_untimed(&msg(A8881E_FIRST), 1_000, None)
            .expect("applied");
        near(lat_lon(&first), (34.601349, -119.550924));
        // Same clock: an untimed input says nothing about the time between them.
        let last = t
            .update_untimed(&msg(A8881E_LAST), 1_000, None)
            .expect("applied");
        near(lat_lon(&last), (33.615143, -118.017715));
        let ac = t.get(0xA8881E, false).expect("tracked");
        assert_eq!(ac.rejected_positions, 0);
    }

    #[test]
    fn timed_frames_too_far_apart_for_the_time_are_still_refused() {
        let mut t = Tracker::new(TrackerOptions {
            receiver: Some(LAX),
            ..TrackerOptions::default()
        });
        let first = t.update(&msg(A8881E_FIRST), 1_000, None).expect("applied");
        near(lat_lon(&first), (34.601349, -119.550924));
        // 179 km in one second is no aircraft.
        let last = t.update(&msg(A8881E_LAST), 2_000, None).expect("applied");
        assert_eq!(lat_lon(&last), None);
        assert_eq!(
            t.get(0xA8881E, false).map(|a| a.rejected_positions),
            Some(1)
        );
    }

    #[test]
    fn untimed_pairs_decode_without_a_receiver_once_one_vouches_for_the_next() {
        // lax-messages.txt lines 200 (even), 400 (odd), 562 and 706 (even)
        // from A2EBBD; positions from pyModeS 3.6 with the LAX reference.
        let mut t = Tracker::new(TrackerOptions::default());
        let mut next = |hex: &str| {
            let f = t.update_untimed(&msg(hex), 0, None).expect("applied");
            lat_lon(&f)
        };
        assert_eq!(
            next("8da2ebbd586552fbe7c6cec57a4b"),
            None,
            "one message alone"
        );
        assert_eq!(
            next("8da2ebbd58655699ee6f1a3feb97"),
            None,
            "a first pair has nothing to vouch for it"
        );
        near(
            next("8da2ebbd586562fc19c6b100e0da"),
            (34.477112, -118.373369),
        );
        // Even after even: no pair, local against the aircraft's position.
        near(
            next("8da2ebbd586572fc2bc6a64cec7d"),
            (34.477524, -118.373986),
        );
    }

    #[test]
    fn untimed_pair_across_a_reception_gap_gives_no_position() {
        // lax-messages.txt, 899124: lines 148495 (odd), 148684 (even),
        // 149044 (odd), 155173 (even), then nothing from it until 187360
        // (odd) and 187542 (even). Paired with 155173, line 187360 decodes
        // 1,700 km off (45.79, -107.01); pyModeS with the LAX reference
        // gives 33.583855, -119.178772.
        let mut t = Tracker::new(TrackerOptions::default());
        let mut next = |hex: &str| {
            let f = t.update_untimed(&msg(hex), 0, None).expect("applied");
            lat_lon(&f)
        };
        assert_eq!(next("8d899124585706284848a9711937"), None);
        assert_eq!(next("8d899124585712884f9f7459e98d"), None);
        near(
            next("8d89912458573627ec487fcf68ea"),
            (33.797204, -118.938046),
        );
        near(
            next("8d899124585bd282f19d01baaff0"),
            (33.767212, -118.971564),
        );
        assert_eq!(next("8d8991245879b6041e3810395e94"), None, "gap pair");
        near(
            next("8d8991245879d263638e727d2b7d"),
            (33.582321, -119.180472),
        );
    }

    #[test]
    fn surface_pair_without_a_receiver_takes_its_quadrant_from_another_aircraft() {
        // pyModeS docs airborne pair (40621D -> 52.2572, 3.91937), then the
        // "1090MHz Riddle" surface pair (484175, odd newer -> 52.320607,
        // 4.734735), all within 25 s and no receiver position.
        let frames = [
            ("8d40621d58c382d690c8ac2863a7", 1_000),
            ("8d40621d58c386435cc412692ad6", 2_000),
            ("8c4841753aab238733c8cd4020b1", 3_000),
            ("8c4841753a8a35323faebdac702d", 4_000),
        ];
        let mut one = Tracker::new(TrackerOptions::default());
        let mut many = Tracker::new(TrackerOptions::default());
        let (mut last_one, mut last_many) = (None, None);
        for (hex, at) in frames {
            last_one = one.update(&msg(hex), at, None).as_ref().and_then(lat_lon);
            last_many = many
                .update_from(&msg(hex), at, None, None)
                .as_ref()
                .and_then(lat_lon);
        }
        near(last_one, (52.320607, 4.734735));
        // A collector's tracker mixes receivers: another aircraft says
        // nothing about where this one's receiver is.
        assert_eq!(last_many, None);
    }
}
