//! Processing: turns received batches into stored rows and live state.
//!
//! Every frame is decoded with the shared decoder and applied to the
//! aircraft tracker (CPR positions, plausibility, ghost suppression);
//! identical bytes from several receivers within a second become one
//! message with several receptions. The output of one batch is one
//! [`WriteBatch`], committed atomically by the store.
//!
//! Talks to: the buffer (input batches), the store (output rows), the HTTP
//! layer (live snapshot).

mod clock;
mod coverage;
mod dedup;
mod live;
mod minutes;

pub use clock::Clocks;
pub use coverage::{SECTOR_DEGREES, SECTORS};
pub use live::{LiveAircraft, Snapshot};
pub use minutes::SIGNAL_BANDS_DBFS;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use cloudradar_shared::cpr::Position;

use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::format::signal_dbfs;
use cloudradar_shared::state::{AltBaro, Fields, Tracker, TrackerOptions};
use cloudradar_shared::wire::Batch;

use crate::store::{AircraftRow, FlightRow, MessageRow, PositionRow, ReceptionRow, WriteBatch};
use coverage::Coverage;
use dedup::Dedup;
use minutes::{MinuteAircraft, MinuteStats, Observation};

/// Receptions older than this are not used for "heard by".
const HEARD_MS: u64 = 60_000;

/// Receiver positions (from their status messages), the CPR reference for
/// what each receiver hears.
pub type ReceiverPositions = Arc<RwLock<HashMap<String, Position>>>;

/// Per-receiver running counters.
#[derive(Debug, Default, Clone)]
pub struct ReceiverCounters {
    /// Frames received.
    pub frames: u64,
    /// Frames that decoded and were trusted.
    pub accepted: u64,
    /// Frames rejected (CRC, untrusted).
    pub rejected: u64,
    /// Furthest position decoded from this receiver's frames, metres (needs its position).
    pub last_seen_ms: u64,
}

/// The processor's state.
#[derive(Debug)]
pub struct Processor {
    tracker: Tracker,
    dedup: Dedup,
    next_id: i64,
    opts: DecodeOptions,
    heard_by: HashMap<u32, Vec<(String, u64)>>,
    receivers: HashMap<String, ReceiverCounters>,
    applied: HashMap<String, std::collections::BTreeSet<u64>>,
    positions: ReceiverPositions,
    clocks: Clocks,
    total_messages: u64,
    coverage: Coverage,
    minute_aircraft: HashMap<String, MinuteAircraft>,
}

/// A position older than this does not place an aircraft for coverage.
const COVERAGE_POSITION_AGE_MS: u64 = 5_000;

/// Batch sequence numbers remembered per receiver to skip re-sent batches
/// without touching the state (the database is the authority across restarts).
const REMEMBERED_SEQS: usize = 10_000;

impl Processor {
    /// A processor whose message ids continue after `last_message_id`,
    /// resolving positions against the receivers in `positions`.
    pub fn new(last_message_id: i64, dedup_window_ms: u64, positions: ReceiverPositions) -> Self {
        Self {
            tracker: Tracker::new(TrackerOptions::default()),
            dedup: Dedup::new(dedup_window_ms),
            next_id: last_message_id + 1,
            opts: DecodeOptions::default(),
            heard_by: HashMap::new(),
            receivers: HashMap::new(),
            applied: HashMap::new(),
            positions,
            clocks: Clocks::default(),
            total_messages: 0,
            coverage: Coverage::default(),
            minute_aircraft: HashMap::new(),
        }
    }

    /// Takes the batches in `applied` (receiver and seq, already in the
    /// database) for re-sends from the start. After a crash between a
    /// commit and its Redis acknowledgement those batches are read again;
    /// processed afresh, their transmissions would get new message ids that
    /// the store never writes (it skips the batch), and later receptions of
    /// the same transmissions by other receivers would point at nothing.
    pub fn with_applied(mut self, applied: impl IntoIterator<Item = (String, u64)>) -> Self {
        for (receiver, seq) in applied {
            self.applied.entry(receiver).or_default().insert(seq);
        }
        self
    }

    /// Corrects receivers' frame times by the clock offsets in `clocks`.
    pub fn with_clocks(mut self, clocks: Clocks) -> Self {
        self.clocks = clocks;
        self
    }

    /// Processes one batch received at `now_ms`. A batch this processor
    /// already applied yields only its identity (the store skips it).
    pub fn process(&mut self, batch: &Batch, now_ms: u64) -> WriteBatch {
        let mut out = WriteBatch {
            receiver: batch.receiver_id.clone(),
            // At most `wire::MAX_SEQ` (`ingest::check_seq`): it fits.
            seq: batch.seq as i64,
            time_ms: now_ms as i64,
            frames: batch.frames.len() as i64,
            ..WriteBatch::default()
        };
        let seen = self.applied.entry(batch.receiver_id.clone()).or_default();
        if !seen.insert(batch.seq) {
            out.repeat = true;
            return out;
        }
        if seen.len() > REMEMBERED_SEQS {
            seen.pop_first();
        }
        let mut touched: HashMap<u32, AircraftRow> = HashMap::new();
        let reference = self
            .positions
            .read()
            .ok()
            .and_then(|p| p.get(&batch.receiver_id).copied());
        let counters = self.receivers.entry(batch.receiver_id.clone()).or_default();
        counters.last_seen_ms = now_ms;
        metrics::counter!("cloudradar_collector_frames_received_total", "receiver" => batch.receiver_id.clone())
            .increment(batch.frames.len() as u64);
        metrics::gauge!("cloudradar_collector_receiver_last_seen_timestamp_seconds", "receiver" => batch.receiver_id.clone())
            .set(now_ms as f64 / 1000.0);
        let correction = self.clocks.correction(&batch.receiver_id);
        let mut minutes = MinuteStats::default();
        let minute_aircraft = self
            .minute_aircraft
            .entry(batch.receiver_id.clone())
            .or_default();
        for wf in &batch.frames {
            counters.frames += 1;
            self.total_messages += 1;
            // On the collector's clock; a time still in the future is not believed.
            let time = clock::corrected(wf.rx_ms, correction).min(now_ms + 60_000);
            let msg = decode(&wf.frame, &self.opts).ok();
            let frame = msg.as_ref().map_or(wf.frame, |m| m.frame);
            let next_id = &mut self.next_id;
            let (id, new) = self.dedup.assign(&frame, time, || {
                let id = *next_id;
                *next_id += 1;
                id
            });
            let rssi = (wf.signal != 0).then(|| signal_dbfs(wf.signal));
            // Only the first reception of a transmission updates the state.
            let fields = match (&msg, new) {
                (Some(m), true) => self.tracker.update_from(m, time, rssi, reference),
                _ => None,
            };
            let icao = msg.as_ref().map(|m| m.address.icao);
            if new {
                out.messages.push(MessageRow {
                    id,
                    time_ms: time as i64,
                    icao: fields.as_ref().and(icao).map(i64::from),
                    df: i64::from(frame.df()),
                    raw: frame.as_bytes().to_vec(),
                });
            }
            out.receptions.push(ReceptionRow {
                message_id: id,
                rx_ms: time as i64,
                timestamp: wf.timestamp as i64,
                signal: i64::from(wf.signal),
            });
            let accepted = matches!(
                (&msg, new, &fields),
                (Some(_), _, Some(_)) | (Some(_), false, _)
            );
            if accepted {
                counters.accepted += 1;
            } else {
                counters.rejected += 1;
            }
            let icao_heard = icao.filter(|_| msg.is_some());
            let range_m = observe_range(
                (&self.tracker, &mut self.coverage),
                &batch.receiver_id,
                reference.zip(icao_heard),
                time,
                &mut out,
            );
            minutes.add(
                Observation {
                    time_ms: time,
                    accepted,
                    position: fields.as_ref().is_some_and(|f| f.lat.is_some()),
                    icao,
                    signal_dbfs: rssi,
                    range_m,
                },
                minute_aircraft,
            );
            if let Some(icao) = icao_heard {
                note_heard(&mut self.heard_by, icao, &batch.receiver_id, time);
            }
            let (Some(f), Some(icao)) = (fields, icao) else {
                continue;
            };
            record_aircraft(&mut out, &mut touched, &self.tracker, icao, f, time);
        }
        // One flight row per aircraft and callsign per batch is enough.
        out.flights
            .sort_by(|a, b| (a.icao, &a.callsign).cmp(&(b.icao, &b.callsign)));
        out.flights
            .dedup_by(|a, b| a.icao == b.icao && a.callsign == b.callsign);
        out.aircraft = touched.into_values().collect();
        out.minutes = minutes.into_rows();
        out
    }

    /// Drops aircraft and receptions that have gone quiet.
    pub fn expire(&mut self, now_ms: u64) {
        self.tracker.expire(now_ms);
        metrics::gauge!("cloudradar_collector_dedup_entries").set(self.dedup.len() as f64);
        let cutoff = now_ms.saturating_sub(HEARD_MS);
        self.heard_by.retain(|_, v| {
            v.retain(|(_, t)| *t >= cutoff);
            !v.is_empty()
        });
    }

    /// Counters per receiver.
    pub fn receivers(&self) -> &HashMap<String, ReceiverCounters> {
        &self.receivers
    }

    /// The live view for the HTTP API.
    pub fn snapshot(&self, now_ms: u64) -> Snapshot {
        live::snapshot(&self.tracker, &self.heard_by, now_ms, self.total_messages)
    }
}

/// Range of a reception from its receiver, where the aircraft's position
/// is fresh; adds a coverage record when it is a new furthest.
fn observe_range(
    (tracker, coverage): (&Tracker, &mut Coverage),
    receiver: &str,
    at: Option<(Position, u32)>,
    time: u64,
    out: &mut WriteBatch,
) -> Option<f64> {
    let (rx, icao) = at?;
    let (pos, _) = tracker
        .get(icao, false)
        .and_then(|a| a.position())
        .filter(|(_, t)| time.saturating_sub(*t) <= COVERAGE_POSITION_AGE_MS)?;
    let (range, record) = coverage.observe(receiver, rx, pos, time)?;
    out.coverage.extend(record);
    Some(range)
}

/// Remembers that `receiver` heard `icao` at `time`.
fn note_heard(
    heard_by: &mut HashMap<u32, Vec<(String, u64)>>,
    icao: u32,
    receiver: &str,
    time: u64,
) {
    let heard = heard_by.entry(icao).or_default();
    match heard.iter_mut().find(|(r, _)| *r == receiver) {
        Some(entry) => entry.1 = time,
        None => heard.push((receiver.to_string(), time)),
    }
}

/// Adds what a reception's fields say about its aircraft to `out`: the
/// aircraft row (`touched`, one per aircraft per batch), a flight for a
/// callsign, and a position with the aircraft's current state.
fn record_aircraft(
    out: &mut WriteBatch,
    touched: &mut HashMap<u32, AircraftRow>,
    tracker: &Tracker,
    icao: u32,
    f: Fields,
    time: u64,
) {
    let row = touched.entry(icao).or_insert_with(|| AircraftRow {
        icao: i64::from(icao),
        time_ms: time as i64,
        callsign: None,
        squawk: None,
        category: None,
        messages: 0,
    });
    row.messages += 1;
    row.time_ms = row.time_ms.max(time as i64);
    if let Some(cs) = f.flight {
        let cs = cs.as_str().trim_end().to_string();
        if !cs.is_empty() {
            out.flights.push(FlightRow {
                icao: i64::from(icao),
                callsign: cs.clone(),
                time_ms: time as i64,
            });
            row.callsign = Some(cs);
        }
    }
    if let Some(sq) = f.squawk {
        row.squawk = Some(format!("{:04x}", sq.0));
    }
    if let Some(c) = f.category {
        row.category = std::str::from_utf8(&c.0).ok().map(str::to_string);
    }
    if let (Some(lat), Some(lon)) = (f.lat, f.lon) {
        let state = tracker.get(icao, false).map(|a| &a.fields);
        out.positions.push(PositionRow {
            icao: i64::from(icao),
            time_ms: time as i64,
            lat,
            lon,
            alt_baro: state.and_then(|s| match s.alt_baro {
                Some(AltBaro::Feet(ft)) => Some(i64::from(ft)),
                _ => None,
            }),
            alt_geom: state.and_then(|s| s.alt_geom).map(i64::from),
            gs: state.and_then(|s| s.gs),
            track: state.and_then(|s| s.track),
            baro_rate: state.and_then(|s| s.baro_rate).map(i64::from),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudradar_shared::wire::WireFrame;

    fn batch(seq: u64) -> Batch {
        Batch {
            receiver_id: "rx-a".into(),
            seq,
            created_ms: 1_000,
            frames: vec![WireFrame {
                rx_ms: 1_000,
                timestamp: 0,
                signal: 0,
                frame: cloudradar_shared::frame::Frame::new(&[
                    0x5d, 0x4c, 0xa2, 0xd4, 0xce, 0x12, 0x34,
                ])
                .expect("frame"),
            }],
        }
    }

    /// Regression: a batch read again after a crash between its commit and
    /// its Redis acknowledgement was processed afresh, handing out message
    /// ids the store never wrote.
    #[test]
    fn batches_already_in_the_database_are_repeats_from_the_start() {
        let p = Processor::new(41, 1_000, Arc::default());
        let mut p = p.with_applied([("rx-a".to_string(), 7)]);
        let again = p.process(&batch(7), 2_000);
        assert!(again.repeat && again.messages.is_empty() && again.receptions.is_empty());
        let next = p.process(&batch(8), 2_000);
        assert!(!next.repeat);
        assert_eq!(next.receptions.len(), 1);
        assert_eq!(
            next.receptions[0].message_id, 42,
            "ids go on from the last one"
        );
    }
}
