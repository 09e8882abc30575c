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
use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings, TlsConfig};

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

/// A TLS listener: address, PEM certificate chain and PEM private key.
#[derive(Debug, Clone)]
pub struct TlsListener {
    /// Address.
    pub listen: SocketAddr,
    /// Certificate chain file.
    pub cert_file: String,
    /// Private key file.
    pub key_file: String,
}

fn server(
    name: &str,
    listen: SocketAddr,
    tls: Option<TlsConfig>,
    access: Access,
    max_payload: usize,
) -> ServerSettings {
    let mut server = ServerSettings {
        name: name.into(),
        listen,
        tls,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: max_payload + 1024,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    server.set_auth_handler(move |_client_id, user, password| {
        let ok = access.allows(&user, &password);
        if !ok {
            metrics::counter!("cloudradar_collector_mqtt_auth_refused_total").increment(1);
        }
        async move { ok }
    });
    server
}

/// Starts the broker on `listen` (plain MQTT) and, when given, a TLS
/// listener (MQTT over TLS for agents across the internet; the same
/// credentials apply).
pub fn start(
    listen: SocketAddr,
    tls: Option<TlsListener>,
    access: Access,
    max_payload: usize,
) -> anyhow::Result<()> {
    let mut v4 = HashMap::new();
    v4.insert(
        "v4".to_string(),
        server("v4", listen, None, access.clone(), max_payload),
    );
    if let Some(t) = &tls {
        for (key, path) in [
            ("mqtt_tls_cert_file", &t.cert_file),
            ("mqtt_tls_key_file", &t.key_file),
        ] {
            std::fs::File::open(path).with_context(|| format!("{key}: cannot read {path}"))?;
        }
        let config = TlsConfig::Rustls {
            capath: None,
            certpath: t.cert_file.clone(),
            keypath: t.key_file.clone(),
        };
        v4.insert(
            "v4-tls".to_string(),
            server("v4-tls", t.listen, Some(config), access, max_payload),
        );
        std::net::TcpListener::bind(t.listen)
            .with_context(|| format!("MQTT TLS listen address {} is not available", t.listen))?;
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
