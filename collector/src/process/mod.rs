//! Processing: turns received batches into stored rows and live state.
//!
//! Every frame is decoded with the shared decoder and applied to the
//! aircraft tracker (CPR positions, plausibility, ghost suppression);
//! identical bytes from several receivers within a second become one
//! message with several receptions. The output of one batch is one
//! [`WriteBatch`], committed atomically by the store. Multilaterated
//! positions are applied to the same tracker ([`Processor::apply_mlat`],
//! `mlat.rs`) and stored through the same path.
//!
//! Talks to: the buffer (input batches), the store (output rows), the HTTP
//! layer (live snapshot).

mod clock;
mod coverage;
mod dedup;
mod live;
mod minutes;
mod mlat;
mod mlat_feed;
mod record;
mod site;

pub use clock::Clocks;
pub use coverage::{SECTOR_DEGREES, SECTORS};
pub use live::{LiveAircraft, Snapshot};
pub use minutes::SIGNAL_BANDS_DBFS;
pub use mlat::MLAT_BATCH_RECEIVER;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use cloudradar_shared::cpr::Position;

use cloudradar_shared::decode::{DecodeOptions, decode};
use cloudradar_shared::format::signal_dbfs;
use cloudradar_shared::state::{Source, Tracker, TrackerOptions};
use cloudradar_shared::wire::{Batch, WireFrame};

use crate::store::{AircraftRow, MessageRow, ReceptionRow, WriteBatch};
use coverage::{Coverage, observe_range};
use dedup::Dedup;
use minutes::{MinuteAircraft, MinuteStats, Observation};
use record::{Seen, record_aircraft};

/// Receptions older than this are not used for "heard by".
const HEARD_MS: u64 = 60_000;

/// Receiver positions (from their status messages), the CPR reference for
/// what each receiver hears.
pub type ReceiverPositions = Arc<RwLock<HashMap<String, ReceiverSite>>>;

pub use crate::store::ReceiverSite;

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

/// What processing one batch carries from frame to frame.
struct InBatch<'a> {
    receiver: &'a str,
    /// The receiver's position, for local CPR decoding and range.
    reference: Option<Position>,
    /// The receiver's clock offset.
    correction: i64,
    now_ms: u64,
    counters: ReceiverCounters,
    minute_aircraft: MinuteAircraft,
    minutes: MinuteStats,
    /// One aircraft row per aircraft in the batch.
    touched: HashMap<u32, AircraftRow>,
    out: WriteBatch,
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
    /// The configured site (`site_lat`/`site_lon`).
    site: Option<Position>,
    /// Sequence of the last batch of multilaterated positions.
    mlat_seq: i64,
    /// The multilateration engine, when it is on.
    mlat: Option<Box<crate::mlat::Mlat>>,
}

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
            site: None,
            mlat_seq: 0,
            mlat: None,
        }
    }

    /// Measures `r_dst`/`r_dir` from, and centres maps on, `site`
    /// instead of the receivers' centroid.
    pub fn with_site(mut self, site: Option<Position>) -> Self {
        self.site = site;
        self
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
        if !self.first_time(batch) {
            out.repeat = true;
            return out;
        }
        let rx = &batch.receiver_id;
        metrics::counter!("cloudradar_collector_frames_received_total", "receiver" => rx.clone())
            .increment(batch.frames.len() as u64);
        metrics::gauge!("cloudradar_collector_receiver_last_seen_timestamp_seconds", "receiver" => rx.clone())
            .set(now_ms as f64 / 1000.0);
        let site = self.positions.read().ok().and_then(|p| p.get(rx).copied());
        // The receiver's running state is taken out for the batch (so the
        // frames can use the rest of the processor) and put back after.
        let mut b = InBatch {
            receiver: rx,
            reference: site.map(|s| s.position),
            correction: self.clocks.correction(rx),
            now_ms,
            counters: std::mem::take(self.receivers.entry(rx.clone()).or_default()),
            minute_aircraft: std::mem::take(self.minute_aircraft.entry(rx.clone()).or_default()),
            minutes: MinuteStats::default(),
            touched: HashMap::new(),
            out,
        };
        b.counters.last_seen_ms = now_ms;
        self.locate_for_mlat(rx, site);
        for wf in &batch.frames {
            self.frame(&mut b, wf);
        }
        self.receivers.insert(rx.clone(), b.counters);
        self.minute_aircraft.insert(rx.clone(), b.minute_aircraft);
        let mut out = b.out;
        // One flight row per aircraft and callsign per batch is enough.
        out.flights
            .sort_by(|a, b| (a.icao, &a.callsign).cmp(&(b.icao, &b.callsign)));
        out.flights
            .dedup_by(|a, b| a.icao == b.icao && a.callsign == b.callsign);
        out.aircraft = b.touched.into_values().collect();
        out.minutes = b.minutes.into_rows();
        out
    }

    /// Whether this processor has not applied `batch` yet; remembers it.
    fn first_time(&mut self, batch: &Batch) -> bool {
        let seen = self.applied.entry(batch.receiver_id.clone()).or_default();
        if !seen.insert(batch.seq) {
            return false;
        }
        if seen.len() > REMEMBERED_SEQS {
            seen.pop_first();
        }
        true
    }

    /// One frame of a batch: its message and reception rows, the state
    /// it updates, the receiver's counters and minute statistics.
    fn frame(&mut self, b: &mut InBatch<'_>, wf: &WireFrame) {
        b.counters.frames += 1;
        self.total_messages += 1;
        // On the collector's clock; a time still in the future is not believed.
        let time = clock::corrected(wf.rx_ms, b.correction).min(b.now_ms + 60_000);
        let msg = decode(&wf.frame, &self.opts).ok();
        let frame = msg.as_ref().map_or(wf.frame, |m| m.frame);
        let next_id = &mut self.next_id;
        let (id, new) = self.dedup.assign(&frame, time, || {
            let id = *next_id;
            *next_id += 1;
            id
        });
        let rssi = (wf.signal != 0).then(|| signal_dbfs(wf.signal));
        // Only the first reception of a transmission updates the state. A
        // frame without a receiver clock (timestamp 0: AVR `*hex;`, a file
        // read at a paced rate) is untimed: its `time` dates it, but its
        // position is resolved by message order, not by that time.
        let fields = match (&msg, new) {
            (Some(m), true) if wf.timestamp == 0 => {
                self.tracker.update_untimed_from(m, time, rssi, b.reference)
            }
            (Some(m), true) => self.tracker.update_from(m, time, rssi, b.reference),
            _ => None,
        };
        if msg.is_some() && wf.timestamp != 0 {
            self.feed_mlat(b.receiver, &frame, wf.timestamp, time, fields.as_ref());
        }
        let icao = msg.as_ref().map(|m| m.address.icao);
        if new {
            b.out.messages.push(MessageRow {
                id,
                time_ms: time as i64,
                icao: fields.as_ref().and(icao).map(i64::from),
                df: i64::from(frame.df()),
                raw: frame.as_bytes().to_vec(),
            });
        }
        b.out.receptions.push(ReceptionRow {
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
            b.counters.accepted += 1;
        } else {
            b.counters.rejected += 1;
        }
        let range_m = observe_range(
            (&self.tracker, &mut self.coverage),
            b.receiver,
            b.reference.zip(icao),
            time,
            &mut b.out,
        );
        let observation = Observation {
            time_ms: time,
            accepted,
            position: fields.as_ref().is_some_and(|f| f.lat.is_some()),
            icao,
            signal_dbfs: rssi,
            range_m,
        };
        b.minutes.add(observation, &mut b.minute_aircraft);
        if let Some(icao) = icao {
            note_heard(&mut self.heard_by, icao, b.receiver, time);
        }
        if let (Some(f), Some(m)) = (fields, &msg) {
            let seen = Seen {
                icao: m.address.icao,
                time,
                source: Source::of(m.address.kind),
                receivers: 1,
            };
            record_aircraft(&mut b.out, &mut b.touched, &self.tracker, seen, f);
        }
    }

    /// Bounds memory at wall time `now_ms`: drops aircraft quiet in data
    /// and in wall time (state follows the data's own time, see
    /// `cloudradar_shared::state`), and "heard by" receptions older than
    /// the live view shows.
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
        let site = (self.positions.read()).map_or(self.site, |p| site::site(self.site, &p));
        live::snapshot(live::Inputs {
            tracker: &self.tracker,
            heard_by: &self.heard_by,
            now_ms,
            messages: self.total_messages,
            site,
        })
    }
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

#[cfg(test)]
mod tests;
