//! The spool's batches across connections ([`Deliveries`]: what was sent,
//! confirmed or is overdue) and one connection's publishing window
//! ([`Link`]).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use cloudradar_shared::wire::Done;
use rumqttc::{AsyncClient, QoS};

use super::WINDOW;
use crate::batch::{Encoded, Output};
use crate::config::Delivery;
use crate::confirm::Unconfirmed;
use crate::input::position::{Mark, Positions};
use crate::spool::{Spool, Stored};

/// What survives reconnections: the spool and what is known about each
/// batch in it.
pub(super) struct Deliveries {
    pub(super) spool: Spool,
    pub(super) positions: Positions,
    pub(super) mode: Delivery,
    pub(super) max_unconfirmed: usize,
    /// Batches of this run still to be delivered: when their oldest frame came in.
    pub(super) waiting: HashMap<u64, Instant>,
    pub(super) unconfirmed: Unconfirmed,
    /// Last confirmation (or start), for the warning that none comes.
    pub(super) last_confirmed: Instant,
    pub(super) last_warned: Option<Instant>,
    pub(super) closing: Option<Instant>,
}

impl Deliveries {
    /// Spools what the batcher made; `unsent` gets a new batch's number
    /// when connected. `None` ends the inputs.
    pub(super) fn take(&mut self, out: Option<Output>, unsent: Option<&mut VecDeque<u64>>) {
        match out {
            Some(Output::Batch(b)) => {
                spool_batch(&mut self.spool, &self.positions, &b);
                if let Some(u) = unsent {
                    u.push_back(b.seq);
                }
                self.waiting.insert(b.seq, b.oldest);
            }
            Some(Output::Marks(m)) => commit_marks(&self.positions, &m),
            None => self.closing = Some(Instant::now()),
        }
    }

    /// The broker acknowledged `seq`.
    pub(super) fn broker_acked(&mut self, seq: u64) {
        metrics::counter!("cloudradar_agent_batches_published_total").increment(1);
        match self.mode {
            Delivery::Broker => self.delivered(seq),
            Delivery::Collector if self.spool.contains(seq) => {
                self.unconfirmed.sent(seq, Instant::now());
                self.gauge();
            }
            Delivery::Collector => {}
        }
    }

    /// The collector is done with the batches `done` names.
    pub(super) fn confirmed(&mut self, payload: &[u8]) {
        let done = match Done::decode(payload) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable confirmation from the collector ignored");
                return;
            }
        };
        self.last_confirmed = Instant::now();
        for (first, last) in done.ranges() {
            for seq in self.spool.seqs_within(*first, *last) {
                self.unconfirmed.confirmed(seq);
                metrics::counter!("cloudradar_agent_batches_confirmed_total").increment(1);
                self.delivered(seq);
            }
        }
        self.gauge();
    }

    pub(super) fn delivered(&mut self, seq: u64) {
        self.spool.remove(seq);
        if let Some(oldest) = self.waiting.remove(&seq) {
            metrics::histogram!(crate::telemetry::DELIVERY).record(oldest.elapsed().as_secs_f64());
        }
    }

    /// Batches to send again now (their confirmation is overdue), and a
    /// warning while none comes at all.
    pub(super) fn overdue(&mut self) -> Vec<u64> {
        let due = self.unconfirmed.due(Instant::now());
        if !due.is_empty() {
            metrics::counter!("cloudradar_agent_batches_resent_total").increment(due.len() as u64);
            tracing::info!(
                batches = due.len(),
                first = due[0],
                "no confirmation from the collector in time: sending again"
            );
            self.gauge();
        }
        let quiet = self.last_confirmed.elapsed();
        if self.mode == Delivery::Collector
            && !self.unconfirmed.is_empty()
            && quiet >= Duration::from_secs(60)
            && self
                .last_warned
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
        {
            self.last_warned = Some(Instant::now());
            tracing::warn!(
                unconfirmed = self.unconfirmed.len(),
                quiet_s = quiet.as_secs(),
                "no confirmation from the collector: it is behind or down, or older than these confirmations (then set delivery = \"broker\")"
            );
        }
        due
    }

    /// Batches out and not yet delivered, besides those `c` has in flight.
    pub(super) fn outstanding(&self, c: &Link) -> usize {
        self.unconfirmed.len() + c.order.len() + c.inflight.len()
    }

    pub(super) fn gauge(&self) {
        metrics::gauge!("cloudradar_agent_batches_unconfirmed").set(self.unconfirmed.len() as f64);
    }
}

/// One broker connection's state.
pub(super) struct Link {
    pub(super) client: AsyncClient,
    /// Spooled batches to publish, oldest first.
    pub(super) unsent: VecDeque<u64>,
    /// Publishes requested but not yet handed to the socket (None = status).
    pub(super) order: VecDeque<Option<u64>>,
    pub(super) inflight: HashMap<u16, Option<u64>>,
    pub(super) connected: bool,
}

impl Link {
    /// Publishes spooled batches while the windows allow.
    pub(super) fn fill(&mut self, topic: &str, d: &mut Deliveries) {
        while self.connected
            && self.order.len() + self.inflight.len() < WINDOW
            && d.outstanding(self) < d.max_unconfirmed
        {
            let Some(seq) = self.unsent.pop_front() else {
                break;
            };
            if !d.spool.contains(seq) {
                continue;
            }
            match d.spool.get(seq) {
                Ok(data) => {
                    if self
                        .client
                        .try_publish(topic, QoS::AtLeastOnce, false, data)
                        .is_err()
                    {
                        self.unsent.push_front(seq);
                        break;
                    }
                    self.order.push_back(Some(seq));
                }
                Err(e) => {
                    tracing::error!(seq, error = %format!("{e:#}"), "spooled batch unreadable; dropped");
                    metrics::counter!("cloudradar_agent_batches_dropped_total").increment(1);
                    d.spool.remove(seq);
                }
            }
        }
    }

    /// Puts batches due again in front, oldest first.
    pub(super) fn resend(&mut self, due: Vec<u64>) {
        for seq in due.into_iter().rev() {
            self.unsent.push_front(seq);
        }
    }
}

/// Puts a new batch in the spool, with the file positions it reaches
/// recorded around it (see `input/position.rs`). A batch held in memory
/// (it could not be written) commits no position: if the agent stops
/// before it is delivered and no later batch was written, a restart reads
/// its frames again.
pub(super) fn spool_batch(spool: &mut Spool, positions: &Positions, b: &Encoded) {
    tokio::task::block_in_place(|| {
        positions.prepare(b.seq, &b.marks);
        if spool.put(b.seq, b.created_ms, &b.data) == Stored::OnDisk {
            positions.commit(&b.marks);
        }
    })
}

/// Records file positions that no batch carries (every batch before them
/// is already spooled: they come in order).
pub(super) fn commit_marks(positions: &Positions, marks: &[Mark]) {
    tokio::task::block_in_place(|| positions.commit(marks));
}
