//! Why the gate closed a client's connection after reading its bytes.

use rumqttc::mqttbytes::Error as MqttError;

/// A refused packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// Not MQTT 3.1.1 as the standard writes it.
    #[error("malformed packet: {0}")]
    Malformed(String),
    /// Remaining length above the limit.
    #[error("packet of {0} bytes is over the limit")]
    Oversized(usize),
    /// A packet a receiver never sends after its CONNECT (a second CONNECT).
    #[error("packet type {0} not allowed from a receiver")]
    NotAllowed(u8),
    /// A topic or filter outside the receiver's own (`what`: publish,
    /// will, subscribe, unsubscribe).
    #[error("{what} on {topic:?} refused")]
    Denied {
        /// The kind of packet.
        what: &'static str,
        /// The topic or filter the client tried.
        topic: String,
    },
}

impl Violation {
    /// Metric label for `cloudradar_collector_mqtt_packets_refused_total`
    /// (ACL denials are counted apart, per receiver).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Oversized(_) => "oversized",
            Self::NotAllowed(_) => "not_allowed",
            Self::Denied { .. } => "acl",
        }
    }
}

impl From<MqttError> for Violation {
    fn from(e: MqttError) -> Self {
        match e {
            MqttError::PayloadSizeLimitExceeded(n) => Self::Oversized(n),
            other => Self::Malformed(other.to_string()),
        }
    }
}
