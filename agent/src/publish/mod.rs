//! Publishing to the collector's broker with store-and-forward.
//!
//! Every batch is put in the spool first; it leaves the spool only when
//! the collector confirms it is done with it (a `Done` message on
//! `cloudradar/v1/<receiver>/done`, decision record 0007), or, with
//! `delivery = "broker"`, when the broker's PubAck arrives. At most
//! `max_unconfirmed` batches are out at once, so a collector that falls
//! behind holds the rest here; one not confirmed in time is sent again
//! ([`crate::confirm`]). A lost connection throws the MQTT client away and
//! starts a fresh one (with backoff and jitter) that sends everything
//! still spooled, oldest first, so delivery is at-least-once and in
//! order; the collector recognises re-sent batches by their sequence
//! number. A retained status message (with an "offline" last
//! will) and periodic statistics go to the status topic.

mod deliveries;
mod session;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloudradar_shared::wire::{ReceiverStatus, status_topic};
use rumqttc::{LastWill, MqttOptions, QoS, TlsConfiguration, Transport};

use crate::batch::Stats;
use crate::config::Delivery;
use crate::input::position::Positions;

/// Batches in flight at once.
const WINDOW: usize = 32;

/// Where the broker is, from `mqtt_url` (the shared parser; see
/// [`cloudradar_shared::mqtt_url`] for the forms it reads).
pub use cloudradar_shared::mqtt_url::MqttUrl as Broker;

/// Connection and identity settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Receiver id.
    pub receiver_id: String,
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// TLS settings for an `mqtts://` broker; `None` = plain TCP.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Username and password.
    pub credentials: (String, String),
    /// Receiver position for the status message.
    pub position: Option<(f64, f64)>,
    /// Antenna height above the WGS84 ellipsoid, metres, for the status.
    pub alt_m: Option<f64>,
    /// Seconds between statistics messages.
    pub status_interval: Duration,
    /// MQTT keep-alive interval.
    pub keep_alive: Duration,
    /// What takes a batch off the spool.
    pub delivery: Delivery,
    /// Most batches out and not yet confirmed.
    pub max_unconfirmed: usize,
    /// First wait for a confirmation before a batch is sent again.
    pub confirm_timeout: Duration,
}

impl Settings {
    fn options(&self) -> MqttOptions {
        let mut o = MqttOptions::new(self.receiver_id.clone(), self.host.clone(), self.port);
        o.set_keep_alive(self.keep_alive);
        o.set_max_packet_size(4 << 20, 4 << 20);
        o.set_inflight(WINDOW as u16 + 4);
        o.set_credentials(self.credentials.0.clone(), self.credentials.1.clone());
        if let Some(tls) = &self.tls {
            o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                tls.clone(),
            )));
        }
        let offline = serde_json::to_vec(&ReceiverStatus::offline()).unwrap_or_default();
        o.set_last_will(LastWill::new(
            status_topic(&self.receiver_id),
            offline,
            QoS::AtLeastOnce,
            true,
        ));
        o
    }
}

/// What the status message needs to know.
#[derive(Debug)]
pub struct StatusSource {
    /// Frame counters.
    pub stats: Arc<Stats>,
    /// Process start.
    pub started: Instant,
    /// File-input positions, saved once a batch is spooled.
    pub positions: Positions,
}

pub use session::run;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls_and_their_default_ports() {
        let b = |u| Broker::parse(u).unwrap();
        assert_eq!(
            b("mqtt://h:1884"),
            Broker {
                host: "h".into(),
                port: 1884,
                tls: false
            }
        );
        assert_eq!((b("mqtt://h").port, b("mqtt://h").tls), (1883, false));
        assert_eq!((b("mqtts://h").port, b("mqtts://h/").tls), (8883, true));
        assert_eq!(b("mqtts://10.0.0.1:9883").port, 9883);
        assert_eq!(b("h:1").port, 1);
        assert!(Broker::parse("https://h").is_err());
        assert!(Broker::parse("mqtt://h:port").is_err());
        assert!(Broker::parse("mqtts://:8883").is_err());
    }
}
