//! One `[[receivers]]` entry of a scenario: where the receiver is, what
//! it serves, its clock and how wrong its reported site is. Unset keys
//! take the scenario-wide setting or the clock class's default.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::clock::{ClockKind, ClockParams};
use crate::site::SiteError;

/// Antenna height when a receiver gives none, metres.
pub const DEFAULT_ALT_M: f64 = 15.0;

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
    /// Antenna height above the WGS84 ellipsoid, metres (15 when unset;
    /// the ground is taken at 0 m).
    #[serde(default)]
    pub alt_m: Option<f64>,
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
    /// Clock class (`ideal`, `beast`, `dump1090`, `mixed`); the
    /// scenario's `clock` when unset.
    #[serde(default)]
    pub clock: Option<ClockKind>,
    /// Frequency error at the start, ppm (random within the class's bound
    /// when unset).
    #[serde(default)]
    pub clock_ppm: Option<f64>,
    /// Random walk of the frequency error, ppb per √s (Beast 0.5,
    /// dump1090 5).
    #[serde(default)]
    pub clock_drift_ppb: Option<f64>,
    /// Timestamp noise before truncation to the 83 ns tick, standard
    /// deviation in ns (Beast 80, dump1090 500).
    #[serde(default)]
    pub clock_jitter_ns: Option<f64>,
    /// Mean seconds between clock resets, 0 for never (Beast 86,400,
    /// dump1090 21,600).
    #[serde(default)]
    pub clock_reset_interval_s: Option<f64>,
    /// Reported position error, metres (the scenario's
    /// `position_error_m` when unset).
    #[serde(default)]
    pub position_error_m: Option<f64>,
    /// Reported altitude error, metres (the scenario's
    /// `altitude_error_m` when unset).
    #[serde(default)]
    pub altitude_error_m: Option<f64>,
}

impl ReceiverConfig {
    /// A receiver at `lat`/`lon` with every other key unset.
    pub fn at(id: &str, lat: f64, lon: f64) -> Self {
        Self {
            id: id.into(),
            lat,
            lon,
            alt_m: None,
            beast_listen: None,
            avr_listen: None,
            serial: None,
            clock: None,
            clock_ppm: None,
            clock_drift_ppb: None,
            clock_jitter_ns: None,
            clock_reset_interval_s: None,
            position_error_m: None,
            altitude_error_m: None,
        }
    }

    /// The clock of receiver number `index` (from 0): its class (or the
    /// scenario's `clock`) with this receiver's overrides.
    pub fn clock_params(&self, scenario: ClockKind, index: usize) -> ClockParams {
        let kind = self.clock.unwrap_or(scenario).for_receiver(index);
        let mut p = ClockParams::class(kind);
        p.ppm = self.clock_ppm.or(p.ppm);
        p.drift_ppb = self.clock_drift_ppb.unwrap_or(p.drift_ppb);
        p.jitter_ns = self.clock_jitter_ns.unwrap_or(p.jitter_ns);
        p.reset_interval_s = self.clock_reset_interval_s.unwrap_or(p.reset_interval_s);
        p
    }

    /// The site error: this receiver's, else the scenario's.
    pub fn site_error(&self, horizontal_m: f64, vertical_m: f64) -> SiteError {
        SiteError {
            horizontal_m: self.position_error_m.unwrap_or(horizontal_m),
            vertical_m: self.altitude_error_m.unwrap_or(vertical_m),
        }
    }

    /// Rejects values no clock or site can have.
    pub fn validate(&self) -> anyhow::Result<()> {
        let checks = [
            ("alt_m", self.alt_m, -500.0, 9_000.0),
            ("clock_ppm", self.clock_ppm, -1_000.0, 1_000.0),
            ("clock_drift_ppb", self.clock_drift_ppb, 0.0, 1_000.0),
            ("clock_jitter_ns", self.clock_jitter_ns, 0.0, 100_000.0),
            (
                "clock_reset_interval_s",
                self.clock_reset_interval_s,
                0.0,
                1e9,
            ),
            ("position_error_m", self.position_error_m, 0.0, 100_000.0),
            ("altitude_error_m", self.altitude_error_m, 0.0, 100_000.0),
        ];
        for (key, value, lo, hi) in checks {
            if let Some(v) = value
                && !(lo..=hi).contains(&v)
            {
                anyhow::bail!("key `{key}`: {v} is outside {lo}..={hi}");
            }
        }
        Ok(())
    }
}
