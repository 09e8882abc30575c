//! The WMM2020 coefficient table, NOAA's `WMM.COF` as distributed (and as
//! readsb embeds it in `geomag.c`): a header line with the epoch, then
//! one line per degree `n` and order `m` with g, h (nT) and their
//! secular variation (nT/year), ended by a line of nines.

use std::sync::OnceLock;

/// Highest degree and order of the model.
pub(super) const DEGREE: usize = 12;

/// NOAA's coefficient file, unchanged.
const WMM2020_COF: &str = include_str!("WMM2020.COF");

/// Gauss coefficients by degree and order (`[n][m]`), Schmidt
/// semi-normalised as published.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Coefficients {
    /// The epoch, decimal year.
    pub(super) epoch: f64,
    pub(super) g: [[f64; DEGREE + 1]; DEGREE + 1],
    pub(super) h: [[f64; DEGREE + 1]; DEGREE + 1],
    pub(super) dg: [[f64; DEGREE + 1]; DEGREE + 1],
    pub(super) dh: [[f64; DEGREE + 1]; DEGREE + 1],
}

/// The WMM2020 table, parsed once; `None` only if the embedded file were
/// malformed (a test proves it is not).
pub(super) fn wmm2020() -> Option<&'static Coefficients> {
    static TABLE: OnceLock<Option<Coefficients>> = OnceLock::new();
    TABLE.get_or_init(|| parse(WMM2020_COF)).as_ref()
}

/// Parses a `WMM.COF` text; `None` for a malformed header or record.
pub(super) fn parse(text: &str) -> Option<Coefficients> {
    let mut lines = text.lines();
    let epoch: f64 = lines.next()?.split_whitespace().next()?.parse().ok()?;
    let zero = [[0.0; DEGREE + 1]; DEGREE + 1];
    let mut c = Coefficients {
        epoch,
        g: zero,
        h: zero,
        dg: zero,
        dh: zero,
    };
    for line in lines {
        if line.trim_start().starts_with("9999") {
            break;
        }
        let mut f = line.split_whitespace();
        let n: usize = f.next()?.parse().ok()?;
        let m: usize = f.next()?.parse().ok()?;
        let mut value = || -> Option<f64> { f.next()?.parse().ok() };
        let (g, h, dg, dh) = (value()?, value()?, value()?, value()?);
        if m > n || n > DEGREE || n == 0 {
            return None;
        }
        *c.g.get_mut(n)?.get_mut(m)? = g;
        *c.h.get_mut(n)?.get_mut(m)? = h;
        *c.dg.get_mut(n)?.get_mut(m)? = dg;
        *c.dh.get_mut(n)?.get_mut(m)? = dh;
    }
    Some(c)
}
