//! SBS-1 / BaseStation output (the port 30003 format of dump1090/readsb):
//! one `MSG` line per decoded message, 22 comma-separated fields.
//!
//! ```text
//! MSG,type,session,aircraft,hex,flight,date gen,time gen,date log,time log,
//!     callsign,altitude,ground speed,track,lat,lon,vertical rate,squawk,
//!     alert,emergency,spi,on ground
//! ```
//! Transmission types: 1 identification, 2 surface position, 3 airborne
//! position, 4 velocity, 5 surveillance altitude, 6 surveillance identity,
//! 7 air-to-air, 8 all-call.

use std::fmt::Write;

use crate::adsb::Me;
use crate::decode::{Content, Message};
use crate::state::{AltBaro, Fields};

/// The SBS line for a message and the fields it carried (positions
/// resolved by the tracker), stamped with `time_ms` (Unix ms). `None` for
/// messages SBS has no type for.
pub fn line(msg: &Message, f: &Fields, time_ms: u64) -> Option<String> {
    let kind = match &msg.content {
        Content::ExtendedSquitter { me, .. } => match me {
            Me::Identification(_) => 1,
            Me::SurfacePosition(_) => 2,
            Me::AirbornePosition(_) => 3,
            Me::Velocity(_) => 4,
            Me::AircraftStatus(_) => 6,
            _ => return None,
        },
        Content::SurveillanceAltitude { .. } | Content::CommBAltitude { .. } => 5,
        Content::SurveillanceIdentity { .. } | Content::CommBIdentity { .. } => 6,
        Content::ShortAcas { .. } | Content::LongAcas { .. } => 7,
        Content::AllCall { .. } => 8,
        Content::CommD => return None,
    };
    let (date, time) = civil(time_ms);
    let ground = matches!(f.alt_baro, Some(AltBaro::Ground));
    let alt = match f.alt_baro {
        Some(AltBaro::Feet(ft)) => ft.to_string(),
        _ => String::new(),
    };
    let opt = |v: Option<String>| v.unwrap_or_default();
    let flag = |v: Option<bool>| match v {
        Some(true) => "-1",
        Some(false) => "0",
        None => "",
    };
    let mut s = String::with_capacity(128);
    let _ = write!(
        s,
        "MSG,{kind},1,1,{hex:06X},1,{date},{time},{date},{time},{cs},{alt},{gs},{trk},{lat},{lon},{vr},{sq},{alert},{emerg},{spi},{gnd}",
        hex = msg.address.icao,
        cs = opt(f.flight.map(|c| c.as_str().trim_end().to_string())),
        gs = opt(f.gs.map(|v| format!("{v:.0}"))),
        trk = opt(f.track.map(|v| format!("{v:.0}"))),
        lat = opt(f.lat.map(|v| format!("{v:.5}"))),
        lon = opt(f.lon.map(|v| format!("{v:.5}"))),
        vr = opt(f.baro_rate.or(f.geom_rate).map(|v| v.to_string())),
        sq = opt(f.squawk.map(|q| format!("{:04x}", q.0))),
        alert = flag(f.alert.map(|a| a != 0)),
        emerg = flag(f.emergency.map(|e| e != "none")),
        spi = flag(f.spi.map(|a| a != 0)),
        gnd = if kind == 2 || ground { "-1" } else { "0" },
    );
    Some(s)
}

/// `("YYYY/MM/DD", "HH:MM:SS.mmm")` in UTC for Unix milliseconds
/// (Howard Hinnant's days-to-civil algorithm).
fn civil(ms: u64) -> (String, String) {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        format!("{y:04}/{m:02}/{d:02}"),
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60,
            ms % 1000
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;
    use crate::decode::{DecodeOptions, decode};

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), ("1970/01/01".into(), "00:00:00.000".into()));
        // 1698140962.119813 (first line of long_flight.csv) = 2023-10-24 09:49:22 UTC.
        assert_eq!(
            civil(1_698_140_962_119),
            ("2023/10/24".into(), "09:49:22.119".into())
        );
        assert_eq!(civil(951_782_400_000).0, "2000/02/29");
    }

    #[test]
    fn identification_line_has_22_fields_like_dump1090() {
        let m = decode(
            &Frame::from_hex("8D4840D6202CC371C32CE0576098").unwrap(),
            &DecodeOptions::default(),
        )
        .unwrap();
        let f = Fields::from_message(&m);
        let l = line(&m, &f, 1_698_140_962_119).unwrap();
        assert_eq!(
            l,
            "MSG,1,1,1,4840D6,1,2023/10/24,09:49:22.119,2023/10/24,09:49:22.119,KLM1023,,,,,,,,,,,0"
        );
        assert_eq!(l.split(',').count(), 22);
    }
}
