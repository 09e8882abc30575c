//! The aircraft state model: what we know about each aircraft, merged from
//! every message of every format, with per-field ages, CPR positions and
//! plausibility checks.
//!
//! - `fields.rs`: what one message says, named like readsb's aircraft.json.
//! - `values.rs`: the field values with a type of their own.
//! - `source.rs`: where a field's value came from (ADS-B, TIS-B, MLAT …).
//! - `mlat.rs`: multilaterated positions applied by readsb's source rule.
//! - `aircraft.rs`: one aircraft's merged state.
//! - `addrtype.rs`: readsb's rule for the aircraft's `type`.
//! - `tracker.rs`: all aircraft; trust, which messages apply.
//! - `heading.rs`: the true heading from the magnetic one, as readsb.
//! - `expiry.rs`: fields and aircraft expire on the data's own time.
//! - `position.rs`: CPR pairing, local decoding, position checks.
//! - `version.rs`: ADS-B version 0 assumed, its NACp and SIL, as readsb.
//! - `comm_b.rs`: ambiguous Comm-B replies resolved with the aircraft's state.

mod addrtype;
mod aircraft;
mod comm_b;
mod expiry;
mod fields;
mod heading;
mod mlat;
mod position;
mod source;
mod tracker;
mod values;
mod version;

pub use aircraft::Aircraft;
pub use fields::{AltBaro, Callsign, Category, Fields, Sources, Squawk, Updated};
pub use mlat::{MlatOutcome, MlatPosition};
pub use source::Source;
pub use tracker::{Tracker, TrackerOptions};
