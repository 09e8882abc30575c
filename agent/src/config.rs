//! Agent configuration: one struct, every field documented, defaults that
//! run out of the box. Precedence: command-line flag, then its
//! `CLOUDRADAR_*` environment variable, then the TOML file (`--config`,
//! default `/etc/cloudradar/agent.toml` when it exists), then the default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use cloudradar_shared::redact::{MASK, mask_url_password, url_has_userinfo};
use serde::{Deserialize, Serialize};

/// Effective agent configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Receiver id; generated once and kept in `data_dir/receiver-id` when unset.
    pub receiver_id: Option<String>,
    /// Directory for the spool, the receiver id and the batch sequence.
    pub data_dir: PathBuf,
    /// Inputs: `tcp:HOST:PORT[:beast|avr]`, `serial:DEVICE[:BAUD][:beast|avr]`,
    /// `file:PATH[:beast|avr|csv]`.
    pub inputs: Vec<String>,
    /// Beast and AVR files are replayed at most this many frames a second
    /// (0: as fast as they can be read). They carry no reception time, so
    /// they are stamped with the time they are read; faster than the
    /// collector's per-receiver limit (`receiver_max_frames_per_s`, default
    /// 50,000), a back-fill would be dropped there as a flood. CSV
    /// recordings keep their own times and are never paced.
    pub file_max_frames_per_s: u64,
    /// Collector broker: `mqtt://host[:port]` (default port 1883) or, with
    /// TLS, `mqtts://host[:port]` (default port 8883). Credentials go in
    /// `mqtt_username` and `mqtt_password`, not in the URL.
    pub mqtt_url: String,
    /// For `mqtts://`: PEM bundle of the CA certificates to trust for the
    /// broker (default: the system's trust store).
    pub mqtt_ca_file: Option<PathBuf>,
    /// For `mqtts://`: PEM client certificate (chain) to present, for
    /// brokers that require one (mutual TLS); needs `mqtt_client_key_file`.
    pub mqtt_client_cert_file: Option<PathBuf>,
    /// For `mqtts://`: PEM private key of `mqtt_client_cert_file`.
    pub mqtt_client_key_file: Option<PathBuf>,
    /// Broker username (defaults to the receiver id).
    pub mqtt_username: Option<String>,
    /// Broker password.
    pub mqtt_password: Option<String>,
    /// Seconds between MQTT keep-alive pings; a connection that answers
    /// none for about twice this long is dropped and made again (lower it
    /// on links that fail silently, e.g. mobile).
    pub mqtt_keep_alive_s: u64,
    /// When a batch leaves the spool: `collector` once the collector
    /// confirms it stored it (or dropped it on purpose, counted), so a
    /// broker that loses what it acknowledged loses nothing; `broker` once
    /// the broker acknowledges it, for collectors that send no
    /// confirmations (before 0.2).
    pub delivery: Delivery,
    /// Most batches out and not yet confirmed by the collector; beyond,
    /// new batches wait in the spool until it catches up.
    pub max_unconfirmed: usize,
    /// Seconds until a batch the broker took but the collector has not
    /// confirmed is sent again (doubled for each further re-send of it, at
    /// most 600); every reconnect sends them all again.
    pub confirm_timeout_s: u64,
    /// Receiver latitude, degrees (optional; reported in status).
    pub lat: Option<f64>,
    /// Receiver longitude, degrees.
    pub lon: Option<f64>,
    /// A batch is sent when it holds this many frames…
    pub batch_max_frames: usize,
    /// …or this many milliseconds after its first frame.
    pub batch_interval_ms: u64,
    /// Identical frames within this many milliseconds are sent once (0 = off).
    pub dedup_window_ms: u64,
    /// Reduce mode: keep every identity/status message but at most one
    /// position (per CPR format) and one velocity per aircraft in this many
    /// milliseconds, like readsb's `--net-beast-reduce` (0 = off: full rate,
    /// what multilateration needs). See the `reduce` module for the rules.
    pub reduce_interval_ms: u64,
    /// Spool size bound, bytes; the oldest batches are dropped (and counted) beyond it.
    pub spool_max_bytes: u64,
    /// Spooled batches older than this many seconds are dropped (and counted).
    pub spool_max_age_s: u64,
    /// Local HTTP address for `/metrics` and `/healthz` (off when unset).
    pub http_listen: Option<SocketAddr>,
    /// Seconds between status/statistics messages.
    pub status_interval_s: u64,
    /// Log format: `text` or `json`.
    pub log_format: LogFormat,
}

/// What takes a batch off the spool (see `delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// The collector's confirmation that it is done with the batch.
    Collector,
    /// The broker's acknowledgement.
    Broker,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            receiver_id: None,
            data_dir: PathBuf::from("agent-data"),
            inputs: vec!["tcp:127.0.0.1:30005:beast".into()],
            file_max_frames_per_s: 20_000,
            mqtt_url: "mqtt://127.0.0.1:1883".into(),
            mqtt_ca_file: None,
            mqtt_client_cert_file: None,
            mqtt_client_key_file: None,
            mqtt_username: None,
            mqtt_password: None,
            mqtt_keep_alive_s: 20,
            delivery: Delivery::Collector,
            max_unconfirmed: 256,
            confirm_timeout_s: 30,
            lat: None,
            lon: None,
            batch_max_frames: 2000,
            batch_interval_ms: 250,
            dedup_window_ms: 100,
            reduce_interval_ms: 0,
            spool_max_bytes: 512 * 1024 * 1024,
            spool_max_age_s: 7 * 24 * 3600,
            http_listen: None,
            status_interval_s: 30,
            log_format: LogFormat::Text,
        }
    }
}

/// Command-line overrides; each also reads its `CLOUDRADAR_*` variable.
#[derive(Debug, Clone, Default, Args)]
pub struct Overrides {
    /// TOML configuration file (default `/etc/cloudradar/agent.toml` if present).
    #[arg(long, env = "CLOUDRADAR_CONFIG")]
    pub config: Option<PathBuf>,
    /// See `receiver_id`.
    #[arg(long, env = "CLOUDRADAR_RECEIVER_ID")]
    pub receiver_id: Option<String>,
    /// See `data_dir`.
    #[arg(long, env = "CLOUDRADAR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// See `inputs` (repeatable; replaces the file's list).
    #[arg(long = "input", env = "CLOUDRADAR_INPUTS", value_delimiter = ',')]
    pub inputs: Vec<String>,
    /// See `file_max_frames_per_s`.
    #[arg(long, env = "CLOUDRADAR_FILE_MAX_FRAMES_PER_S")]
    pub file_max_frames_per_s: Option<u64>,
    /// See `mqtt_url`.
    #[arg(long, env = "CLOUDRADAR_MQTT_URL", hide_env_values = true)]
    pub mqtt_url: Option<String>,
    /// See `mqtt_ca_file`.
    #[arg(long, env = "CLOUDRADAR_MQTT_CA_FILE")]
    pub mqtt_ca_file: Option<PathBuf>,
    /// See `mqtt_client_cert_file`.
    #[arg(long, env = "CLOUDRADAR_MQTT_CLIENT_CERT_FILE")]
    pub mqtt_client_cert_file: Option<PathBuf>,
    /// See `mqtt_client_key_file`.
    #[arg(long, env = "CLOUDRADAR_MQTT_CLIENT_KEY_FILE")]
    pub mqtt_client_key_file: Option<PathBuf>,
    /// See `mqtt_username`.
    #[arg(long, env = "CLOUDRADAR_MQTT_USERNAME")]
    pub mqtt_username: Option<String>,
    /// See `mqtt_password`.
    #[arg(long, env = "CLOUDRADAR_MQTT_PASSWORD", hide_env_values = true)]
    pub mqtt_password: Option<String>,
    /// See `mqtt_keep_alive_s`.
    #[arg(long, env = "CLOUDRADAR_MQTT_KEEP_ALIVE_S")]
    pub mqtt_keep_alive_s: Option<u64>,
    /// See `delivery`.
    #[arg(long, env = "CLOUDRADAR_DELIVERY", value_enum)]
    pub delivery: Option<Delivery>,
    /// See `confirm_timeout_s`.
    #[arg(long, env = "CLOUDRADAR_CONFIRM_TIMEOUT_S")]
    pub confirm_timeout_s: Option<u64>,
    /// See `lat`.
    #[arg(long, env = "CLOUDRADAR_LAT", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// See `lon`.
    #[arg(long, env = "CLOUDRADAR_LON", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// See `batch_interval_ms`.
    #[arg(long, env = "CLOUDRADAR_BATCH_INTERVAL_MS")]
    pub batch_interval_ms: Option<u64>,
    /// See `dedup_window_ms`.
    #[arg(long, env = "CLOUDRADAR_DEDUP_WINDOW_MS")]
    pub dedup_window_ms: Option<u64>,
    /// See `reduce_interval_ms`.
    #[arg(long, env = "CLOUDRADAR_REDUCE_INTERVAL_MS")]
    pub reduce_interval_ms: Option<u64>,
    /// See `http_listen`.
    #[arg(long, env = "CLOUDRADAR_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// See `log_format`.
    #[arg(long, env = "CLOUDRADAR_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// Most frames a batch may be configured to hold: about 200-450 KiB
/// encoded, well under the collector's default `max_batch_bytes` (1 MiB).
pub const MAX_BATCH_FRAMES: usize = 20_000;

/// The default configuration file location.
pub const DEFAULT_FILE: &str = "/etc/cloudradar/agent.toml";

impl Config {
    /// Builds the effective configuration.
    pub fn load(o: &Overrides) -> anyhow::Result<Self> {
        let file = o.config.clone().or_else(|| {
            Path::new(DEFAULT_FILE)
                .exists()
                .then(|| PathBuf::from(DEFAULT_FILE))
        });
        let mut c = match &file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        if !o.inputs.is_empty() {
            c.inputs = o.inputs.clone();
        }
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = &o.$f { c.$f = v.clone(); } )* };
        }
        set!(
            data_dir,
            file_max_frames_per_s,
            mqtt_url,
            mqtt_keep_alive_s,
            delivery,
            confirm_timeout_s,
            batch_interval_ms,
            dedup_window_ms,
            reduce_interval_ms,
            log_format
        );
        macro_rules! set_opt {
            ($($f:ident),*) => { $( if o.$f.is_some() { c.$f = o.$f.clone(); } )* };
        }
        set_opt!(
            receiver_id,
            mqtt_ca_file,
            mqtt_client_cert_file,
            mqtt_client_key_file,
            mqtt_username,
            mqtt_password,
            lat,
            lon,
            http_listen
        );
        c.validate().with_context(|| match &file {
            Some(f) => format!("config {}", f.display()),
            None => "configuration".to_string(),
        })?;
        Ok(c)
    }

    /// Reads a TOML file; errors name the file and the key.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
    }

    fn validate(&self) -> anyhow::Result<()> {
        for i in &self.inputs {
            crate::input::Spec::parse(i).with_context(|| format!("key `inputs`: {i:?}"))?;
        }
        if let Some(id) = &self.receiver_id
            && !cloudradar_shared::wire::valid_receiver_id(id)
        {
            anyhow::bail!("key `receiver_id`: {id:?} must be 1-64 of A-Z a-z 0-9 - _ .");
        }
        let url = mask_url_password(&self.mqtt_url);
        if url_has_userinfo(&self.mqtt_url) {
            anyhow::bail!(
                "key `mqtt_url`: {url:?} holds credentials, which are not used; \
                 set mqtt_username and mqtt_password"
            );
        }
        let broker = crate::publish::Broker::parse(&self.mqtt_url)
            .with_context(|| format!("key `mqtt_url`: {url:?}"))?;
        if broker.tls {
            self.tls()?;
        } else if let Some(key) = [
            ("mqtt_ca_file", &self.mqtt_ca_file),
            ("mqtt_client_cert_file", &self.mqtt_client_cert_file),
            ("mqtt_client_key_file", &self.mqtt_client_key_file),
        ]
        .iter()
        .find_map(|(k, v)| v.is_some().then_some(k))
        {
            anyhow::bail!(
                "key `{key}` is set but `mqtt_url` {url:?} is not `mqtts://`: \
                 the connection would not use TLS"
            );
        }
        if !(2..=3600).contains(&self.mqtt_keep_alive_s) {
            anyhow::bail!("key `mqtt_keep_alive_s`: must be within 2..3600 seconds");
        }
        if self.max_unconfirmed == 0 {
            anyhow::bail!("key `max_unconfirmed`: must be positive");
        }
        if !(1..=3600).contains(&self.confirm_timeout_s) {
            anyhow::bail!("key `confirm_timeout_s`: must be within 1..3600 seconds");
        }
        if self.batch_max_frames == 0 || self.batch_interval_ms == 0 {
            anyhow::bail!("keys `batch_max_frames` and `batch_interval_ms` must be positive");
        }
        if self.batch_max_frames > MAX_BATCH_FRAMES {
            anyhow::bail!(
                "key `batch_max_frames`: at most {MAX_BATCH_FRAMES} (a larger batch can exceed the collector's max_batch_bytes, 1 MiB by default, and would be refused)"
            );
        }
        if self.lat.is_some_and(|l| !(-90.0..=90.0).contains(&l)) {
            anyhow::bail!("key `lat`: must be within -90..90");
        }
        if self.lon.is_some_and(|l| !(-180.0..=180.0).contains(&l)) {
            anyhow::bail!("key `lon`: must be within -180..180");
        }
        Ok(())
    }

    /// The rustls settings for an `mqtts://` broker, files read and checked.
    pub fn tls(&self) -> anyhow::Result<std::sync::Arc<rustls::ClientConfig>> {
        crate::tls::client_config(crate::tls::Files {
            ca: self.mqtt_ca_file.as_deref(),
            client_cert: self.mqtt_client_cert_file.as_deref(),
            client_key: self.mqtt_client_key_file.as_deref(),
        })
    }

    /// The configuration as TOML with the password (and any password in
    /// `mqtt_url`) masked.
    pub fn to_toml_masked(&self) -> String {
        let mut c = self.clone();
        if c.mqtt_password.is_some() {
            c.mqtt_password = Some(MASK.into());
        }
        c.mqtt_url = mask_url_password(&c.mqtt_url);
        toml::to_string(&c).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error loading a config file holding `toml` gives.
    fn load_error(toml: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("agent.toml");
        std::fs::write(&p, toml).unwrap();
        format!(
            "{:#}",
            Config::load(&Overrides {
                config: Some(p),
                ..Overrides::default()
            })
            .unwrap_err()
        )
    }

    #[test]
    fn bad_input_spec_names_the_key_and_file() {
        let err = load_error("inputs = [\"carrier-pigeon:1\"]\n");
        assert!(
            err.contains("agent.toml") && err.contains("inputs"),
            "{err}"
        );
    }

    #[test]
    fn a_batch_larger_than_the_collector_takes_is_refused() {
        let err = load_error("batch_max_frames = 100000\n");
        assert!(
            err.contains("agent.toml") && err.contains("batch_max_frames"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("agent.toml");
        std::fs::write(&p, "batch_intervall_ms = 3\n").unwrap();
        let err = Config::from_file(&p).unwrap_err().to_string();
        assert!(err.contains("batch_intervall_ms"), "{err}");
    }

    #[test]
    fn missing_ca_file_names_the_key_and_the_file() {
        let err = format!(
            "{:#}",
            Config::load(&Overrides {
                mqtt_url: Some("mqtts://broker.example:8883".into()),
                mqtt_ca_file: Some("/nonexistent/broker-ca.pem".into()),
                ..Overrides::default()
            })
            .unwrap_err()
        );
        assert!(
            err.contains("mqtt_ca_file") && err.contains("/nonexistent/broker-ca.pem"),
            "{err}"
        );
    }

    #[test]
    fn tls_files_without_mqtts_are_refused() {
        let err = format!(
            "{:#}",
            Config::load(&Overrides {
                mqtt_url: Some("mqtt://broker.example:1883".into()),
                mqtt_ca_file: Some("ca.pem".into()),
                ..Overrides::default()
            })
            .unwrap_err()
        );
        assert!(
            err.contains("mqtt_ca_file") && err.contains("mqtts://"),
            "{err}"
        );
    }

    #[test]
    fn unknown_url_scheme_is_refused() {
        let err = format!(
            "{:#}",
            Config::load(&Overrides {
                mqtt_url: Some("ws://broker.example:80".into()),
                ..Overrides::default()
            })
            .unwrap_err()
        );
        assert!(err.contains("mqtt_url") && err.contains("ws"), "{err}");
    }

    /// Regression: a password in `mqtt_url` was printed in the error the
    /// URL gave (it is not read from there: the broker saw it as part of
    /// the host name).
    #[test]
    fn credentials_in_the_url_are_refused_without_showing_them() {
        for url in [
            "mqtt://rx-1:hunter2@broker:1883",
            "mqtts://rx-1:hunter2@broker",
        ] {
            let err = format!(
                "{:#}",
                Config::load(&Overrides {
                    mqtt_url: Some(url.into()),
                    ..Overrides::default()
                })
                .unwrap_err()
            );
            assert!(
                err.contains("mqtt_password") && err.contains("rx-1:********@broker"),
                "{err}"
            );
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn flags_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("agent.toml");
        std::fs::write(&p, "mqtt_url = \"mqtt://a:1\"\nbatch_interval_ms = 100\n").unwrap();
        let c = Config::load(&Overrides {
            config: Some(p),
            mqtt_url: Some("mqtt://b:2".into()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(c.mqtt_url, "mqtt://b:2");
        assert_eq!(c.batch_interval_ms, 100);
    }
}
