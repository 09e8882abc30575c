//! The embedded MQTT broker (rumqttd), so one collector process is a
//! complete collector. It runs on its own OS thread (rumqttd blocks and
//! has no stop API; it ends with the process).
//!
//! Authentication: see [`Access`]. Receivers log in with the credentials
//! in `credentials_file` (`receiver_id:password` a line); the collector's
//! own subscriber gets a random password generated at start.
//! Limit: rumqttd has no per-topic ACL, so a logged-in receiver could
//! publish on another receiver's topic; the collector rejects batches
//! whose embedded receiver id differs from the topic, and deployments that
//! need strict isolation use an external broker with an ACL (Mosquitto).

mod credentials;

pub use credentials::load_credentials;

use std::collections::HashMap;
use std::net::SocketAddr;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

/// The username the collector's own subscriber uses on the embedded broker.
pub const INTERNAL_USER: &str = "cloudradar-collector";

/// Who may connect: the collector itself always (with its generated
/// password); receivers only once `open` is set (after the collector's
/// subscription is in place, so no batch is published into the void at
/// start-up), with a matching password unless `credentials` is `None`
/// (anonymous: any username and password are accepted, but a login must
/// be sent — the agent always sends its receiver id).
#[derive(Debug, Clone)]
pub struct Access {
    /// The collector's own password.
    pub internal_password: String,
    /// Receiver credentials; `None` for anonymous access.
    pub credentials: Option<HashMap<String, String>>,
    /// Set once receivers may connect.
    pub open: Arc<AtomicBool>,
}

impl Access {
    fn allows(&self, user: &str, password: &str) -> bool {
        if user == INTERNAL_USER {
            return password == self.internal_password;
        }
        if !self.open.load(Ordering::Acquire) {
            return false;
        }
        match &self.credentials {
            None => true,
            Some(map) => map.get(user).is_some_and(|p| p == password),
        }
    }
}

/// Starts the broker on `listen`.
pub fn start(listen: SocketAddr, access: Access, max_payload: usize) -> anyhow::Result<()> {
    let mut v4 = HashMap::new();
    v4.insert(
        "v4".to_string(),
        ServerSettings {
            name: "v4".into(),
            listen,
            tls: None,
            next_connection_delay_ms: 1,
            connections: ConnectionSettings {
                connection_timeout_ms: 60_000,
                max_payload_size: max_payload + 1024,
                max_inflight_count: 500,
                auth: None,
                external_auth: None,
                dynamic_filters: true,
            },
        },
    );
    if let Some(server) = v4.get_mut("v4") {
        server.set_auth_handler(move |_client_id, user, password| {
            let ok = access.allows(&user, &password);
            if !ok {
                metrics::counter!("cloudradar_collector_mqtt_auth_refused_total").increment(1);
            }
            async move { ok }
        });
    }
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 1_000,
            max_segment_size: 100 * 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(v4),
        v5: None,
        ws: None,
        cluster: None,
        console: None,
        bridge: None,
        prometheus: None,
        metrics: None,
    };
    // Fail early with a clear message if the port is taken.
    std::net::TcpListener::bind(listen)
        .with_context(|| format!("MQTT listen address {listen} is not available"))?;
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
        })
        .context("starting the embedded broker thread")?;
    Ok(())
}
