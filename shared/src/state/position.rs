//! One position message applied to one aircraft: CPR pairing (timed by
//! reception time, untimed by message order), local decoding against the
//! aircraft or the receiver, and the plausibility checks. See the
//! tracker's module documentation for the rules.

use super::aircraft::{Aircraft, PendingCpr};
use super::fields::Fields;
use crate::adsb::{CprRaw, Me, nic_rc};
use crate::cpr::{self, Kind, Position, distance_m};

const AIRBORNE_PAIR_MS: u64 = 10_000;
const SURFACE_PAIR_MS: u64 = 25_000;
/// Last positions older than this are not used as a local reference.
const REFERENCE_AGE_MS: u64 = 60_000;

/// When a message arrived: the caller's clock, and the reception time if
/// the input has one.
#[derive(Debug, Clone, Copy)]
pub(super) struct Arrival {
    pub(super) now_ms: u64,
    pub(super) rx_ms: Option<u64>,
}

/// What a message can be resolved against besides the aircraft's own
/// position.
#[derive(Debug, Clone, Copy)]
pub(super) struct Refs {
    /// The receiver that heard it.
    pub(super) receiver: Option<Position>,
    /// Any aircraft's latest position from the same receiver: within a few
    /// hundred kilometres of it, so it picks the right one of the surface
    /// decode's 90° quadrants (DO-260B §A.1.7.8) and nothing finer.
    pub(super) area: Option<Position>,
}

impl Refs {
    /// The reference that picks a surface pair's quadrant.
    fn quadrant(self, own: Option<Position>) -> Option<Position> {
        own.or(self.receiver).or(self.area)
    }
}

/// Decodes the position carried by `me`, if any, into `fields`, and
/// returns it.
pub(super) fn position(
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

/// The global decode of the pair `e`, `o` (the position of the odd one
/// when `odd`); a surface pair needs `quadrant` to pick its 90° quadrant.
fn pair(
    e: PendingCpr,
    o: PendingCpr,
    odd: bool,
    surface: bool,
    quadrant: Option<Position>,
) -> Option<Position> {
    if surface {
        quadrant.and_then(|r| cpr::surface_global(e.cpr, o.cpr, odd, r).ok())
    } else {
        cpr::airborne_global(e.cpr, o.cpr, odd).ok()
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
        let decoded = pair(e, o, cpr.odd, surface, refs.quadrant(own));
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
        let decoded = pair(e, o, cpr.odd, surface, refs.quadrant(own));
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
pub(super) fn plausible(
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
