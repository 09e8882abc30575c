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

use super::addrtype;
use super::aircraft::Aircraft;
use super::comm_b::{reported_altitude, resolve_comm_b};
use super::expiry;
use super::fields::Fields;
use super::heading;
use super::position::{Arrival, Refs, position};
use super::source::Source;
use super::version;
use crate::cpr::Position;
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
    /// An aircraft not heard for this long (in data time) expires: a later
    /// message starts it afresh, and [`Tracker::expire`] drops it.
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
    pub(super) aircraft: HashMap<u32, Aircraft>,
    options: TrackerOptions,
    /// The latest position of any aircraft heard through
    /// [`Tracker::update`]/[`Tracker::update_untimed`] (one receiver).
    area: Option<Position>,
    /// The latest data time of any message applied: the "now" of the
    /// data, against which the sweep measures quiet aircraft.
    clock_ms: u64,
}

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
            clock_ms: 0,
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

    /// Like [`Tracker::update_untimed`] for a message heard by a receiver
    /// at `receiver` (see [`Tracker::update_from`]).
    pub fn update_untimed_from(
        &mut self,
        msg: &Message,
        clock_ms: u64,
        rssi: Option<f64>,
        receiver: Option<Position>,
    ) -> Option<Fields> {
        self.apply(msg, clock_ms, None, rssi, receiver, false)
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
        let (trust_window, expire_ms) = (self.options.trust_window_ms, self.options.expire_ms);
        // An aircraft quiet for `expire_ms` of data time is gone, however
        // recently (in wall time) the sweep last looked at it.
        if self
            .aircraft
            .get(&k)
            .is_some_and(|ac| expiry::expired_before(ac, now_ms, expire_ms))
        {
            self.aircraft.remove(&k);
        }
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
                ac
            }
        };
        self.clock_ms = self.clock_ms.max(now_ms);
        expiry::expire_fields(ac, now_ms);
        addrtype::note_message(ac, msg.address.kind, msg.frame.df(), now_ms);
        let msg = &resolve_comm_b(ac, msg);
        if let Some(ft) = reported_altitude(msg) {
            ac.reported_altitude = Some(ft);
        }
        let mut fields = Fields::from_message(msg);
        version::assume_v0(ac, msg, &mut fields);
        if let Some(me) = msg.me() {
            let at = Arrival { now_ms, rx_ms };
            let refs = Refs {
                receiver,
                area: self.area.filter(|_| one_receiver),
            };
            let accepted = position(ac, me, at, refs, self.options.max_range_m, &mut fields);
            if accepted.is_some() {
                addrtype::note_position(ac, msg.address.kind, now_ms);
            }
            if one_receiver && accepted.is_some() {
                self.area = accepted;
            }
        }
        heading::derive_true_heading(ac, &mut fields, now_ms);
        ac.apply(&fields, now_ms, Source::of(msg.address.kind));
        if let Some(dbfs) = rssi {
            ac.note_signal(dbfs);
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

    /// Bounds memory at wall time `wall_ms`: drops aircraft quiet for
    /// `expire_ms` both in data time and in wall time (see `expiry.rs`).
    /// Fields expire on the data's time as messages arrive, and the live
    /// view applies [`Aircraft::valid_fields`] at its own clock, so this
    /// changes no output.
    pub fn expire(&mut self, wall_ms: u64) {
        let (clock, expire_ms) = (self.clock_ms, self.options.expire_ms);
        self.aircraft
            .retain(|_, a| expiry::keep(a, clock, wall_ms, expire_ms));
    }

    /// The latest data time of any message applied (Unix ms; 0 before any).
    pub fn clock_ms(&self) -> u64 {
        self.clock_ms
    }
}

#[cfg(test)]
#[path = "tracker_tests.rs"]
mod tests;
