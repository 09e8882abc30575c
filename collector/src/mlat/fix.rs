/// One multilaterated position.
#[derive(Debug, Clone, PartialEq)]
pub struct MlatFix {
    pub icao: u32,
    /// When the transmission left the aircraft, Unix ms (from the receivers' wall clocks, rx_ms).
    pub time_ms: u64,
    pub lat: f64,
    pub lon: f64,
    /// Barometric altitude from the replies, feet, if known.
    pub alt_baro_ft: Option<i64>,
    /// Estimated horizontal error (1 sigma), metres.
    pub error_m: f64,
    /// From the tracker, once it has enough fixes.
    pub gs_kt: Option<f64>,
    pub track_deg: Option<f64>,
    /// Receivers used in the solve.
    pub receivers: u8,
}
