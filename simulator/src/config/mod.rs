//! Simulator configuration: a TOML scenario file, `CLOUDRADAR_SIM_*`
//! variables and command-line flags (flags win, then the environment, then
//! the file, then the default). Each top-level scalar is at once a key, a
//! flag and (mostly) a variable, its doc comment the `--help` text and its
//! `#[arg]` default the only default; `receivers`, `noise` and `events`
//! are file-only tables (`receiver.rs` has a receiver's keys). A malformed scenario names the file, the key and
//! the problem.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{ArgMatches, Args};
use cloudradar_shared::redact::{MASK, mask_url_password, url_has_userinfo};
use cloudradar_shared::settings;
use serde::{Deserialize, Serialize};

use crate::clock::ClockKind;
use crate::receiver::Noise;
use crate::traffic::Events;

mod receiver;

pub use receiver::{DEFAULT_ALT_M, ReceiverConfig};

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Args)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Random seed: the same seed gives the same traffic and frames.
    #[arg(long, env = "CLOUDRADAR_SIM_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Number of aircraft (1 to 10,000).
    #[arg(long, env = "CLOUDRADAR_SIM_AIRCRAFT", default_value_t = 100)]
    pub aircraft: usize,
    /// Airport latitude, degrees (default Amsterdam-Schiphol).
    #[arg(
        long,
        env = "CLOUDRADAR_SIM_CENTRE_LAT",
        default_value_t = 52.3086,
        allow_hyphen_values = true
    )]
    pub centre_lat: f64,
    /// Airport longitude, degrees.
    #[arg(
        long,
        env = "CLOUDRADAR_SIM_CENTRE_LON",
        default_value_t = 4.7639,
        allow_hyphen_values = true
    )]
    pub centre_lon: f64,
    /// Radius of the simulated area, km.
    #[arg(long, env = "CLOUDRADAR_SIM_RADIUS_KM", default_value_t = 200.0)]
    pub radius_km: f64,
    /// Time acceleration (1 = real time).
    #[arg(long, env = "CLOUDRADAR_SIM_SPEED", default_value_t = 1.0)]
    pub speed: f64,
    /// Stop after this many simulated seconds (run until stopped when unset).
    #[arg(long, env = "CLOUDRADAR_SIM_DURATION_S")]
    pub duration_s: Option<f64>,
    /// Receivers; when empty, `receiver_count` are placed around the airport.
    #[arg(skip)]
    pub receivers: Vec<ReceiverConfig>,
    /// Receivers placed around the airport when `receivers` is empty; set
    /// by flag or environment, it replaces the file's `receivers` list.
    #[arg(
        long = "receivers",
        env = "CLOUDRADAR_SIM_RECEIVERS",
        default_value_t = 1
    )]
    pub receiver_count: usize,
    /// First Beast port for generated receivers (AVR ports start 1000
    /// higher); 0 binds every generated server to a free port (printed).
    #[arg(long, env = "CLOUDRADAR_SIM_BEAST_PORT_BASE", default_value_t = 30005)]
    pub beast_port_base: u16,
    /// Receiver clocks: `ideal` (one perfect clock counting true time,
    /// shared by all), `beast` (±5 ppm, 80 ns noise), `dump1090` (±100 ppm,
    /// 500 ns) or `mixed` (Beast for the 1st, 3rd... receiver, dump1090 for
    /// the others); each a free-running 12 MHz counter with a random
    /// start, drift and resets. A receiver's `clock` key overrides it.
    #[arg(
        long,
        env = "CLOUDRADAR_SIM_CLOCK",
        value_enum,
        default_value = "mixed"
    )]
    pub clock: ClockKind,
    /// Share of the aircraft without ADS-B out (0 to 1): they send only
    /// DF11 squitters and DF4/5/20/21 replies to the radars, never DF17.
    #[arg(long, env = "CLOUDRADAR_SIM_MODE_S_ONLY_SHARE", default_value_t = 0.15)]
    pub mode_s_only_share: f64,
    /// How far, metres, each receiver reports itself from its true site
    /// (in a random direction), as a site entered by hand is; it still
    /// hears from the true site. A receiver's own key overrides it.
    #[arg(long, env = "CLOUDRADAR_SIM_POSITION_ERROR_M", default_value_t = 0.0)]
    pub position_error_m: f64,
    /// How far, metres, each receiver's reported antenna altitude is from
    /// the true one (up or down at random).
    #[arg(long, env = "CLOUDRADAR_SIM_ALTITUDE_ERROR_M", default_value_t = 0.0)]
    pub altitude_error_m: f64,
    /// Noise model.
    #[arg(skip)]
    pub noise: Noise,
    /// Scenario events.
    #[arg(skip)]
    pub events: Events,
    /// Ground truth output (JSON lines), if wanted.
    #[arg(long, env = "CLOUDRADAR_SIM_TRUTH")]
    pub truth: Option<PathBuf>,
    /// Serial outputs (pseudo-terminal symlinks) for the first receivers,
    /// in order: the first path carries receiver 1, the second receiver 2...
    /// (repeat the flag for further receivers).
    #[arg(long)]
    pub serial: Vec<PathBuf>,
    /// Byte format of the serial outputs.
    #[arg(
        long,
        env = "CLOUDRADAR_SIM_SERIAL_FORMAT",
        value_enum,
        default_value = "beast"
    )]
    pub serial_format: SerialFormat,
    /// Fleet mode: every receiver acts as a CloudRadar agent publishing
    /// to this broker (`mqtt://host:port`), in the agent's wire format.
    /// The password goes in `agents_password`, not in the URL.
    #[arg(long, env = "CLOUDRADAR_SIM_AGENTS_MQTT", hide_env_values = true)]
    pub agents_mqtt: Option<String>,
    /// Password the virtual agents log in with (username = receiver id).
    #[arg(long, env = "CLOUDRADAR_SIM_AGENTS_PASSWORD", hide_env_values = true)]
    pub agents_password: Option<String>,
    /// Replay a recording (CSV as `../shared/data/long_flight.csv`, or AVR
    /// text) on the first receiver's outputs with its original timing,
    /// scaled by `speed`, instead of simulated traffic; the simulator stops
    /// at its end.
    #[arg(long)]
    pub replay: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        settings::defaults()
    }
}

impl Config {
    /// The effective scenario: the defaults, the TOML `file` over them,
    /// then every setting `matches` (a command line parsed with this
    /// struct's arguments) got from a flag or an environment variable.
    pub fn load(file: Option<&Path>, matches: &ArgMatches) -> anyhow::Result<Self> {
        let mut base = match file {
            Some(p) => Self::from_file(p)?,
            None => Self::default(),
        };
        // A receiver count given here is meant, not the file's list.
        if settings::explicit(matches, "receiver_count") {
            base.receivers.clear();
        }
        let c = settings::layer(&base, matches)?;
        c.validate().with_context(|| match file {
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
            ("mode_s_only_share", self.mode_s_only_share),
        ] {
            if !(0.0..=1.0).contains(&p) {
                anyhow::bail!("key `{name}`: {p} is not a probability");
            }
        }
        for (name, m) in [
            ("position_error_m", self.position_error_m),
            ("altitude_error_m", self.altitude_error_m),
        ] {
            if !(0.0..=100_000.0).contains(&m) {
                anyhow::bail!("key `{name}`: {m} is not a distance of 0 to 100 km");
            }
        }
        for r in &self.receivers {
            r.validate()
                .with_context(|| format!("receiver `{}`", r.id))?;
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

    /// The scenario as TOML for `--check-config`, `agents_password` and
    /// any password in `agents_mqtt` masked.
    pub fn to_toml_masked(&self) -> anyhow::Result<String> {
        let mut c = self.clone();
        c.agents_mqtt = c.agents_mqtt.as_deref().map(mask_url_password);
        if c.agents_password.is_some() {
            c.agents_password = Some(MASK.into());
        }
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

    /// The scenario `cloudradar-sim ARGS` runs.
    fn load(args: &[&str]) -> anyhow::Result<Config> {
        let (cli, matches) = cloudradar_shared::settings::try_parse_from::<crate::cli::Cli, _, _>(
            ["cloudradar-sim"].iter().chain(args),
        )?;
        cli.load_config(&matches)
    }

    #[test]
    fn defaults_parse() {
        let c = Config::default();
        assert_eq!((c.seed, c.aircraft, c.receiver_count), (1, 100, 1));
        assert_eq!(
            (c.centre_lat, c.centre_lon, c.speed),
            (52.3086, 4.7639, 1.0)
        );
        assert_eq!(c.serial_format, SerialFormat::Beast);
        assert!(c.receivers.is_empty() && c.duration_s.is_none());
    }

    /// `--receivers N` replaces a scenario's receiver list; without it
    /// the list stays.
    #[test]
    fn receiver_count_from_the_command_line_replaces_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.toml");
        std::fs::write(
            &p,
            "seed = 9\n[[receivers]]\nid = \"a\"\nlat = 52.0\nlon = 4.0\n",
        )
        .unwrap();
        let p = p.to_str().unwrap();
        let c = load(&["--config", p]).unwrap();
        assert_eq!((c.receivers.len(), c.seed), (1, 9));
        let c = load(&["--config", p, "--receivers", "3"]).unwrap();
        assert_eq!((c.receivers.len(), c.receiver_count, c.seed), (0, 3, 9));
    }

    /// Regression: a password in `agents_mqtt` (not read from there) was
    /// printed by `--check-config` and in the broker URL's errors.
    #[test]
    fn credentials_in_the_broker_url_are_refused_without_showing_them() {
        let err = format!(
            "{:#}",
            load(&["--agents-mqtt", "mqtt://sim:hunter2@broker:1883"]).unwrap_err()
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
            load(&["--config", p.to_str().unwrap()]).unwrap_err()
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
