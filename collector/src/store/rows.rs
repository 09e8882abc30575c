//! What the processor hands the writer: every row one batch produces.

use super::source::PositionSource;

/// A distinct transmission (first reception of these bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    /// Id assigned by the processor.
    pub id: i64,
    /// Reception time, Unix ms.
    pub time_ms: i64,
    /// Aircraft address, when the message was decoded.
    pub icao: Option<i64>,
    /// Downlink format.
    pub df: i64,
    /// Message bytes.
    pub raw: Vec<u8>,
}

/// One receiver hearing one message.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceptionRow {
    /// The message heard.
    pub message_id: i64,
    /// Agent receive time, Unix ms.
    pub rx_ms: i64,
    /// Receiver 12 MHz timestamp.
    pub timestamp: i64,
    /// Signal level byte.
    pub signal: i64,
}

/// A decoded position.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionRow {
    /// Aircraft.
    pub icao: i64,
    /// Time, Unix ms.
    pub time_ms: i64,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Barometric altitude, feet.
    pub alt_baro: Option<i64>,
    /// Geometric altitude, feet.
    pub alt_geom: Option<i64>,
    /// Ground speed, knots.
    pub gs: Option<f64>,
    /// Track, degrees.
    pub track: Option<f64>,
    /// Vertical rate, ft/min.
    pub baro_rate: Option<i64>,
    /// Where the position came from.
    pub source: PositionSource,
    /// Receivers that heard the position message (for a multilaterated
    /// one, the receivers used in the solve).
    pub receivers: i64,
}

/// The latest identity of an aircraft.
#[derive(Debug, Clone, PartialEq)]
pub struct AircraftRow {
    /// Address.
    pub icao: i64,
    /// Time, Unix ms.
    pub time_ms: i64,
    /// Callsign, trimmed.
    pub callsign: Option<String>,
    /// Squawk.
    pub squawk: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Messages in this batch.
    pub messages: i64,
}

/// A flight seen in this batch (aircraft + callsign).
#[derive(Debug, Clone, PartialEq)]
pub struct FlightRow {
    /// Address.
    pub icao: i64,
    /// Callsign, trimmed.
    pub callsign: String,
    /// Time, Unix ms.
    pub time_ms: i64,
}

/// A receiver's counts for one minute (added to what is stored; maxima
/// kept).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceiverMinuteRow {
    /// Unix time / 60.
    pub minute: i64,
    /// Frames received.
    pub frames: i64,
    /// Frames decoded and trusted.
    pub accepted: i64,
    /// Frames that failed to decode or were not trusted.
    pub rejected: i64,
    /// Positions decoded from this receiver's frames.
    pub positions: i64,
    /// Distinct aircraft heard in the minute so far.
    pub aircraft: i64,
    /// Furthest aircraft heard, metres.
    pub max_range_m: Option<f64>,
    /// Frames per signal band (see `process::SIGNAL_BANDS_DBFS`).
    pub signal: [i64; 6],
}

/// A new furthest range in one bearing sector of a receiver's coverage.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageRow {
    /// Sector index: bearing / 10 degrees.
    pub sector: i64,
    /// Range, metres.
    pub range_m: f64,
    /// When, Unix ms.
    pub time_ms: i64,
}

/// Everything one received batch produced, committed in one transaction
/// together with the (receiver, seq) that makes it idempotent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    /// Receiver id.
    pub receiver: String,
    /// Batch sequence.
    pub seq: i64,
    /// Batch time, Unix ms.
    pub time_ms: i64,
    /// Frames in the batch.
    pub frames: i64,
    /// New distinct messages.
    pub messages: Vec<MessageRow>,
    /// One per frame.
    pub receptions: Vec<ReceptionRow>,
    /// Positions decoded.
    pub positions: Vec<PositionRow>,
    /// Aircraft identities touched.
    pub aircraft: Vec<AircraftRow>,
    /// Flights touched.
    pub flights: Vec<FlightRow>,
    /// This receiver's counts per minute.
    pub minutes: Vec<ReceiverMinuteRow>,
    /// This receiver's coverage records broken.
    pub coverage: Vec<CoverageRow>,
    /// Only the identity of a batch the processor has already processed
    /// (a re-send): the store reports it as a duplicate and claims nothing
    /// for it, so the first copy is applied even if its commit failed and
    /// is retried after this one's.
    pub repeat: bool,
    /// Rows the collector derived itself (multilaterated positions), not
    /// a receiver's batch: no receiver row is created or counted for it.
    pub derived: bool,
}
