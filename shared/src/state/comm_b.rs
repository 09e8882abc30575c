//! Comm-B replies that fit more than one register (BDS 5,0 and 6,0),
//! resolved against what the aircraft is known to be doing, as pyModeS
//! does: its ground speed, track, airspeeds, heading and altitude.

use super::aircraft::Aircraft;
use crate::adsb::Me;
use crate::altitude::Altitude;
use crate::commb::{Bds, Known};
use crate::decode::{Content, Message};

/// `msg` with its Comm-B register resolved against `ac`'s state.
pub(super) fn resolve_comm_b(ac: &Aircraft, msg: &Message) -> Message {
    let mut msg = *msg;
    if let Content::CommBAltitude { bds, .. } | Content::CommBIdentity { bds, .. } =
        &mut msg.content
        && let Bds::Ambiguous(c) = *bds
    {
        *bds = c.resolve(&known(ac));
    }
    msg
}

/// What `ac` is known to be doing, in the terms of [`Known`].
fn known(ac: &Aircraft) -> Known {
    let f = &ac.fields;
    Known {
        ground_speed: f.gs,
        track: f.track,
        true_airspeed: f.tas.map(f64::from),
        heading: f.mag_heading,
        ias: f.ias.map(f64::from),
        mach: f.mach,
        altitude: ac.reported_altitude.map(f64::from),
    }
}

/// The altitude `msg` carries in feet, whatever its flight status says, as
/// pyModeS keeps it (metric codes, which it does not decode, excluded).
pub(super) fn reported_altitude(msg: &Message) -> Option<i32> {
    let code = match &msg.content {
        Content::ShortAcas { altitude, .. }
        | Content::LongAcas { altitude, .. }
        | Content::SurveillanceAltitude { altitude, .. }
        | Content::CommBAltitude { altitude, .. } => *altitude,
        Content::ExtendedSquitter {
            me: Me::AirbornePosition(p),
            ..
        } => return p.altitude,
        _ => None,
    };
    match code? {
        Altitude::Feet(ft) => Some(ft),
        Altitude::Metres(_) => None,
    }
}
