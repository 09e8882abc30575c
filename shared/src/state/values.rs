//! The values of aircraft fields that need their own type: a callsign,
//! a Mode A code, an emitter category and a barometric altitude that may
//! be `"ground"`, each serialised as readsb prints it.

use serde::{Serialize, Serializer};

/// An 8-character callsign, printed with its trailing spaces as readsb does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callsign(pub [u8; 8]);

impl Callsign {
    /// The text, trailing spaces kept.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl Serialize for Callsign {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A Mode A code (`0x7700` prints as `"7700"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Squawk(pub u16);

impl Serialize for Squawk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:04x}", self.0))
    }
}

/// An emitter category such as `"A3"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category(pub [u8; 2]);

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(std::str::from_utf8(&self.0).unwrap_or(""))
    }
}

/// Barometric altitude, or `"ground"` as readsb prints it on the surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AltBaro {
    /// Feet.
    Feet(i32),
    /// On the ground.
    #[serde(serialize_with = "ground")]
    Ground,
}

fn ground<S: Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("ground")
}
