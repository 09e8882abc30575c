//! What ingest hands on: every batch message in the order it arrived,
//! with the receipt that acknowledges it to the broker. Dropped messages
//! travel the same queue as accepted ones so that every acknowledgement
//! goes out in arrival order, which the embedded broker requires.

use rumqttc::Publish;

use super::Acker;
use crate::confirm::Confirmer;

/// A message's broker acknowledgement: the message (without its payload)
/// and the subscriber connection it came on (see [`Acker`]).
#[derive(Debug)]
pub struct Receipt {
    /// The MQTT message, its payload moved out.
    pub publish: Publish,
    /// The subscriber connection it came on.
    pub connection: u64,
}

impl Receipt {
    /// Acknowledges the message to the broker.
    pub async fn ack(&self, acker: &Acker) {
        acker.ack(&self.publish, self.connection).await;
    }
}

/// A batch that passed validation and its receiver's rate limit.
#[derive(Debug)]
pub struct Accepted {
    /// Receiver id (from the topic, equal to the batch's).
    pub receiver: String,
    /// Batch sequence number.
    pub seq: u64,
    /// The encoded batch, unchanged.
    pub payload: Vec<u8>,
    /// Acknowledged once the buffer holds the batch durably.
    pub receipt: Receipt,
}

/// A message dropped and counted: a malformed batch, one over its
/// receiver's rate limit, or one on an unknown topic.
#[derive(Debug)]
pub struct Dropped {
    /// Acknowledged in its turn.
    pub receipt: Receipt,
    /// The (receiver, sequence) to confirm to its agent as done, where the
    /// batch's header names it, so the agent stops sending it.
    pub confirm: Option<(String, u64)>,
}

impl Dropped {
    /// Acknowledges it to the broker and confirms it to its agent.
    pub async fn finish(self, acker: &Acker, confirmer: &Confirmer) {
        self.receipt.ack(acker).await;
        if let Some((receiver, seq)) = &self.confirm {
            confirmer.done(receiver, *seq).await;
        }
    }
}

/// A batch message from the broker.
#[derive(Debug)]
pub enum Arrival {
    /// To buffer, process and store.
    Accepted(Accepted),
    /// To acknowledge and confirm, nothing else.
    Dropped(Dropped),
}
