//! What one message says about an aircraft, as a flat set of optional
//! fields named like readsb's `aircraft.json` (`flight`, `alt_baro`, `gs`,
//! …), so the same names serve the decode command, the aircraft state and
//! the HTTP API. [`Fields::from_message`] extracts them; the aircraft state
//! merges them with per-field update times.

use serde::Serialize;

use super::source::Source;
pub use super::values::{AltBaro, Callsign, Category, Squawk};

use crate::adsb::{
    AircraftStatus, AltitudeSource, Emergency, Me, VelocityKind, VerticalRateSource,
};
use crate::commb::Bds;
use crate::decode::{Content, FlightStatus, Message};

macro_rules! fields {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty [$($flag:literal),*] ),* $(,)?) => {
        /// Optional aircraft fields with readsb's names.
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct Fields {
            $( $(#[$doc])* #[serde(skip_serializing_if = "Option::is_none")] pub $name: Option<$ty>, )*
        }

        /// When each field was last set (Unix milliseconds; 0 = never).
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub struct Updated {
            $( pub $name: u64, )*
        }

        /// Where each field's latest value came from (`None`: never set).
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub struct Sources {
            $( pub $name: Option<Source>, )*
        }

        impl Fields {
            /// Copies every field `newer` has into `self` and stamps it
            /// with `now_ms` and `source`, when `accept` agrees given the
            /// field's current source and update time.
            pub(crate) fn merge_if(
                &mut self,
                newer: &Fields,
                (now_ms, source): (u64, Source),
                (updated, sources): (&mut Updated, &mut Sources),
                accept: impl Fn(Option<Source>, u64) -> bool,
            ) {
                $( if newer.$name.is_some() && accept(sources.$name, updated.$name) {
                    self.$name = newer.$name;
                    updated.$name = now_ms;
                    sources.$name = Some(source);
                } )*
            }

            /// Forgets every field not updated since `cutoff_ms`.
            pub fn expire(&mut self, cutoff_ms: u64, updated: &Updated) {
                $( if updated.$name < cutoff_ms {
                    self.$name = None;
                } )*
            }
        }

        impl Sources {
            /// readsb's `append_flags` (`json_out.c`) without the
            /// position: the names of the fields present in `valid`
            /// whose value came from `source` (unsorted).
            pub(crate) fn flags(&self, valid: &Fields, source: Source) -> Vec<&'static str> {
                let mut out: Vec<&'static str> = Vec::new();
                $( if valid.$name.is_some() && self.$name == Some(source) {
                    out.extend_from_slice(&[$($flag),*]);
                } )*
                out
            }
        }
    };
}

fields! {
    /// Callsign.
    flight: Callsign ["callsign"],
    /// Mode A code.
    squawk: Squawk ["squawk"],
    /// Emitter category.
    category: Category [],
    /// Barometric altitude, feet, or ground.
    alt_baro: AltBaro ["altitude"],
    /// Geometric (GNSS) altitude, feet.
    alt_geom: i32 ["alt_geom"],
    /// GNSS minus barometric altitude, feet (used to derive `alt_geom`).
    geom_minus_baro: i32 [],
    /// Ground speed, knots.
    gs: f64 ["gs"],
    /// Indicated airspeed, knots.
    ias: u32 ["ias"],
    /// True airspeed, knots.
    tas: u32 ["tas"],
    /// Mach number.
    mach: f64 ["mach"],
    /// True track over ground, degrees.
    track: f64 ["track"],
    /// Track angle rate, degrees per second.
    track_rate: f64 ["track_rate"],
    /// Roll, degrees (negative left).
    roll: f64 ["roll"],
    /// Magnetic heading, degrees.
    mag_heading: f64 ["mag_heading"],
    /// True heading, degrees: the magnetic heading plus the WMM2020
    /// declination at the aircraft (readsb's derivation, `heading.rs`).
    true_heading: f64 ["true_heading"],
    /// Barometric vertical rate, ft/min.
    baro_rate: i32 ["baro_rate"],
    /// Geometric vertical rate, ft/min.
    geom_rate: i32 ["geom_rate"],
    /// Selected altitude on the MCP/FCU, feet.
    nav_altitude_mcp: i32 ["nav_altitude_mcp"],
    /// Selected altitude in the FMS, feet.
    nav_altitude_fms: i32 ["nav_altitude_fms"],
    /// Altimeter setting, hPa.
    nav_qnh: f64 ["nav_qnh"],
    /// Selected heading, degrees.
    nav_heading: f64 ["nav_heading"],
    /// Emergency state.
    emergency: &'static str ["emergency"],
    /// ADS-B version.
    version: u8 [],
    /// NIC supplement A (from TC 31).
    nic_a: bool [],
    /// NIC supplement C (from surface TC 31).
    nic_c: bool [],
    /// NIC baro.
    nic_baro: u8 ["nic_baro"],
    /// NACp.
    nac_p: u8 ["nac_p"],
    /// NACv.
    nac_v: u8 ["nac_v"],
    /// SIL.
    sil: u8 ["sil", "sil_type"],
    /// SIL supplement: `"perhour"` or `"persample"`.
    sil_type: &'static str [],
    /// Geometric vertical accuracy.
    gva: u8 ["gva"],
    /// System design assurance (version 2 operational status).
    sda: u8 ["sda"],
    /// Flight status alert bit.
    alert: u8 [],
    /// Flight status SPI bit.
    spi: u8 [],
    // The position group (lat, lon, nic, rc) has the position's source
    // (see `Aircraft::flags`), not one per field.
    /// Latitude, degrees.
    lat: f64 [],
    /// Longitude, degrees.
    lon: f64 [],
    /// Navigation integrity category.
    nic: u8 [],
    /// Radius of containment, metres.
    rc: u32 [],
}

fn round(v: f64, places: i32) -> f64 {
    let p = 10f64.powi(places);
    (v * p).round() / p
}

impl Fields {
    /// Extracts what `msg` says. Positions are not here: they need CPR
    /// state (see the tracker).
    pub fn from_message(msg: &Message) -> Self {
        let mut f = Self::default();
        match &msg.content {
            Content::ShortAcas {
                vertical_status_ground,
                altitude,
                ..
            }
            | Content::LongAcas {
                vertical_status_ground,
                altitude,
                ..
            } => {
                f.alt_baro = if *vertical_status_ground {
                    Some(AltBaro::Ground)
                } else {
                    altitude.map(|a| AltBaro::Feet(a.feet()))
                };
            }
            Content::SurveillanceAltitude {
                flight_status,
                altitude,
            } => {
                f.flight_status(*flight_status);
                f.alt_baro = match flight_status.on_ground() {
                    Some(true) => Some(AltBaro::Ground),
                    _ => altitude.map(|a| AltBaro::Feet(a.feet())),
                };
            }
            Content::SurveillanceIdentity {
                flight_status,
                squawk,
            } => {
                f.flight_status(*flight_status);
                f.squawk_code(*squawk);
            }
            Content::ExtendedSquitter { me, .. } => f.extended_squitter(me),
            Content::CommBAltitude {
                flight_status,
                altitude,
                bds,
            } => {
                f.flight_status(*flight_status);
                f.alt_baro = match flight_status.on_ground() {
                    Some(true) => Some(AltBaro::Ground),
                    _ => altitude.map(|a| AltBaro::Feet(a.feet())),
                };
                f.comm_b(bds);
            }
            Content::CommBIdentity {
                flight_status,
                squawk,
                bds,
            } => {
                f.flight_status(*flight_status);
                f.squawk_code(*squawk);
                f.comm_b(bds);
            }
            Content::AllCall { .. } | Content::CommD => {}
        }
        f
    }

    fn flight_status(&mut self, fs: FlightStatus) {
        self.alert = Some(u8::from(fs.alert()));
        self.spi = Some(u8::from(fs.spi()));
    }

    fn squawk_code(&mut self, squawk: u16) {
        self.squawk = Some(Squawk(squawk));
        if let Some(e) = Emergency::from_squawk(squawk) {
            self.emergency = Some(e.as_str());
        }
    }

    fn extended_squitter(&mut self, me: &Me) {
        match me {
            Me::NoPosition { altitude } => self.alt_baro = altitude.map(AltBaro::Feet),
            Me::Identification(id) => {
                if id.is_valid() {
                    self.flight = Some(Callsign(id.callsign));
                }
                self.category = Some(Category(id.category_code()));
            }
            Me::SurfacePosition(s) => {
                self.alt_baro = Some(AltBaro::Ground);
                self.gs = s.ground_speed.map(|v| round(v, 1));
                self.track = s.track.map(|v| round(v, 2));
            }
            Me::AirbornePosition(p) => match p.altitude_source {
                AltitudeSource::Barometric => self.alt_baro = p.altitude.map(AltBaro::Feet),
                AltitudeSource::Gnss => self.alt_geom = p.altitude,
            },
            Me::Velocity(v) => {
                match v.kind {
                    VelocityKind::Ground { speed, track } => {
                        self.gs = speed.map(|v| round(v, 1));
                        self.track = track.map(|v| round(v, 2));
                    }
                    VelocityKind::Air {
                        heading,
                        airspeed,
                        true_airspeed,
                    } => {
                        self.mag_heading = heading.map(|v| round(v, 2));
                        if true_airspeed {
                            self.tas = airspeed;
                        } else {
                            self.ias = airspeed;
                        }
                    }
                }
                match v.vertical_rate_source {
                    VerticalRateSource::Barometric => self.baro_rate = v.vertical_rate,
                    VerticalRateSource::Gnss => self.geom_rate = v.vertical_rate,
                }
                self.geom_minus_baro = v.gnss_baro_diff;
                self.nac_v = Some(v.nac_v);
            }
            Me::AircraftStatus(AircraftStatus::Emergency { emergency, squawk }) => {
                self.emergency = Some(emergency.as_str());
                self.squawk = Some(Squawk(*squawk));
            }
            Me::AircraftStatus(AircraftStatus::ResolutionAdvisory { .. }) => {}
            Me::TargetState(t) => {
                if t.selected_altitude_fms {
                    self.nav_altitude_fms = t.selected_altitude;
                } else {
                    self.nav_altitude_mcp = t.selected_altitude;
                }
                self.nav_qnh = t.qnh.map(|v| round(v, 1));
                self.nav_heading = t.selected_heading.map(|v| round(v, 2));
                self.nac_p = Some(t.nac_p);
                self.nic_baro = Some(u8::from(t.nic_baro));
                self.sil = Some(t.sil);
                self.sil_type = Some(sil_type(t.sil_per_sample));
            }
            Me::OperationalStatus(o) => {
                self.version = Some(o.version);
                self.nic_a = Some(o.nic_a);
                if o.surface {
                    self.nic_c = Some(o.nic_c);
                } else {
                    self.nic_baro = Some(u8::from(o.nic_baro));
                    // GVA is a version 2 field (readsb mode_s.c reads it there only).
                    self.gva = (o.version == 2).then_some(o.gva);
                }
                self.nac_p = Some(o.nac_p);
                self.sil = Some(o.sil);
                self.sil_type = Some(sil_type(o.sil_per_sample));
                self.sda = sda(o);
            }
            _ => {}
        }
    }

    fn comm_b(&mut self, bds: &Bds) {
        match bds {
            Bds::Identification(id) => self.flight = Some(Callsign(id.callsign)),
            Bds::VerticalIntention(v) => {
                self.nav_altitude_mcp = v.mcp_altitude;
                self.nav_altitude_fms = v.fms_altitude;
                self.nav_qnh = v.qnh.map(|q| round(q, 1));
            }
            Bds::TrackAndTurn(t) => {
                self.roll = t.roll.map(|v| round(v, 2));
                self.track = t.track.map(|v| round(v, 2));
                self.gs = t.ground_speed.map(f64::from);
                self.track_rate = t.track_rate.map(|v| round(v, 2));
                self.tas = t.true_airspeed;
            }
            Bds::HeadingAndSpeed(h) => {
                self.mag_heading = h.heading.map(|v| round(v, 2));
                self.ias = h.ias;
                self.mach = h.mach.map(|v| round(v, 3));
                self.baro_rate = h.baro_rate;
                self.geom_rate = h.inertial_rate;
            }
            _ => {}
        }
    }
}

/// SDA, ME bits 31-32 (operational mode bits 7-8), only in version 2
/// with operational mode subtype 0 (bits 25-26; DO-260B §2.2.3.2.7.2.4.6,
/// as readsb's `mode_s.c` reads it).
fn sda(o: &crate::adsb::OperationalStatus) -> Option<u8> {
    (o.version == 2 && o.operational_mode >> 14 == 0)
        .then_some(((o.operational_mode >> 8) & 3) as u8)
}

fn sil_type(per_sample: bool) -> &'static str {
    if per_sample { "persample" } else { "perhour" }
}
