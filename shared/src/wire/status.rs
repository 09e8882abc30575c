//! The retained receiver status message (JSON on the status topic).

use serde::{Deserialize, Serialize};

/// Online state as published by the agent (and by its MQTT last will).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The agent is connected and forwarding.
    Online,
    /// The agent shut down or its connection died (last will).
    Offline,
}

/// Status and periodic statistics of one receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverStatus {
    /// Online or offline.
    pub state: State,
    /// Agent software version.
    #[serde(default)]
    pub version: Option<String>,
    /// Receiver latitude, degrees, if configured.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Receiver longitude, degrees, if configured.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Antenna height above the WGS84 ellipsoid, metres, if configured
    /// (multilateration measures distances from the antenna). Left out
    /// when unset, so statuses stay readable by collectors that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_m: Option<f64>,
    /// Seconds since the agent started.
    #[serde(default)]
    pub uptime_s: Option<u64>,
    /// Frames accepted per second over the last interval.
    #[serde(default)]
    pub frames_per_s: Option<f64>,
    /// Frames rejected (bad CRC, malformed) since start.
    #[serde(default)]
    pub rejected_total: Option<u64>,
    /// Batches dropped because the spool was full, since start.
    #[serde(default)]
    pub dropped_batches_total: Option<u64>,
    /// Bytes currently held in the on-disk spool.
    #[serde(default)]
    pub spool_bytes: Option<u64>,
    /// Unix milliseconds when this status was produced.
    #[serde(default)]
    pub time_ms: Option<u64>,
}

impl ReceiverStatus {
    /// The receiver position, if both coordinates are given and are a
    /// position on Earth (finite, latitude within ±90°, longitude within
    /// ±180°): the collector decodes positions against it.
    pub fn position(&self) -> Option<(f64, f64)> {
        let (lat, lon) = (self.lat?, self.lon?);
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
    }

    /// The antenna height, if given and plausible for an antenna (finite,
    /// from 500 m below to 9,000 m above the ellipsoid).
    pub fn altitude(&self) -> Option<f64> {
        self.alt_m.filter(|h| (-500.0..=9_000.0).contains(h))
    }

    /// The minimal "offline" message used as the MQTT last will.
    pub fn offline() -> Self {
        Self {
            state: State::Offline,
            version: None,
            lat: None,
            lon: None,
            alt_m: None,
            uptime_s: None,
            frames_per_s: None,
            rejected_total: None,
            dropped_batches_total: None,
            spool_bytes: None,
            time_ms: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_position_on_earth_is_a_position() {
        let at = |lat, lon| ReceiverStatus {
            lat,
            lon,
            ..ReceiverStatus::offline()
        };
        assert_eq!(at(Some(52.3), Some(4.76)).position(), Some((52.3, 4.76)));
        assert_eq!(
            at(Some(-90.0), Some(180.0)).position(),
            Some((-90.0, 180.0))
        );
        for (lat, lon) in [
            (Some(52.3), None),
            (None, Some(4.76)),
            (Some(90.5), Some(4.76)),
            (Some(52.3), Some(1.797_693_134_862_315_7e308)),
            (Some(f64::NAN), Some(4.76)),
            (Some(52.3), Some(f64::NEG_INFINITY)),
        ] {
            assert_eq!(at(lat, lon).position(), None, "{lat:?} {lon:?}");
        }
    }

    #[test]
    fn the_antenna_height_is_sent_only_when_set_and_only_a_plausible_one_is_used() {
        let mut status = ReceiverStatus::offline();
        let json = serde_json::to_string(&status).expect("json");
        assert!(!json.contains("alt_m"), "{json}");
        status.alt_m = Some(43.5);
        let json = serde_json::to_string(&status).expect("json");
        let back: ReceiverStatus = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.altitude(), Some(43.5));
        for bad in [f64::NAN, f64::INFINITY, -600.0, 12_000.0] {
            status.alt_m = Some(bad);
            assert_eq!(status.altitude(), None, "{bad}");
        }
    }
}
