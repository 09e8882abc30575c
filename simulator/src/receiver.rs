//! Simulated receivers: which transmissions each one hears, how loud, at
//! what 12 MHz timestamp, and with what damage.
//!
//! Reception needs line of sight: the aircraft must be inside the radio
//! horizon (4/3-earth model, 4.12 km·(√h₁ + √h₂) with heights in metres).
//! Frames are lost more often towards the horizon; signal falls with
//! distance; the timestamp is the receiver's own clock (`clock.rs`) at the
//! time of arrival (straight-line ECEF distance at the speed of light), so
//! receivers at different places stamp the same transmission differently.
//! Noise: some frames get one flipped bit (repairable), some three (not
//! repairable).

use cloudradar_shared::Frame;
use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::crc::flip;
use cloudradar_shared::propagation;
use serde::{Deserialize, Serialize};

use crate::clock::ReceiverClock;
use crate::geo::{self, Ecef, FT};
use crate::rng::Rng;
use crate::site::Site;

/// Noise settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Noise {
    /// Probability a frame is lost even at close range.
    pub drop_rate: f64,
    /// Probability a heard frame has one flipped bit (repairable).
    pub bit_error_rate: f64,
    /// Probability a heard frame has three flipped bits (rejected).
    pub corrupt_rate: f64,
}

impl Default for Noise {
    fn default() -> Self {
        Self {
            drop_rate: 0.02,
            bit_error_rate: 0.01,
            corrupt_rate: 0.01,
        }
    }
}

/// One receiver.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// Id (also the agent's receiver id in the demo).
    pub id: String,
    /// Where the antenna is and where the receiver says it is.
    pub site: Site,
    /// Its 12 MHz counter.
    pub clock: ReceiverClock,
}

/// A transmitter at one moment: the aircraft where the frame left it.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// True time the frame left the antenna, seconds.
    pub t: f64,
    /// Position.
    pub position: Position,
    /// Barometric altitude, feet (for the radio horizon).
    pub alt_ft: f64,
    /// The antenna in ECEF metres (for the propagation delay).
    pub ecef: Ecef,
}

/// What one receiver made of one transmission.
#[derive(Debug, Clone, Copy)]
pub struct Heard {
    /// The frame as received (possibly damaged).
    pub frame: Frame,
    /// 12 MHz timestamp, on the receiver's clock.
    pub timestamp: u64,
    /// True time of arrival, seconds.
    pub t: f64,
    /// Beast signal level.
    pub signal: u8,
    /// Bits flipped by noise.
    pub flipped: u8,
}

impl Receiver {
    /// Radio horizon for an aircraft at `alt_ft`, metres.
    pub fn horizon_m(&self, alt_ft: f64) -> f64 {
        4_120.0 * (self.site.alt_m.max(1.0).sqrt() + (alt_ft.max(0.0) * FT).sqrt())
    }

    /// Whether and how this receiver hears `frame` sent from `src`: heard
    /// at its true site, stamped by its own clock.
    pub fn hear(
        &mut self,
        frame: Frame,
        src: &Source,
        noise: &Noise,
        rng: &mut Rng,
    ) -> Option<Heard> {
        let ground = distance_m(self.site.position, src.position);
        let horizon = self.horizon_m(src.alt_ft).max(3_000.0);
        if ground > horizon {
            return None;
        }
        let edge = (ground / horizon).powi(6) * 0.6;
        if rng.chance(noise.drop_rate + edge) {
            return None;
        }
        let slant = geo::distance(self.site.ecef, src.ecef);
        // Slowed by the air along the path (ITU-R P.453 reference atmosphere).
        let speed = propagation::speed(self.site.alt_m, src.alt_ft * geo::FT);
        let t = src.t + slant / speed;
        let timestamp = self.clock.stamp(t);
        let signal = (255.0 * (10_000.0 / slant.max(1.0)).sqrt()).clamp(12.0, 255.0) as u8;
        let mut frame = frame;
        let bits = frame.bits();
        let flipped = if rng.chance(noise.corrupt_rate) {
            3
        } else if rng.chance(noise.bit_error_rate) {
            1
        } else {
            0
        };
        let mut used = [usize::MAX; 3];
        for n in 0..flipped {
            let mut bit = 5 + rng.below((bits - 5) as u64) as usize;
            while used.contains(&bit) {
                bit = 5 + rng.below((bits - 5) as u64) as usize;
            }
            used[n] = bit;
            flip(frame.as_bytes_mut(), bit);
        }
        Some(Heard {
            frame,
            timestamp,
            t,
            signal,
            flipped: flipped as u8,
        })
    }
}
