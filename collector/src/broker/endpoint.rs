//! The broker the collector subscribes to, as a component: the embedded
//! one (started here, behind the gate) unless `mqtt_url` names an
//! external one.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use tokio::sync::watch;

use super::{Access, INTERNAL_USER, TlsListener};
use crate::component::{Component, Tasks};
use crate::config::Config;
use crate::ingest::Connection;

/// Chooses and starts the broker.
#[derive(Debug)]
pub struct Endpoint {
    /// The collector's settings (the `mqtt_*`, `credentials_file`,
    /// `allow_anonymous` and `max_batch_bytes` ones are read).
    pub config: Config,
    /// Set while the ingest queue is nearly full: the gate stops reading
    /// from receivers.
    pub hold: watch::Receiver<bool>,
}

/// Where the subscriber connects.
#[derive(Debug)]
pub struct Opened {
    /// Host, port and credentials.
    pub connection: Connection,
    /// Set by the subscriber once it is subscribed: only then does the
    /// embedded broker let receivers in, so no batch is taken that nobody
    /// reads.
    pub open: Arc<AtomicBool>,
}

impl Component for Endpoint {
    type Handle = Opened;

    async fn start(self, tasks: &Tasks) -> anyhow::Result<Opened> {
        let open = Arc::new(AtomicBool::new(false));
        let c = &self.config;
        let connection = match &c.mqtt_url {
            Some(url) => Connection {
                shared: c.mqtt_shared_subscription,
                ..Connection::from_url(url, c.mqtt_username.clone().zip(c.mqtt_password.clone()))?
            },
            None => self.start_embedded(open.clone(), tasks).await?,
        };
        Ok(Opened { connection, open })
    }
}

impl Endpoint {
    async fn start_embedded(
        &self,
        open: Arc<AtomicBool>,
        tasks: &Tasks,
    ) -> anyhow::Result<Connection> {
        let c = &self.config;
        let credentials = match (&c.credentials_file, c.allow_anonymous) {
            (_, true) => None,
            (Some(p), false) => Some(super::load_credentials(p)?),
            (None, false) => Some(HashMap::new()),
        };
        // The subscriber's password on the embedded broker, new at every start.
        let internal_password = cloudradar_shared::random::hex_secret(16)
            .context("drawing the embedded broker's internal password")?;
        let access = Access {
            internal_password: internal_password.clone(),
            credentials,
            open,
        };
        let tls = match (
            c.mqtt_tls_listen,
            &c.mqtt_tls_cert_file,
            &c.mqtt_tls_key_file,
        ) {
            (Some(listen), Some(cert), Some(key)) => Some(TlsListener {
                listen,
                cert_file: cert.display().to_string(),
                key_file: key.display().to_string(),
            }),
            _ => None,
        };
        let internal = super::start(
            c.mqtt_listen,
            tls,
            access,
            c.max_batch_bytes,
            self.hold.clone(),
            &tasks.tracker,
            &tasks.cancel,
        )
        .await?;
        if let Some(t) = c.mqtt_tls_listen {
            tracing::info!(listen = %t, "embedded MQTT broker: TLS listener");
        }
        tracing::info!(listen = %c.mqtt_listen, anonymous = c.allow_anonymous, %internal, "embedded MQTT broker started");
        Ok(Connection {
            host: internal.ip().to_string(),
            port: internal.port(),
            credentials: Some((INTERNAL_USER.to_string(), internal_password)),
            // rumqttd 0.20 panics when a shared-subscription member disconnects.
            shared: false,
            external: false,
        })
    }
}
