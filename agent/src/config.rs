//! Agent configuration: one struct, every field documented, defaults that
//! run out of the box. Each field is at once a TOML key, a flag and a
//! `CLOUDRADAR_*` variable; its doc comment is the `--help` text and the
//! README's table row, its `#[arg]` default the only default. Precedence:
//! command-line flag, then its environment variable, then the TOML file
//! (`--config`, default `/etc/cloudradar/agent.toml` when it exists), then
//! the default (`cloudradar_shared::settings`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{ArgMatches, Args};
use cloudradar_shared::redact::{MASK, mask_url_password, url_has_userinfo};
use cloudradar_shared::settings;
use serde::{Deserialize, Serialize};

/// Effective agent configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Receiver id; generated once and kept in `data_dir/receiver-id` when unset.
    #[arg(long, env = "CLOUDRADAR_RECEIVER_ID")]
    pub receiver_id: Option<String>,
    /// Directory for the spool, the receiver id and the batch sequence.
    #[arg(long, env = "CLOUDRADAR_DATA_DIR", default_value = "agent-data")]
    pub data_dir: PathBuf,
    /// Inputs: `tcp:HOST:PORT[:beast|avr]`, `serial:DEVICE[:BAUD][:beast|avr]`,
    /// `file:PATH[:beast|avr|csv]`. A Beast or AVR file whose frames carry
    /// the receiver's 12 MHz clock is timed by it, unpaced: a frame's time
    /// is the file's modification time minus the clock span of the file
    /// plus the clock time since its first frame (the last frame lands at
    /// the time the recorder last wrote; set the file's mtime with
    /// `touch -d` to move a back-fill). The base is kept with the file's
    /// position in `data_dir/inputs/`, so a resumed back-fill keeps it.
    #[arg(
        long = "input",
        env = "CLOUDRADAR_INPUTS",
        value_delimiter = ',',
        default_value = "tcp:127.0.0.1:30005:beast"
    )]
    pub inputs: Vec<String>,
    /// Beast and AVR files without a receiver clock (every timestamp 0)
    /// are replayed at most this many frames a second (0: as fast as they
    /// can be read). They carry no reception time, so they are stamped
    /// with the time they are read; faster than the
    /// collector's per-receiver limit (`receiver_max_frames_per_s`, default
    /// 50,000), a back-fill would be dropped there as a flood. CSV
    /// recordings and clocked files keep their own times and are never
    /// paced.
    #[arg(
        long,
        env = "CLOUDRADAR_FILE_MAX_FRAMES_PER_S",
        default_value_t = 20_000
    )]
    pub file_max_frames_per_s: u64,
    /// Collector broker: `mqtt://host[:port]` (default port 1883) or, with
    /// TLS, `mqtts://host[:port]` (default port 8883). Credentials go in
    /// `mqtt_username` and `mqtt_password`, not in the URL.
    #[arg(
        long,
        env = "CLOUDRADAR_MQTT_URL",
        hide_env_values = true,
        default_value = "mqtt://127.0.0.1:1883"
    )]
    pub mqtt_url: String,
    /// For `mqtts://`: PEM bundle of the CA certificates to trust for the
    /// broker (default: the system's trust store).
    #[arg(long, env = "CLOUDRADAR_MQTT_CA_FILE")]
    pub mqtt_ca_file: Option<PathBuf>,
    /// For `mqtts://`: PEM client certificate (chain) to present, for
    /// brokers that require one (mutual TLS); needs `mqtt_client_key_file`.
    #[arg(long, env = "CLOUDRADAR_MQTT_CLIENT_CERT_FILE")]
    pub mqtt_client_cert_file: Option<PathBuf>,
    /// For `mqtts://`: PEM private key of `mqtt_client_cert_file`.
    #[arg(long, env = "CLOUDRADAR_MQTT_CLIENT_KEY_FILE")]
    pub mqtt_client_key_file: Option<PathBuf>,
    /// Broker username (defaults to the receiver id).
    #[arg(long, env = "CLOUDRADAR_MQTT_USERNAME")]
    pub mqtt_username: Option<String>,
    /// Broker password.
    #[arg(long, env = "CLOUDRADAR_MQTT_PASSWORD", hide_env_values = true)]
    pub mqtt_password: Option<String>,
    /// Seconds between MQTT keep-alive pings; a connection that answers
    /// none for about twice this long is dropped and made again (lower it
    /// on links that fail silently, e.g. mobile).
    #[arg(long, env = "CLOUDRADAR_MQTT_KEEP_ALIVE_S", default_value_t = 20)]
    pub mqtt_keep_alive_s: u64,
    /// When a batch leaves the spool: `collector` once the collector
    /// confirms it stored it (or dropped it on purpose, counted), so a
    /// broker that loses what it acknowledged loses nothing; `broker` once
    /// the broker acknowledges it, for collectors that send no
    /// confirmations (before 0.2).
    #[arg(
        long,
        env = "CLOUDRADAR_DELIVERY",
        value_enum,
        default_value = "collector"
    )]
    pub delivery: Delivery,
    /// Most batches out and not yet confirmed by the collector; beyond,
    /// new batches wait in the spool until it catches up.
    #[arg(long, env = "CLOUDRADAR_MAX_UNCONFIRMED", default_value_t = 256)]
    pub max_unconfirmed: usize,
    /// Seconds until a batch the broker took but the collector has not
    /// confirmed is sent again (doubled for each further re-send of it, at
    /// most 600); every reconnect sends them all again.
    #[arg(long, env = "CLOUDRADAR_CONFIRM_TIMEOUT_S", default_value_t = 30)]
    pub confirm_timeout_s: u64,
    /// Receiver latitude, degrees (optional; reported in status).
    #[arg(long, env = "CLOUDRADAR_LAT", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// Receiver longitude, degrees.
    #[arg(long, env = "CLOUDRADAR_LON", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// Antenna height above the WGS84 ellipsoid, metres (optional;
    /// reported in status for multilateration, which otherwise takes the
    /// antenna at the ellipsoid; height above sea level plus the local
    /// geoid height).
    #[arg(long, env = "CLOUDRADAR_ALT_M", allow_hyphen_values = true)]
    pub alt_m: Option<f64>,
    /// A batch is sent when it holds this many frames…
    #[arg(long, env = "CLOUDRADAR_BATCH_MAX_FRAMES", default_value_t = 2000)]
    pub batch_max_frames: usize,
    /// …or this many milliseconds after its first frame.
    #[arg(long, env = "CLOUDRADAR_BATCH_INTERVAL_MS", default_value_t = 250)]
    pub batch_interval_ms: u64,
    /// Identical frames within this many milliseconds are sent once (0 = off).
    #[arg(long, env = "CLOUDRADAR_DEDUP_WINDOW_MS", default_value_t = 100)]
    pub dedup_window_ms: u64,
    /// Reduce mode: keep every identity/status message but at most one
    /// position (per CPR format) and one velocity per aircraft in this many
    /// milliseconds, like readsb's `--net-beast-reduce` (0 = off: full rate,
    /// what multilateration needs). See the `reduce` module for the rules.
    #[arg(long, env = "CLOUDRADAR_REDUCE_INTERVAL_MS", default_value_t = 0)]
    pub reduce_interval_ms: u64,
    /// Spool size bound, bytes; the oldest batches are dropped (and counted) beyond it.
    #[arg(long, env = "CLOUDRADAR_SPOOL_MAX_BYTES", default_value_t = 512 * 1024 * 1024)]
    pub spool_max_bytes: u64,
    /// Spooled batches older than this many seconds are dropped (and counted).
    #[arg(long, env = "CLOUDRADAR_SPOOL_MAX_AGE_S", default_value_t = 7 * 24 * 3600)]
    pub spool_max_age_s: u64,
    /// Local HTTP address for `/metrics` and `/healthz` (off when unset).
    #[arg(long, env = "CLOUDRADAR_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// Seconds between status/statistics messages.
    #[arg(long, env = "CLOUDRADAR_STATUS_INTERVAL_S", default_value_t = 30)]
    pub status_interval_s: u64,
    /// Log format: `text` or `json`.
    #[arg(
        long,
        env = "CLOUDRADAR_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
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
        settings::defaults()
    }
}

/// Most frames a batch may be configured to hold: about 200-450 KiB
/// encoded, well under the collector's default `max_batch_bytes` (1 MiB).
pub const MAX_BATCH_FRAMES: usize = 20_000;

/// The default configuration file location.
pub const DEFAULT_FILE: &str = "/etc/cloudradar/agent.toml";

impl Config {
    /// The effective configuration: the defaults, the TOML `file` (or
    /// [`DEFAULT_FILE`] when it exists) over them, then every setting
    /// `matches` (a command line parsed with this struct's arguments) got
    /// from a flag or an environment variable.
    pub fn load(file: Option<&Path>, matches: &ArgMatches) -> anyhow::Result<Self> {
        let default_file = Path::new(DEFAULT_FILE);
        let file = file.or_else(|| default_file.exists().then_some(default_file));
        let base = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        let c = settings::layer(&base, matches)?;
        c.validate().with_context(|| match file {
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
        let broker = cloudradar_shared::mqtt_url::MqttUrl::parse(&self.mqtt_url)
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
#[path = "config_tests.rs"]
mod tests;
