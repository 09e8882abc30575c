//! The embedded MQTT broker, so one collector process is a complete
//! collector: rumqttd on a loopback port chosen at start, behind a gate
//! that owns the public listeners.
//!
//! ```text
//! receivers ── mqtt_listen / mqtt_tls_listen ──> gate ──> rumqttd (127.0.0.1:ephemeral)
//!                                                             ^
//! collector's subscriber (INTERNAL_USER) ─────────────────────┘
//! ```
//!
//! rumqttd runs on its own OS thread (it blocks, has no stop API and ends
//! with the process) on a port this process is confirmed to hold
//! (`loopback.rs`). The gate (`gate.rs`, tokio) terminates TLS,
//! checks logins (see [`Access`]) and enforces the topic ACL that rumqttd
//! lacks (`acl.rs`): a receiver, logged in with its id as user name and
//! client id, publishes only its own frames and status, leaves its will
//! only on its own status, and subscribes only to its own delivery
//! confirmations (`done`). At most [`MAX_PENDING`] connections (and
//! [`MAX_PENDING_PER_ADDRESS`] from one address) may be waiting to log in,
//! each for at most ten seconds. Packets are read with rumqttc's
//! `mqttbytes` (`connect.rs`, `inspect.rs`); only the decisions are ours. Receivers log in with the credentials in
//! `credentials_file` (`receiver_id:password` a line), or with any password
//! in anonymous mode; the collector's own subscriber gets a random password
//! generated at start and connects to the loopback port directly. rumqttd
//! checks every login again, but a process on the same host that connects
//! to the loopback port itself bypasses the ACL: in a container that is
//! only the collector.

mod access;
mod acl;
mod admission;
mod connect;
mod credentials;
mod endpoint;
mod gate;
mod inspect;
mod loopback;
mod report;
mod tls;
mod violation;

pub use access::Access;
pub use credentials::load_credentials;
pub use endpoint::{Endpoint, Opened};

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use access::Refusal;

/// The username the collector's own subscriber uses on the embedded broker.
pub const INTERNAL_USER: &str = "cloudradar-collector";

/// Connections from one address (an IPv6 /64) that have not logged in
/// yet: an agent needs one, a site with many receivers behind one NAT a
/// few at once after an outage.
pub const MAX_PENDING_PER_ADDRESS: usize = 16;
/// Connections that have not logged in yet, in all: each holds a file
/// descriptor and a read buffer for at most [`gate::LOGIN_TIMEOUT`].
pub const MAX_PENDING: usize = 512;

/// Every label value of the gate's counters, registered at start so each
/// series exists (at 0) before the first refusal.
pub fn register_metrics() {
    for r in Refusal::ALL {
        metrics::counter!("cloudradar_collector_mqtt_auth_refused_total", "reason" => r.reason())
            .increment(0);
    }
    for reason in [
        "address_limit",
        "total_limit",
        "login_timeout",
        "tls_handshake",
    ] {
        metrics::counter!("cloudradar_collector_mqtt_connections_refused_total", "reason" => reason)
            .increment(0);
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

/// Starts the broker on a loopback port and the gate on `listen` (plain
/// MQTT) and, when given, a TLS listener (MQTT over TLS for agents across
/// the internet; the same credentials and ACL apply). The gate's tasks
/// belong to `tracker` and stop with `cancel`. Returns the broker's
/// loopback address, for the collector's own subscriber.
pub async fn start(
    listen: SocketAddr,
    tls: Option<TlsListener>,
    access: Access,
    max_payload: usize,
    hold: tokio::sync::watch::Receiver<bool>,
    tracker: &TaskTracker,
    cancel: &CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let tls = match &tls {
        Some(t) => Some((
            t.listen,
            TlsAcceptor::from(tls::server_config(&t.cert_file, &t.key_file)?),
        )),
        None => None,
    };
    // Fail early with a clear message if a port is taken.
    let plain = TcpListener::bind(listen)
        .await
        .with_context(|| format!("MQTT listen address {listen} is not available"))?;
    let secure = match tls {
        Some((addr, acceptor)) => Some((
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("MQTT TLS listen address {addr} is not available"))?,
            acceptor,
        )),
        None => None,
    };
    // Tests and operators bind port 0 and read the bound address from here.
    tracing::info!(mqtt_addr = %plain.local_addr()?, "MQTT listening");
    if let Some((listener, _)) = &secure {
        tracing::info!(mqtt_tls_addr = %listener.local_addr()?, "MQTT TLS listening");
    }
    let internal = loopback::start_rumqttd(access.clone(), max_payload)?;
    let gate = Arc::new(gate::Gate {
        upstream: internal,
        access,
        max_remaining: max_payload + 1024,
        hold,
        admission: admission::Admission::new(MAX_PENDING_PER_ADDRESS, MAX_PENDING),
    });
    tracker.spawn(gate::serve(
        plain,
        None,
        gate.clone(),
        tracker.clone(),
        cancel.clone(),
    ));
    if let Some((listener, acceptor)) = secure {
        tracker.spawn(gate::serve(
            listener,
            Some(acceptor),
            gate,
            tracker.clone(),
            cancel.clone(),
        ));
    }
    Ok(internal)
}
