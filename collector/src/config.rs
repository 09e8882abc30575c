//! Collector configuration: one struct, every field documented, defaults
//! that run out of the box. Each field is at once a TOML key, a flag and
//! a `CLOUDRADAR_*` variable; its doc comment is the `--help` text and the
//! README's table row, its `#[arg]` default the only default. Precedence:
//! command-line flag, then its environment variable, then the TOML file
//! (`--config`), then the default (`cloudradar_shared::settings`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{ArgAction, ArgMatches, Args};
use cloudradar_shared::mqtt_url::MqttUrl;
use cloudradar_shared::redact::{MASK, mask_url_password, url_has_userinfo};
use cloudradar_shared::settings;
use serde::{Deserialize, Serialize};

/// Effective collector configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for the SQLite database (`cloudradar.sqlite`) and state.
    #[arg(long, env = "CLOUDRADAR_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Address of the HTTP API, dashboard, `/metrics`, `/healthz`, `/readyz`.
    #[arg(long, env = "CLOUDRADAR_HTTP_LISTEN", default_value = "127.0.0.1:8080")]
    pub http_listen: SocketAddr,
    /// Address the embedded MQTT broker listens on (ignored with `mqtt_url`).
    /// Receivers log in with their receiver id as user name and may publish
    /// only on `cloudradar/v1/<id>/...`.
    #[arg(long, env = "CLOUDRADAR_MQTT_LISTEN", default_value = "0.0.0.0:1883")]
    pub mqtt_listen: SocketAddr,
    /// Address of the embedded broker's MQTT-over-TLS listener (agents
    /// across the internet use `mqtts://`); off unless set.
    #[arg(long, env = "CLOUDRADAR_MQTT_TLS_LISTEN")]
    pub mqtt_tls_listen: Option<SocketAddr>,
    /// PEM certificate chain for the TLS listener.
    #[arg(long, env = "CLOUDRADAR_MQTT_TLS_CERT_FILE")]
    pub mqtt_tls_cert_file: Option<PathBuf>,
    /// PEM private key for the TLS listener.
    #[arg(long, env = "CLOUDRADAR_MQTT_TLS_KEY_FILE")]
    pub mqtt_tls_key_file: Option<PathBuf>,
    /// External MQTT broker (`mqtt://host:port`); when set, no embedded
    /// broker runs. Credentials go in `mqtt_username` and `mqtt_password`.
    #[arg(long, env = "CLOUDRADAR_MQTT_URL", hide_env_values = true)]
    pub mqtt_url: Option<String>,
    /// Username the collector uses on an external broker.
    #[arg(long, env = "CLOUDRADAR_MQTT_USERNAME")]
    pub mqtt_username: Option<String>,
    /// Password the collector uses on an external broker.
    #[arg(long, env = "CLOUDRADAR_MQTT_PASSWORD", hide_env_values = true)]
    pub mqtt_password: Option<String>,
    /// On an external broker, subscribe to batches with a shared
    /// subscription (`$share/cloudradar/...`) so several collectors split
    /// the load. Off by default: Mosquitto 2.0 does not restore shared
    /// subscriptions from its persistence file, so after a broker restart
    /// the batches agents publish before the collector has subscribed again
    /// are acknowledged to them and lost (the fault suite's broker scenario
    /// showed it); a plain persistent subscription is restored, and they
    /// wait for the collector.
    #[arg(long, env = "CLOUDRADAR_MQTT_SHARED_SUBSCRIPTION", action = ArgAction::Set, default_value_t = false)]
    pub mqtt_shared_subscription: bool,
    /// Receiver credentials for the embedded broker: `receiver_id:password`
    /// per line; the receiver id is also the MQTT user name and client id.
    /// Without it, only the collector may connect.
    #[arg(long, env = "CLOUDRADAR_CREDENTIALS_FILE")]
    pub credentials_file: Option<PathBuf>,
    /// Let the embedded broker accept any password (demo only); the user
    /// name must still be the receiver id, and the topic ACL still applies.
    #[arg(long, env = "CLOUDRADAR_ALLOW_ANONYMOUS", action = ArgAction::Set, default_value_t = false)]
    pub allow_anonymous: bool,
    /// Redis URL (`redis://[:password@]host:port[/db]`); without it the
    /// embedded buffer is used. The password is masked wherever the
    /// configuration is printed.
    #[arg(long, env = "CLOUDRADAR_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Redis stream holding accepted batches.
    #[arg(
        long,
        env = "CLOUDRADAR_REDIS_STREAM",
        default_value = "cloudradar:batches"
    )]
    pub redis_stream: String,
    /// Approximate bound on the stream length (batches).
    #[arg(long, env = "CLOUDRADAR_REDIS_MAXLEN", default_value_t = 1_000_000)]
    pub redis_maxlen: usize,
    /// Batches held in memory while the buffer is unreachable; when it is
    /// nearly full the embedded broker holds receivers back, and ingest
    /// takes no more than the broker's unacknowledged in-flight window.
    #[arg(long, env = "CLOUDRADAR_QUEUE_CAPACITY", default_value_t = 10_000)]
    pub queue_capacity: usize,
    /// Most frames a second one receiver may send, measured on its own
    /// reception clock, with bursts of 10 s worth (0 = no limit). Batches
    /// beyond it are acknowledged and dropped, counted per receiver in
    /// `cloudradar_collector_batches_rate_limited_total`, so one flooding
    /// receiver cannot starve the others; a busy receiver sends 5,000 to
    /// 10,000 frames a second, and one draining its spool after an outage
    /// is not limited (its frames span the outage).
    #[arg(
        long,
        env = "CLOUDRADAR_RECEIVER_MAX_FRAMES_PER_S",
        default_value_t = 50_000
    )]
    pub receiver_max_frames_per_s: u64,
    /// Latitude of the site, decimal degrees (with `site_lon`): where
    /// tar1090 (`/data/receiver.json`) and the dashboard centre the map,
    /// and whence aircraft.json's `r_dst`/`r_dir` are measured. Unset: the
    /// centroid of the receivers that reported a position.
    #[arg(long, env = "CLOUDRADAR_SITE_LAT", allow_negative_numbers = true)]
    pub site_lat: Option<f64>,
    /// Longitude of the site, decimal degrees, east positive (with `site_lat`).
    #[arg(long, env = "CLOUDRADAR_SITE_LON", allow_negative_numbers = true)]
    pub site_lon: Option<f64>,
    /// Multilaterate aircraft without ADS-B positions from the receivers'
    /// 12 MHz timestamps (needs four receivers with known positions
    /// hearing the same replies, and ADS-B aircraft to synchronise their
    /// clocks); positions are stored with source `mlat`.
    #[arg(long, env = "CLOUDRADAR_MLAT", action = ArgAction::Set, default_value_t = true)]
    pub mlat: bool,
    /// A gap longer than this (seconds) starts a new flight.
    #[arg(long, env = "CLOUDRADAR_FLIGHT_GAP_S", default_value_t = 1800)]
    pub flight_gap_s: u64,
    /// Identical frames from several receivers within this window (ms) are one message.
    #[arg(long, env = "CLOUDRADAR_DEDUP_WINDOW_MS", default_value_t = 1000)]
    pub dedup_window_ms: u64,
    /// Largest accepted batch, bytes (compressed).
    #[arg(long, env = "CLOUDRADAR_MAX_BATCH_BYTES", default_value_t = 1 << 20)]
    pub max_batch_bytes: usize,
    /// Days positions are kept.
    #[arg(
        long,
        env = "CLOUDRADAR_RETENTION_POSITIONS_DAYS",
        default_value_t = 30
    )]
    pub retention_positions_days: u64,
    /// Days raw messages and receptions are kept (records of applied
    /// batches: at least 8 days).
    #[arg(long, env = "CLOUDRADAR_RETENTION_MESSAGES_DAYS", default_value_t = 7)]
    pub retention_messages_days: u64,
    /// Largest database size in bytes (0: limited only by the disk). When
    /// it is reached, commits fail as on a full disk: `/readyz` turns not
    /// ready and batches wait in Redis until there is room.
    #[arg(long, env = "CLOUDRADAR_SQLITE_MAX_BYTES", default_value_t = 0)]
    pub sqlite_max_bytes: u64,
    /// Log format: `text` or `json`.
    #[arg(
        long,
        env = "CLOUDRADAR_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
    /// Bearer tokens accepted by the HTTP API and dashboard, at least 16
    /// characters each. With no tokens and no basic-auth users, the HTTP
    /// API is open (demo default).
    #[arg(
        long,
        env = "CLOUDRADAR_HTTP_AUTH_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub http_auth_tokens: Vec<String>,
    /// HTTP basic-auth users, `user:password` each.
    #[arg(
        long,
        env = "CLOUDRADAR_HTTP_BASIC_USERS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub http_basic_users: Vec<String>,
    /// With credentials configured, still let anyone read (GET) the API and
    /// dashboard; administrative endpoints keep requiring credentials.
    #[arg(long, env = "CLOUDRADAR_HTTP_PUBLIC_READ", action = ArgAction::Set, default_value_t = false)]
    pub http_public_read: bool,
    /// History and export queries (SQLite reads) running at once; more wait
    /// up to 250 ms for a slot, then get 503 with `Retry-After`, so a burst
    /// of history queries cannot starve the SQLite writer of CPU.
    #[arg(long, env = "CLOUDRADAR_HTTP_MAX_HISTORY_QUERIES", default_value_t = 2)]
    pub http_max_history_queries: usize,
    /// S3 bucket for database backups; without it, backup is off.
    #[arg(long, env = "CLOUDRADAR_BACKUP_BUCKET")]
    pub backup_bucket: Option<String>,
    /// Key prefix in the bucket; backups go to `<prefix>/<date>/...`.
    #[arg(long, env = "CLOUDRADAR_BACKUP_PREFIX", default_value = "cloudradar")]
    pub backup_prefix: String,
    /// S3 endpoint URL for S3-compatible stores (AWS when unset).
    #[arg(long, env = "CLOUDRADAR_BACKUP_ENDPOINT", hide_env_values = true)]
    pub backup_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, env = "CLOUDRADAR_BACKUP_REGION", default_value = "us-east-1")]
    pub backup_region: String,
    /// Path-style addressing (`endpoint/bucket/key`), which most
    /// S3-compatible servers need.
    #[arg(long, env = "CLOUDRADAR_BACKUP_PATH_STYLE", action = ArgAction::Set, default_value_t = false)]
    pub backup_path_style: bool,
    /// Daily backups kept (the newest of each of the last N days with one).
    #[arg(long, env = "CLOUDRADAR_BACKUP_KEEP_DAILY", default_value_t = 7)]
    pub backup_keep_daily: u32,
    /// Weekly backups kept (the newest of each of the last M ISO weeks with one).
    #[arg(long, env = "CLOUDRADAR_BACKUP_KEEP_WEEKLY", default_value_t = 4)]
    pub backup_keep_weekly: u32,
    /// Hours between in-process backups; 0 leaves it to `cloudradar-collector backup`.
    #[arg(long, env = "CLOUDRADAR_BACKUP_INTERVAL_HOURS", default_value_t = 0)]
    pub backup_interval_hours: u64,
    /// Archive history to the backup bucket as hour-partitioned Parquet
    /// (`<archive_prefix>/positions/date=YYYY-MM-DD/hour=HH/`), for
    /// DuckDB, Trino or pyarrow; needs `backup_bucket`. Positions are then
    /// deleted by retention only once their hour is archived.
    #[arg(long, env = "CLOUDRADAR_ARCHIVE", action = ArgAction::Set, default_value_t = false)]
    pub archive: bool,
    /// Key prefix of the archive in the bucket (the dataset's root).
    #[arg(long, env = "CLOUDRADAR_ARCHIVE_PREFIX", default_value = "archive")]
    pub archive_prefix: String,
    /// This collector's name in the archive's file names, so collectors
    /// that are shards of one network write one dataset without clashing.
    #[arg(long, env = "CLOUDRADAR_ARCHIVE_SHARD", default_value = "collector")]
    pub archive_shard: String,
    /// Minutes after an hour ends before it is archived (rows of that hour
    /// arriving later go into a further file of the same hour).
    #[arg(long, env = "CLOUDRADAR_ARCHIVE_DELAY_MINUTES", default_value_t = 10)]
    pub archive_delay_minutes: u64,
    /// Seconds between looks for hours to archive.
    #[arg(long, env = "CLOUDRADAR_ARCHIVE_INTERVAL_S", default_value_t = 60)]
    pub archive_interval_s: u64,
    /// When the database is missing at start and a backup exists, restore
    /// the latest one before serving.
    #[arg(long, env = "CLOUDRADAR_RESTORE_ON_START", action = ArgAction::Set, default_value_t = true)]
    pub restore_on_start: bool,
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

impl Config {
    /// The effective configuration: the defaults, the TOML `file` over
    /// them, then every setting `matches` (a command line parsed with this
    /// struct's arguments) got from a flag or an environment variable.
    pub fn load(file: Option<&Path>, matches: &ArgMatches) -> anyhow::Result<Self> {
        let base = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        let c = settings::layer(&base, matches)?;
        c.validate().map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}",
                file.map_or("configuration".into(), |p| p.display().to_string())
            )
        })?;
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
            archived_only: self.archive,
        }
    }

    /// Checks values serde cannot: each names its key.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(bad) = self.http_basic_users.iter().find(|u| {
            !matches!(u.split_once(':'), Some((user, pass)) if !user.is_empty() && !pass.is_empty())
        }) {
            let user = bad.split(':').next().unwrap_or_default();
            return Err(format!(
                "http_basic_users: expected user:password, got an entry for {user:?} without one"
            ));
        }
        if self.http_auth_tokens.iter().any(|t| t.len() < 16) {
            return Err("http_auth_tokens: each token needs at least 16 characters".into());
        }
        if self.http_max_history_queries == 0 {
            return Err("http_max_history_queries: at least 1".into());
        }
        if self.mqtt_tls_listen.is_some()
            && (self.mqtt_tls_cert_file.is_none() || self.mqtt_tls_key_file.is_none())
        {
            return Err("mqtt_tls_listen: needs mqtt_tls_cert_file and mqtt_tls_key_file".into());
        }
        if (1..1_000).contains(&self.receiver_max_frames_per_s) {
            return Err(
                "receiver_max_frames_per_s: 0 (off) or at least 1000 (below, ordinary batches would be refused)"
                    .into(),
            );
        }
        for (key, days) in [
            ("retention_positions_days", self.retention_positions_days),
            ("retention_messages_days", self.retention_messages_days),
        ] {
            // 0 would delete every row as it is stored; beyond a century the
            // cutoff arithmetic overflows (and would delete everything too).
            if !(1..=36_500).contains(&days) {
                return Err(format!("{key}: 1 to 36500 days"));
            }
        }
        if self.backup_prefix.starts_with('/') || self.backup_prefix.ends_with('/') {
            return Err("backup_prefix: no leading or trailing '/'".into());
        }
        if self.mqtt_url.as_deref().is_some_and(url_has_userinfo) {
            return Err(
                "mqtt_url: credentials in the URL are not used; set mqtt_username and mqtt_password"
                    .into(),
            );
        }
        if let Some(url) = &self.mqtt_url {
            match MqttUrl::parse(url) {
                Err(e) => return Err(format!("mqtt_url: {e}")),
                Ok(u) if u.tls => {
                    return Err("mqtt_url: the collector connects to an external broker without TLS (mqtt://); keep that link on a private network".into());
                }
                Ok(_) => {}
            }
        }
        self.validate_site()?;
        if self.backup_bucket.as_deref() == Some("") {
            return Err("backup_bucket: empty".into());
        }
        self.validate_archive()
    }

    /// The configured site, if both coordinates are set.
    pub fn site(&self) -> Option<cloudradar_shared::cpr::Position> {
        let (lat, lon) = (self.site_lat?, self.site_lon?);
        Some(cloudradar_shared::cpr::Position { lat, lon })
    }

    /// The SQLite database path.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("cloudradar.sqlite")
    }

    /// The configuration as TOML with secrets masked, for `--check-config`:
    /// passwords, tokens, and the passwords in URLs.
    pub fn to_toml_masked(&self) -> String {
        let mut c = self.clone();
        if c.mqtt_password.is_some() {
            c.mqtt_password = Some(MASK.into());
        }
        for t in &mut c.http_auth_tokens {
            *t = MASK.into();
        }
        for u in &mut c.http_basic_users {
            let user = u.split(':').next().unwrap_or_default();
            *u = format!("{user}:{MASK}");
        }
        for url in [&mut c.redis_url, &mut c.backup_endpoint, &mut c.mqtt_url]
            .into_iter()
            .flatten()
        {
            *url = mask_url_password(url);
        }
        toml::to_string(&c).unwrap_or_default()
    }
}

#[path = "config_checks.rs"]
mod checks;

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
