//! Magnetic declination from the World Magnetic Model (WMM2020, the model
//! and epoch readsb uses for `true_heading`; NOAA NCEI / BGS, public
//! domain): the model's Gauss coefficients, synthesised as spherical
//! harmonics to degree 12 at a geodetic position, height and date.
//!
//! - `coefficients.rs`: the model table (`WMM2020.COF`, NOAA's file) read
//!   once into Schmidt semi-normalised coefficients.
//! - `synthesis.rs`: the field's north, east and down components there
//!   (WMM2020 technical report, §1.2, equations 7–17).
//!
//! Sans-IO and panic-free: every input gives a number or `None`.

mod coefficients;
mod synthesis;

pub use synthesis::Field;

/// The model's epoch (decimal year); dates after it are extrapolated
/// with the secular variation, as readsb does (it checks no range).
pub const EPOCH: f64 = 2020.0;

/// The magnetic field at geodetic `lat`/`lon` (degrees), `height_km`
/// above the WGS 84 ellipsoid, at decimal year `year`. `None` at the
/// geographic poles, where declination has no meaning, and for
/// non-finite input.
pub fn field(lat: f64, lon: f64, height_km: f64, year: f64) -> Option<Field> {
    synthesis::field(coefficients::wmm2020()?, lat, lon, height_km, year)
}

/// Declination in degrees, positive east: true heading = magnetic
/// heading + declination. See [`field`] for the arguments.
pub fn declination(lat: f64, lon: f64, height_km: f64, year: f64) -> Option<f64> {
    field(lat, lon, height_km, year).map(|f| f.declination())
}

/// readsb's decimal year of a Unix time (`track.c` `declination`): the
/// UTC year plus the day of the year (0 on 1 January) over 365.
pub fn decimal_year(unix_ms: u64) -> f64 {
    let days = (unix_ms / 86_400_000) as i64;
    let (year, yday) = year_and_day(days);
    year as f64 + yday as f64 / 365.0
}

/// The UTC year and 0-based day of the year of `days` since 1970-01-01.
fn year_and_day(days: i64) -> (i64, i64) {
    let mut year = 1970;
    let mut left = days;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if left < len {
            return (year, left);
        }
        left -= len;
        year += 1;
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

#[cfg(test)]
mod tests;
