//! Spherical-harmonic synthesis of the main field (WMM2020 technical
//! report §1.2): geodetic to geocentric coordinates on WGS 84 (eq. 7),
//! coefficients moved to the date by their secular variation (eq. 9),
//! the field's gradient in spherical coordinates from Schmidt
//! semi-normalised associated Legendre functions (eqs. 10–12), rotated
//! back to the geodetic frame (eq. 17). The Legendre functions come from
//! the Gauss-normalised recursion of NOAA's `geomag.c` (which readsb
//! uses), scaled to Schmidt's normalisation.

use super::coefficients::{Coefficients, DEGREE};

/// WGS 84 semi-major axis, km.
const A_KM: f64 = 6378.137;
/// WGS 84 semi-minor axis, km (NOAA's value).
const B_KM: f64 = 6_356.752_314_2;
/// The model's reference radius, km.
const RE_KM: f64 = 6371.2;

type Table = [[f64; DEGREE + 1]; DEGREE + 1];

/// The field in the geodetic frame, nT.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// North component (X).
    pub north: f64,
    /// East component (Y).
    pub east: f64,
    /// Down component (Z).
    pub down: f64,
}

impl Field {
    /// Declination, degrees east of true north.
    pub fn declination(&self) -> f64 {
        self.east.atan2(self.north).to_degrees()
    }

    /// Inclination, degrees below the horizontal.
    pub fn inclination(&self) -> f64 {
        self.down.atan2(self.north.hypot(self.east)).to_degrees()
    }
}

/// The field of `c` at geodetic `lat`/`lon` (degrees), `height_km` above
/// the ellipsoid, decimal year `year`; `None` at a pole or for input out
/// of range.
pub(super) fn field(
    c: &Coefficients,
    lat: f64,
    lon: f64,
    height_km: f64,
    year: f64,
) -> Option<Field> {
    if !(lat.abs() < 90.0 && lon.is_finite() && height_km.is_finite() && year.is_finite()) {
        return None;
    }
    let (phi, lambda) = (lat.to_radians(), lon.to_radians());
    // Eq. 7: geocentric radius and latitude.
    let e2 = 1.0 - (B_KM * B_KM) / (A_KM * A_KM);
    let rc = A_KM / (1.0 - e2 * phi.sin().powi(2)).sqrt();
    let p = (rc + height_km) * phi.cos();
    let z = (rc * (1.0 - e2) + height_km) * phi.sin();
    let r = p.hypot(z);
    let phi_c = z.atan2(p);
    // cos and sin of the colatitude.
    let (ct, st) = (phi_c.sin(), phi_c.cos());
    if st < 1e-12 {
        return None;
    }
    let (leg, dleg) = legendre(ct, st);
    let dt = year - c.epoch;
    let (mut br, mut bt, mut bp) = (0.0, 0.0, 0.0);
    let mut ar = (RE_KM / r).powi(2);
    for n in 1..=DEGREE {
        ar *= RE_KM / r;
        for m in 0..=n {
            let g = at(&c.g, n, m) + dt * at(&c.dg, n, m);
            let h = at(&c.h, n, m) + dt * at(&c.dh, n, m);
            let (sm, cm) = (m as f64 * lambda).sin_cos();
            let cos_term = g * cm + h * sm;
            let sin_term = g * sm - h * cm;
            let (pnm, dpnm) = (at(&leg, n, m), at(&dleg, n, m));
            br += (n + 1) as f64 * ar * cos_term * pnm;
            bt -= ar * cos_term * dpnm;
            bp += m as f64 * ar * sin_term * pnm;
        }
    }
    bp /= st;
    // Eq. 17: from the geocentric to the geodetic frame.
    let psi = phi - phi_c;
    Some(Field {
        north: -bt * psi.cos() - br * psi.sin(),
        east: bp,
        down: bt * psi.sin() - br * psi.cos(),
    })
}

fn at(t: &Table, n: usize, m: usize) -> f64 {
    t.get(n).and_then(|row| row.get(m)).copied().unwrap_or(0.0)
}

fn set(t: &mut Table, n: usize, m: usize, v: f64) {
    if let Some(cell) = t.get_mut(n).and_then(|row| row.get_mut(m)) {
        *cell = v;
    }
}

/// Schmidt semi-normalised P(n, m) and dP/dθ at colatitude θ with
/// cos θ = `ct`, sin θ = `st`.
fn legendre(ct: f64, st: f64) -> (Table, Table) {
    let mut p = [[0.0; DEGREE + 1]; DEGREE + 1];
    let mut dp = p;
    set(&mut p, 0, 0, 1.0);
    for n in 1..=DEGREE {
        for m in 0..=n {
            let (v, d) = if n == m {
                let (q, dq) = (at(&p, n - 1, m - 1), at(&dp, n - 1, m - 1));
                (st * q, st * dq + ct * q)
            } else {
                let (q, dq) = (at(&p, n - 1, m), at(&dp, n - 1, m));
                // Zero for m > n - 2 (n = 1 included): the table is zero there.
                let (q2, dq2) = if n >= 2 {
                    (at(&p, n - 2, m), at(&dp, n - 2, m))
                } else {
                    (0.0, 0.0)
                };
                let k = if n >= 2 {
                    (((n - 1) * (n - 1)) as f64 - (m * m) as f64)
                        / (((2 * n - 1) * (2 * n - 3)) as f64)
                } else {
                    0.0
                };
                (ct * q - k * q2, ct * dq - st * q - k * dq2)
            };
            set(&mut p, n, m, v);
            set(&mut dp, n, m, d);
        }
    }
    let norm = schmidt();
    for n in 0..=DEGREE {
        for m in 0..=n {
            let v = at(&p, n, m) * at(&norm, n, m);
            set(&mut p, n, m, v);
            let v = at(&dp, n, m) * at(&norm, n, m);
            set(&mut dp, n, m, v);
        }
    }
    (p, dp)
}

/// Factors from Gauss-normalised to Schmidt semi-normalised functions.
fn schmidt() -> Table {
    let mut s = [[0.0; DEGREE + 1]; DEGREE + 1];
    set(&mut s, 0, 0, 1.0);
    for n in 1..=DEGREE {
        let v = at(&s, n - 1, 0) * (2 * n - 1) as f64 / n as f64;
        set(&mut s, n, 0, v);
        for m in 1..=n {
            let j = if m == 1 { 2.0 } else { 1.0 };
            let f = ((n - m + 1) as f64 * j / (n + m) as f64).sqrt();
            let v = at(&s, n, m - 1) * f;
            set(&mut s, n, m, v);
        }
    }
    s
}
