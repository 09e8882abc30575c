//! Simulated receivers: which transmissions each one hears, how loud, at
//! what 12 MHz timestamp, and with what damage.
//!
//! Reception needs line of sight: the aircraft must be inside the radio
//! horizon (4/3-earth model, 4.12 km·(√h₁ + √h₂) with heights in metres).
//! Frames are lost more often towards the horizon; signal falls with
//! distance; the timestamp includes the propagation delay, so receivers at
//! different places stamp the same transmission differently. Noise: some
//! frames get one flipped bit (repairable), some three (not repairable).

use cloudradar_shared::Frame;
use cloudradar_shared::cpr::{Position, distance_m};
use cloudradar_shared::crc::flip;
use serde::{Deserialize, Serialize};

use crate::rng::Rng;

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
    /// Antenna position.
    pub position: Position,
    /// Antenna height above ground, metres.
    pub antenna_m: f64,
}

/// What one receiver made of one transmission.
#[derive(Debug, Clone, Copy)]
pub struct Heard {
    /// The frame as received (possibly damaged).
    pub frame: Frame,
    /// 12 MHz timestamp.
    pub timestamp: u64,
    /// Beast signal level.
    pub signal: u8,
    /// Bits flipped by noise.
    pub flipped: u8,
}

const C: f64 = 299_792_458.0;

impl Receiver {
    /// Radio horizon for an aircraft at `alt_ft`, metres.
    pub fn horizon_m(&self, alt_ft: f64) -> f64 {
        4_120.0 * (self.antenna_m.sqrt() + (alt_ft.max(0.0) * 0.3048).sqrt())
    }

    /// Whether and how this receiver hears `frame` sent at `t` seconds from `pos`.
    pub fn hear(
        &self,
        frame: Frame,
        t: f64,
        pos: Position,
        alt_ft: f64,
        noise: &Noise,
        rng: &mut Rng,
    ) -> Option<Heard> {
        let ground = distance_m(self.position, pos);
        let horizon = self.horizon_m(alt_ft).max(3_000.0);
        if ground > horizon {
            return None;
        }
        let edge = (ground / horizon).powi(6) * 0.6;
        if rng.chance(noise.drop_rate + edge) {
            return None;
        }
        let slant = (ground * ground + (alt_ft * 0.3048).powi(2)).sqrt();
        let timestamp = (((t + slant / C) * 12e6) as u64) & 0xFFFF_FFFF_FFFF;
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
            signal,
            flipped: flipped as u8,
        })
    }
}
