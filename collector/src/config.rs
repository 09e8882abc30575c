//! Collector configuration: one struct, every field documented, defaults
//! that run out of the box. Precedence: command-line flag, then its
//! `CLOUDRADAR_*` environment variable, then the TOML file (`--config`),
//! then the default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};

/// Effective collector configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for the SQLite database (`cloudradar.sqlite`) and state.
    pub data_dir: PathBuf,
    /// Address of the HTTP API, dashboard, `/metrics`, `/healthz`, `/readyz`.
    pub http_listen: SocketAddr,
    /// Address the embedded MQTT broker listens on (ignored with `mqtt_url`).
    pub mqtt_listen: SocketAddr,
    /// External MQTT broker (`mqtt://host:port`); when set, no embedded broker runs.
    pub mqtt_url: Option<String>,
    /// Username the collector uses on an external broker.
    pub mqtt_username: Option<String>,
    /// Password the collector uses on an external broker.
    pub mqtt_password: Option<String>,
    /// Receiver credentials for the embedded broker: `receiver_id:password` per line.
    pub credentials_file: Option<PathBuf>,
    /// Let the embedded broker accept clients without credentials (demo only).
    pub allow_anonymous: bool,
    /// Redis URL (`redis://host:port`); without it the embedded buffer is used.
    pub redis_url: Option<String>,
    /// Redis stream holding accepted batches.
    pub redis_stream: String,
    /// Approximate bound on the stream length (batches).
    pub redis_maxlen: usize,
    /// Batches held in memory while the buffer is unreachable, before
    /// ingest stops reading from the broker.
    pub queue_capacity: usize,
    /// A gap longer than this (seconds) starts a new flight.
    pub flight_gap_s: u64,
    /// Identical frames from several receivers within this window (ms) are one message.
    pub dedup_window_ms: u64,
    /// Largest accepted batch, bytes (compressed).
    pub max_batch_bytes: usize,
    /// Days positions are kept.
    pub retention_positions_days: u64,
    /// Days raw messages and receptions are kept.
    pub retention_messages_days: u64,
    /// Log format: `text` or `json`.
    pub log_format: LogFormat,
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
            data_dir: PathBuf::from("data"),
            http_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            mqtt_listen: SocketAddr::from(([0, 0, 0, 0], 1883)),
            mqtt_url: None,
            mqtt_username: None,
            mqtt_password: None,
            credentials_file: None,
            allow_anonymous: false,
            redis_url: None,
            redis_stream: "cloudradar:batches".into(),
            redis_maxlen: 1_000_000,
            queue_capacity: 10_000,
            flight_gap_s: 1800,
            dedup_window_ms: 1000,
            max_batch_bytes: 1 << 20,
            retention_positions_days: 30,
            retention_messages_days: 7,
            log_format: LogFormat::Text,
        }
    }
}

/// Command-line overrides; each also reads its `CLOUDRADAR_*` variable.
#[derive(Debug, Clone, Default, Args)]
pub struct Overrides {
    /// TOML configuration file.
    #[arg(long, env = "CLOUDRADAR_CONFIG")]
    pub config: Option<PathBuf>,
    /// See `data_dir`.
    #[arg(long, env = "CLOUDRADAR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// See `http_listen`.
    #[arg(long, env = "CLOUDRADAR_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// See `mqtt_listen`.
    #[arg(long, env = "CLOUDRADAR_MQTT_LISTEN")]
    pub mqtt_listen: Option<SocketAddr>,
    /// See `mqtt_url`.
    #[arg(long, env = "CLOUDRADAR_MQTT_URL")]
    pub mqtt_url: Option<String>,
    /// See `mqtt_username`.
    #[arg(long, env = "CLOUDRADAR_MQTT_USERNAME")]
    pub mqtt_username: Option<String>,
    /// See `mqtt_password`.
    #[arg(long, env = "CLOUDRADAR_MQTT_PASSWORD", hide_env_values = true)]
    pub mqtt_password: Option<String>,
    /// See `credentials_file`.
    #[arg(long, env = "CLOUDRADAR_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,
    /// See `allow_anonymous`.
    #[arg(long, env = "CLOUDRADAR_ALLOW_ANONYMOUS")]
    pub allow_anonymous: Option<bool>,
    /// See `redis_url`.
    #[arg(long, env = "CLOUDRADAR_REDIS_URL")]
    pub redis_url: Option<String>,
    /// See `log_format`.
    #[arg(long, env = "CLOUDRADAR_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Builds the effective configuration from the file (if any) and overrides.
    pub fn load(o: &Overrides) -> anyhow::Result<Self> {
        let mut c = match &o.config {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = &o.$f { c.$f = v.clone(); } )* };
        }
        set!(
            data_dir,
            http_listen,
            mqtt_listen,
            allow_anonymous,
            log_format
        );
        macro_rules! set_opt {
            ($($f:ident),*) => { $( if o.$f.is_some() { c.$f = o.$f.clone(); } )* };
        }
        set_opt!(
            mqtt_url,
            mqtt_username,
            mqtt_password,
            credentials_file,
            redis_url
        );
        Ok(c)
    }

    /// Reads a TOML file; errors name the file and the offending key.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
    }

    /// Retention periods for the store. Applied-batch records are kept at
    /// least eight days, longer than an agent's default spool age, so a
    /// batch re-sent after a long outage is still recognised.
    pub fn retention(&self) -> crate::store::Retention {
        let day = 86_400_000i64;
        crate::store::Retention {
            positions_ms: self.retention_positions_days as i64 * day,
            messages_ms: self.retention_messages_days as i64 * day,
            batches_ms: (self.retention_messages_days.max(8)) as i64 * day,
        }
    }

    /// The SQLite database path.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("cloudradar.sqlite")
    }

    /// The configuration as TOML with secrets masked, for `--check-config`.
    pub fn to_toml_masked(&self) -> String {
        let mut c = self.clone();
        if c.mqtt_password.is_some() {
            c.mqtt_password = Some("********".into());
        }
        toml::to_string(&c).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_are_overridden_by_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "data_dir = \"/srv/x\"\nredis_url = \"redis://a:1\"\nflight_gap_s = 60\n",
        )
        .unwrap();
        let o = Overrides {
            config: Some(path),
            redis_url: Some("redis://b:2".into()),
            ..Overrides::default()
        };
        let c = Config::load(&o).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/x"));
        assert_eq!(c.redis_url.as_deref(), Some("redis://b:2"));
        assert_eq!(c.flight_gap_s, 60);
    }

    #[test]
    fn unknown_key_names_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "data_dri = \"x\"\n").unwrap();
        let err = Config::from_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml") && err.contains("data_dri"),
            "{err}"
        );
    }

    #[test]
    fn wrong_type_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "flight_gap_s = \"soon\"\n").unwrap();
        let err = Config::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("flight_gap_s"), "{err}");
    }

    #[test]
    fn masked_output_hides_the_password() {
        let c = Config {
            mqtt_password: Some("hunter2".into()),
            ..Config::default()
        };
        let t = c.to_toml_masked();
        assert!(!t.contains("hunter2") && t.contains("********"));
    }
}
