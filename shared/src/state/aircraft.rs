//! One aircraft's merged state: the latest value of every field with when
//! it was set, and the CPR messages waiting to be paired into a position.

use super::addrtype::TRACK_EXPIRE_MS;
use super::fields::{AltBaro, Fields, Sources, Updated};
use super::source::{FLAG_ORDER, Source};
use crate::adsb::CprRaw;
use crate::cpr::Position;
use crate::decode::{Address, AddressKind};

/// readsb's `TRACK_EXPIRE_LONG` (`track.h`): how long a callsign lasts.
const TRACK_EXPIRE_LONG_MS: u64 = 180_000;

/// A CPR message kept until its even/odd partner arrives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PendingCpr {
    pub(crate) cpr: CprRaw,
    /// Reception time (Unix ms); `None` when the input carries no times.
    pub(crate) at_ms: Option<u64>,
    /// The aircraft's position-message count when this one arrived, so
    /// untimed messages can still tell whether two were consecutive.
    pub(crate) seq: u64,
    pub(crate) surface: bool,
}

/// The state of one aircraft, merged from every message heard from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Aircraft {
    /// Address and its kind: readsb's `type`, kept by readsb's rule
    /// (see `addrtype.rs`), not simply the latest message's.
    pub address: Address,
    /// When the first message arrived (Unix ms).
    pub first_seen_ms: u64,
    /// When the latest message arrived (Unix ms).
    pub last_seen_ms: u64,
    /// Messages applied.
    pub messages: u64,
    /// Latest value of every field.
    pub fields: Fields,
    /// When each field was set.
    pub updated: Updated,
    /// Where each field's value came from.
    pub sources: Sources,
    /// Latest signal level, dBFS.
    pub rssi: Option<f64>,
    /// Linear power of the last eight messages with a signal level
    /// (a ring, `signal_next` counts them), for [`Aircraft::rssi_average`].
    pub(crate) signal: [f64; 8],
    pub(crate) signal_next: u64,
    /// When `address.kind` was last set; `None` before any message.
    pub(crate) kind_updated_ms: Option<u64>,
    /// The kind of the message that gave the last accepted position.
    pub(crate) position_kind: Option<AddressKind>,
    /// When the address was last confirmed by a CRC-checked DF11/17/18.
    pub(crate) confirmed_ms: u64,
    pub(crate) even: Option<PendingCpr>,
    pub(crate) odd: Option<PendingCpr>,
    /// Last accepted position and when (the caller's clock, see
    /// [`Aircraft::position`]).
    pub(crate) position: Option<(Position, u64)>,
    /// Reception time of the last accepted position; `None` when it came
    /// from an untimed message, whose age is unknown.
    pub(crate) position_at_ms: Option<u64>,
    /// Position messages (airborne and surface) heard from this aircraft.
    pub(crate) cpr_seq: u64,
    /// The latest untimed pair decode, believed or not: it vouches for
    /// the next one.
    pub(crate) last_pair: Option<Position>,
    /// Positions rejected by the plausibility checks.
    pub rejected_positions: u64,
    /// The latest altitude a reply or squitter carried in feet, also when
    /// the aircraft is on the ground (where `alt_baro` says `ground`): the
    /// altitude from which Comm-B inference derives airspeeds.
    pub(crate) reported_altitude: Option<i32>,
    /// `messages` at the latest sweep ([`super::Tracker::expire`]), which
    /// tells it whether a message arrived since.
    pub(crate) swept_messages: u64,
    /// Wall time of the first sweep after the latest message (Unix ms).
    pub(crate) heard_wall_ms: u64,
    /// The magnetic declination at the aircraft and when it was computed
    /// (data time), reused for 5 s as readsb does.
    pub(crate) declination: Option<(f64, u64)>,
}

impl Aircraft {
    pub(crate) fn new(address: Address, now_ms: u64) -> Self {
        Self {
            address,
            first_seen_ms: now_ms,
            last_seen_ms: now_ms,
            messages: 0,
            fields: Fields::default(),
            updated: Updated::default(),
            sources: Sources::default(),
            rssi: None,
            signal: [0.0; 8],
            signal_next: 0,
            kind_updated_ms: None,
            position_kind: None,
            confirmed_ms: 0,
            even: None,
            odd: None,
            position: None,
            position_at_ms: None,
            cpr_seq: 0,
            last_pair: None,
            rejected_positions: 0,
            reported_altitude: None,
            swept_messages: 0,
            heard_wall_ms: 0,
            declination: None,
        }
    }

    /// The last accepted position and its time (Unix ms; for an untimed
    /// message, the clock the caller passed along with it).
    pub fn position(&self) -> Option<(Position, u64)> {
        self.position
    }

    /// The kind of message that gave the last accepted position.
    pub fn position_kind(&self) -> Option<AddressKind> {
        self.position_kind
    }

    /// readsb's `rssi` (`json_out.c` `getSignal`), dBFS: the mean linear
    /// power of the last eight messages; with four to seven it still
    /// divides by eight, with fewer it is the floor, −49.5 dBFS.
    pub fn rssi_average(&self) -> f64 {
        let n = self.signal_next.min(8) as usize;
        let sum: f64 = match n {
            4.. => self.signal.iter().take(n).sum(),
            _ => 0.0,
        };
        10.0 * (sum / 8.0 + 1.125e-5).log10()
    }

    /// Records a message's signal level (dBFS) for [`Aircraft::rssi_average`].
    pub(crate) fn note_signal(&mut self, dbfs: f64) {
        let slot = (self.signal_next % 8) as usize;
        if let Some(s) = self.signal.get_mut(slot) {
            *s = 10f64.powf(dbfs / 10.0);
        }
        self.signal_next += 1;
        self.rssi = Some(dbfs);
    }

    /// The fields still valid at `now_ms` by readsb's expiry
    /// (`track.c` `updateValidities`): `TRACK_EXPIRE` (60 s) for most,
    /// `TRACK_EXPIRE_LONG` (180 s) for the callsign; the category, ADS-B
    /// version and SIL type last as long as the aircraft (readsb only
    /// replaces or resets them).
    pub fn valid_fields(&self, now_ms: u64) -> Fields {
        let mut f = self.fields.clone();
        f.expire(now_ms.saturating_sub(TRACK_EXPIRE_MS), &self.updated);
        if now_ms.saturating_sub(self.updated.flight) <= TRACK_EXPIRE_LONG_MS {
            f.flight = self.fields.flight;
        }
        f.category = self.fields.category;
        f.version = self.fields.version;
        f.sil_type = self.fields.sil_type;
        f
    }

    /// `true` when the latest altitude says the aircraft is on the ground.
    pub fn on_ground(&self) -> bool {
        matches!(self.fields.alt_baro, Some(AltBaro::Ground))
    }

    /// The source of the last accepted position.
    pub fn position_source(&self) -> Option<Source> {
        self.position_kind.map(Source::of)
    }

    /// readsb's `mlat` and `tisb` lists (`json_out.c` `append_flags`):
    /// the names of the fields valid at `now_ms` whose value came from
    /// `source`, the position group (`lat`, `lon`, `nic`, `rc`) by the
    /// position's source, in readsb's order.
    pub fn flags(&self, now_ms: u64, source: Source) -> Vec<&'static str> {
        let valid = self.valid_fields(now_ms);
        let mut out = self.sources.flags(&valid, source);
        let position_valid = self
            .position
            .is_some_and(|(_, t)| now_ms.saturating_sub(t) <= TRACK_EXPIRE_MS);
        if position_valid && self.position_source() == Some(source) {
            out.extend_from_slice(&["lat", "lon", "nic", "rc"]);
        }
        out.sort_by_key(|f| FLAG_ORDER.iter().position(|o| o == f));
        out
    }

    /// Merges a message's fields from `source`, deriving geometric
    /// altitude from the barometric one and the GNSS–baro difference when
    /// needed.
    pub(crate) fn apply(&mut self, fields: &Fields, now_ms: u64, source: Source) {
        self.merge(fields, now_ms, source, |_, _| true);
        self.last_seen_ms = now_ms;
        self.messages += 1;
    }

    /// Merges the fields of a multilaterated position: as readsb's
    /// `accept_data`, a field set by a better source in the last
    /// `TRACK_STALE` keeps its value.
    pub(crate) fn apply_worse(&mut self, fields: &Fields, now_ms: u64, source: Source) {
        self.merge(fields, now_ms, source, |current, updated| {
            source.may_replace(current, updated, now_ms)
        });
        self.last_seen_ms = self.last_seen_ms.max(now_ms);
    }

    fn merge(
        &mut self,
        fields: &Fields,
        now_ms: u64,
        source: Source,
        accept: impl Fn(Option<Source>, u64) -> bool,
    ) {
        let stamp = (&mut self.updated, &mut self.sources);
        self.fields
            .merge_if(fields, (now_ms, source), stamp, accept);
        if fields.alt_geom.is_none()
            && let (Some(AltBaro::Feet(baro)), Some(diff)) =
                (self.fields.alt_baro, self.fields.geom_minus_baro)
            && (fields.geom_minus_baro.is_some()
                || matches!(fields.alt_baro, Some(AltBaro::Feet(_))))
        {
            self.fields.alt_geom = Some(baro + diff);
            self.updated.alt_geom = now_ms;
            self.sources.alt_geom = Some(source);
        }
    }
}
