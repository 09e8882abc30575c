//! The agent → collector wire format and MQTT topic layout.
//!
//! An agent groups the frames it accepted into a [`Batch`], encodes it with
//! [`encode`] and publishes it at QoS 1 to [`frames_topic`]. The collector
//! decodes with [`decode`] under [`Limits`] and uses the receiver id and
//! batch sequence to apply every batch exactly once, then names the batches
//! it is done with in a [`Done`] message on [`done_topic`]. `envelope.rs` holds what
//! every version shares, `codec.rs` chooses the version, `v2/` is the
//! layout agents write, `v1.rs` the older one the collector still accepts.

mod codec;
mod done;
mod envelope;
mod reader;
mod status;
mod v1;
mod v2;

pub use codec::{VERSION, decode, encode, encode_v1, peek_header};
pub use done::{DONE_MAGIC, DONE_VERSION, Done, MAX_DONE_RANGES, done_topic};
pub use envelope::MAGIC;
pub use status::{ReceiverStatus, State};
#[doc(hidden)]
pub use v2::column_sizes;

/// MQTT topic prefix, versioned with the wire format.
pub const TOPIC_PREFIX: &str = "cloudradar/v1";

/// Topic a receiver publishes its frame batches to.
pub fn frames_topic(receiver_id: &str) -> String {
    format!("{TOPIC_PREFIX}/{receiver_id}/frames")
}

/// Topic a receiver publishes its retained status (and last will) to.
pub fn status_topic(receiver_id: &str) -> String {
    format!("{TOPIC_PREFIX}/{receiver_id}/status")
}

/// Splits `cloudradar/v1/<id>/<kind>` into `(id, kind)`.
pub fn parse_topic(topic: &str) -> Option<(&str, &str)> {
    let rest = topic.strip_prefix(TOPIC_PREFIX)?.strip_prefix('/')?;
    let (id, kind) = rest.split_once('/')?;
    (valid_receiver_id(id) && !kind.contains('/')).then_some((id, kind))
}

/// Receiver ids are 1–64 characters of `A-Z a-z 0-9 - _ .`, so they are safe
/// in MQTT topics, file names, metric labels and URLs.
pub fn valid_receiver_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && id != "."
        && id != ".."
}

/// Largest batch sequence number the collector accepts. It keeps
/// sequences in SQLite `INTEGER` columns (signed 64 bits), where one at
/// 2^63 or above would turn negative. Agents start near the current time
/// in microseconds (about 2^51), far below.
pub const MAX_SEQ: u64 = i64::MAX as u64;

/// One accepted frame as the agent saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireFrame {
    /// Agent wall-clock time of reception, Unix milliseconds.
    pub rx_ms: u64,
    /// Receiver 12 MHz timestamp (48 bits; 0 when the input has none).
    pub timestamp: u64,
    /// Beast signal level byte (0 when the input has none).
    pub signal: u8,
    /// The Mode S message.
    pub frame: crate::Frame,
}

/// A batch of frames from one receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Stable receiver id; must match the topic it is published on.
    pub receiver_id: String,
    /// Per-receiver sequence number, strictly increasing across restarts;
    /// the collector de-duplicates re-sent batches on (receiver id, seq).
    /// At most [`MAX_SEQ`].
    pub seq: u64,
    /// Agent wall-clock time the batch was closed, Unix milliseconds.
    pub created_ms: u64,
    /// Frames in reception order.
    pub frames: Vec<WireFrame>,
}

/// Bounds the collector enforces on untrusted batches.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest encoded (compressed) batch accepted, bytes.
    pub max_encoded: usize,
    /// Largest decompressed payload accepted, bytes.
    pub max_decoded: usize,
    /// Most frames accepted in one batch.
    pub max_frames: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_encoded: 1 << 20,
            max_decoded: 8 << 20,
            max_frames: 100_000,
        }
    }
}

/// Why a batch was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload does not start with the magic bytes.
    #[error("not a CloudRadar batch (bad magic)")]
    Magic,
    /// A version this build does not understand.
    #[error("unsupported wire version {0}")]
    Version(u8),
    /// Encoded or decoded size over the limit.
    #[error("batch too large: {size} bytes over the {limit} byte limit")]
    TooLarge {
        /// Size seen.
        size: usize,
        /// Limit in force.
        limit: usize,
    },
    /// More frames than allowed.
    #[error("batch has {0} frames, over the limit")]
    TooManyFrames(u64),
    /// Ran out of bytes mid-field.
    #[error("batch truncated")]
    Truncated,
    /// Decompression failed.
    #[error("batch payload does not decompress")]
    Compression,
    /// A field had an impossible value.
    #[error("invalid batch field: {0}")]
    Invalid(&'static str),
}
