//! Simulator configuration: a TOML scenario file and command-line flags
//! (flags win). A malformed scenario names the file, the key and the
//! problem.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use cloudradar_shared::redact::{mask_url_password, url_has_userinfo};
use serde::{Deserialize, Serialize};

use crate::receiver::Noise;
use crate::traffic::Events;

/// One simulated receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    /// Receiver id.
    pub id: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Beast TCP server address (like readsb's 30005).
    #[serde(default)]
    pub beast_listen: Option<SocketAddr>,
    /// AVR TCP server address (like readsb's 30002).
    #[serde(default)]
    pub avr_listen: Option<SocketAddr>,
    /// Serial output: a symlink created here points to a pseudo-terminal
    /// carrying this receiver's stream in `serial_format`.
    #[serde(default)]
    pub serial: Option<PathBuf>,
}

/// Byte format on the serial outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SerialFormat {
    /// Beast binary (what a Mode-S Beast sends over its serial/USB line).
    #[default]
    Beast,
    /// AVR text with 12 MHz timestamps (`@…;`).
    Avr,
}

/// The whole scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Random seed: the same seed gives the same traffic and frames.
    pub seed: u64,
    /// Number of aircraft (1 to 10,000).
    pub aircraft: usize,
    /// Airport latitude, degrees (default Amsterdam-Schiphol).
    pub centre_lat: f64,
    /// Airport longitude, degrees.
    pub centre_lon: f64,
    /// Radius of the simulated area, km.
    pub radius_km: f64,
    /// Time acceleration (1 = real time).
    pub speed: f64,
    /// Stop after this many simulated seconds (run until stopped when unset).
    pub duration_s: Option<f64>,
    /// Receivers; when empty, `receiver_count` are placed around the airport.
    pub receivers: Vec<ReceiverConfig>,
    /// Receivers generated when `receivers` is empty.
    pub receiver_count: usize,
    /// First Beast port for generated receivers (AVR ports start 1000
    /// higher); 0 binds every generated server to a free port (printed).
    pub beast_port_base: u16,
    /// Noise model.
    pub noise: Noise,
    /// Scenario events.
    pub events: Events,
    /// Ground truth output (JSON lines), if wanted.
    pub truth: Option<PathBuf>,
    /// Serial outputs (pseudo-terminal symlinks) for the first receivers,
    /// in order: the first path carries receiver 1, the second receiver 2...
    pub serial: Vec<PathBuf>,
    /// Byte format of the serial outputs.
    pub serial_format: SerialFormat,
    /// Fleet mode: every receiver acts as a CloudRadar agent publishing
    /// to this broker (`mqtt://host:port`), in the agent's wire format.
    /// The password goes in `agents_password`, not in the URL.
    pub agents_mqtt: Option<String>,
    /// Password the virtual agents log in with (username = receiver id).
    #[serde(skip_serializing)]
    pub agents_password: Option<String>,
    /// Replay a recording (CSV as `../shared/data/long_flight.csv`, or AVR
    /// text) on the first receiver's outputs with its original timing,
    /// scaled by `speed`, instead of simulated traffic; the simulator stops
    /// at its end.
    pub replay: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            seed: 1,
            aircraft: 100,
            centre_lat: 52.3086,
            centre_lon: 4.7639,
            radius_km: 200.0,
            speed: 1.0,
            duration_s: None,
            receivers: Vec::new(),
            receiver_count: 1,
            beast_port_base: 30005,
            noise: Noise::default(),
            events: Events::default(),
            truth: None,
            serial: Vec::new(),
            serial_format: SerialFormat::Beast,
            agents_mqtt: None,
            agents_password: None,
            replay: None,
        }
    }
}

/// Command-line overrides.
#[derive(Debug, Clone, Default, Args)]
pub struct Overrides {
    /// Scenario file (TOML).
    #[arg(long, env = "CLOUDRADAR_SIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// See `seed`.
    #[arg(long, env = "CLOUDRADAR_SIM_SEED")]
    pub seed: Option<u64>,
    /// See `aircraft`.
    #[arg(long, env = "CLOUDRADAR_SIM_AIRCRAFT")]
    pub aircraft: Option<usize>,
    /// See `speed`.
    #[arg(long, env = "CLOUDRADAR_SIM_SPEED")]
    pub speed: Option<f64>,
    /// See `duration_s`.
    #[arg(long, env = "CLOUDRADAR_SIM_DURATION_S")]
    pub duration_s: Option<f64>,
    /// See `receiver_count`.
    #[arg(long, env = "CLOUDRADAR_SIM_RECEIVERS")]
    pub receivers: Option<usize>,
    /// See `beast_port_base`.
    #[arg(long, env = "CLOUDRADAR_SIM_BEAST_PORT_BASE")]
    pub beast_port_base: Option<u16>,
    /// See `truth`.
    #[arg(long, env = "CLOUDRADAR_SIM_TRUTH")]
    pub truth: Option<PathBuf>,
    /// See `serial` (repeat the flag for further receivers).
    #[arg(long)]
    pub serial: Vec<PathBuf>,
    /// See `serial_format`.
    #[arg(long, value_enum, env = "CLOUDRADAR_SIM_SERIAL_FORMAT")]
    pub serial_format: Option<SerialFormat>,
    /// See `agents_mqtt`.
    #[arg(long, env = "CLOUDRADAR_SIM_AGENTS_MQTT", hide_env_values = true)]
    pub agents_mqtt: Option<String>,
    /// See `agents_password`.
    #[arg(long, env = "CLOUDRADAR_SIM_AGENTS_PASSWORD", hide_env_values = true)]
    pub agents_password: Option<String>,
    /// See `replay`.
    #[arg(long)]
    pub replay: Option<PathBuf>,
}

impl Config {
    /// Builds the effective scenario.
    pub fn load(o: &Overrides) -> anyhow::Result<Self> {
        let mut c = match &o.config {
            Some(p) => Self::from_file(p)?,
            None => Self::default(),
        };
        if let Some(v) = o.seed {
            c.seed = v;
        }
        if let Some(v) = o.aircraft {
            c.aircraft = v;
        }
        if let Some(v) = o.speed {
            c.speed = v;
        }
        if o.duration_s.is_some() {
            c.duration_s = o.duration_s;
        }
        if let Some(v) = o.receivers {
            c.receiver_count = v;
            c.receivers.clear();
        }
        if let Some(v) = o.beast_port_base {
            c.beast_port_base = v;
        }
        if o.truth.is_some() {
            c.truth = o.truth.clone();
        }
        if !o.serial.is_empty() {
            c.serial = o.serial.clone();
        }
        if let Some(f) = o.serial_format {
            c.serial_format = f;
        }
        if o.replay.is_some() {
            c.replay = o.replay.clone();
        }
        if o.agents_mqtt.is_some() {
            c.agents_mqtt = o.agents_mqtt.clone();
        }
        if o.agents_password.is_some() {
            c.agents_password = o.agents_password.clone();
        }
        c.validate().with_context(|| match &o.config {
            Some(p) => format!("scenario {}", p.display()),
            None => "scenario".into(),
        })?;
        Ok(c)
    }

    /// Reads a scenario file; errors name the file and key.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading scenario {}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("scenario {}: {e}", path.display()))
    }

    fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = self.agents_mqtt.as_deref().filter(|u| url_has_userinfo(u)) {
            anyhow::bail!(
                "key `agents_mqtt`: {:?} holds credentials, which are not used; \
                 set agents_password (the user name is each receiver's id)",
                mask_url_password(url)
            );
        }
        if !(1..=10_000).contains(&self.aircraft) {
            anyhow::bail!("key `aircraft`: {} is outside 1..=10000", self.aircraft);
        }
        if !(self.speed > 0.0 && self.speed <= 1000.0) {
            anyhow::bail!("key `speed`: must be in (0, 1000]");
        }
        if !(-85.0..=85.0).contains(&self.centre_lat)
            || !(-180.0..=180.0).contains(&self.centre_lon)
        {
            anyhow::bail!("keys `centre_lat`/`centre_lon`: out of range");
        }
        for (name, p) in [
            ("noise.drop_rate", self.noise.drop_rate),
            ("noise.bit_error_rate", self.noise.bit_error_rate),
            ("noise.corrupt_rate", self.noise.corrupt_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                anyhow::bail!("key `{name}`: {p} is not a probability");
            }
        }
        let receivers = if self.receivers.is_empty() {
            self.receiver_count.max(1)
        } else {
            self.receivers.len()
        };
        if self.serial.len() > receivers {
            anyhow::bail!(
                "key `serial`: {} paths for {receivers} receivers",
                self.serial.len()
            );
        }
        Ok(())
    }

    /// The scenario as TOML for `--check-config`: `agents_password` is
    /// never serialized, and any password in `agents_mqtt` is masked.
    pub fn to_toml_masked(&self) -> anyhow::Result<String> {
        let mut c = self.clone();
        c.agents_mqtt = c.agents_mqtt.as_deref().map(mask_url_password);
        Ok(toml::to_string(&c)?)
    }

    /// The serial output path of receiver `index`, if it has one.
    pub fn serial_path(&self, index: usize) -> Option<&Path> {
        self.receivers
            .get(index)
            .and_then(|r| r.serial.as_deref())
            .or_else(|| self.serial.get(index).map(PathBuf::as_path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: a password in `agents_mqtt` (not read from there) was
    /// printed by `--check-config` and in the broker URL's errors.
    #[test]
    fn credentials_in_the_broker_url_are_refused_without_showing_them() {
        let err = format!(
            "{:#}",
            Config::load(&Overrides {
                agents_mqtt: Some("mqtt://sim:hunter2@broker:1883".into()),
                ..Overrides::default()
            })
            .unwrap_err()
        );
        assert!(
            err.contains("agents_password") && err.contains("sim:********@broker"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let c = Config {
            agents_mqtt: Some("mqtt://sim:hunter2@broker:1883".into()),
            agents_password: Some("hunter3".into()),
            ..Config::default()
        };
        let t = c.to_toml_masked().unwrap();
        assert!(!t.contains("hunter2") && !t.contains("hunter3"), "{t}");
    }

    #[test]
    fn malformed_scenario_names_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.toml");
        std::fs::write(&p, "aircraft = 20000\n").unwrap();
        let err = format!(
            "{:#}",
            Config::load(&Overrides {
                config: Some(p.clone()),
                ..Overrides::default()
            })
            .unwrap_err()
        );
        assert!(err.contains("s.toml") && err.contains("aircraft"), "{err}");
        std::fs::write(&p, "[noise]\ndrop_rate = \"lots\"\n").unwrap();
        let err = Config::from_file(&p).unwrap_err().to_string();
        assert!(err.contains("drop_rate"), "{err}");
        std::fs::write(&p, "aircraft = 10\nplanes = 3\n").unwrap();
        let err = Config::from_file(&p).unwrap_err().to_string();
        assert!(err.contains("planes"), "{err}");
    }
}
