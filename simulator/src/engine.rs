//! The simulation engine: advances the traffic, collects the transmissions
//! due, and decides what every receiver hears. Pure computation (no I/O),
//! so tests and the benchmark drive it directly.

use cloudradar_shared::format::Received;
use serde::Serialize;

use crate::config::Config;
use crate::receiver::{Noise, Receiver};
use crate::rng::Rng;
use crate::schedule::{Schedule, Transmission};
use crate::traffic::{Aircraft, Traffic, destination};
use cloudradar_shared::cpr::Position;

/// One receiver's reception of one transmission.
#[derive(Debug, Clone, Copy)]
pub struct Reception {
    /// Receiver index.
    pub receiver: usize,
    /// What it received.
    pub rx: Received,
    /// Bits damaged by noise.
    pub flipped: u8,
}

/// A transmission and who heard it (ground truth).
#[derive(Debug, Clone, Serialize)]
pub struct TruthFrame {
    /// Simulated time, seconds.
    pub t: f64,
    /// Transmitting aircraft.
    pub icao: String,
    /// The frame as sent (lowercase hex).
    pub raw: String,
    /// Receivers that heard it, with the bits noise flipped.
    pub heard: Vec<(String, u8)>,
}

/// The simulator state.
#[derive(Debug)]
pub struct Engine {
    /// The traffic.
    pub traffic: Traffic,
    /// The receivers.
    pub receivers: Vec<Receiver>,
    schedule: Schedule,
    noise: Noise,
    rng: Rng,
    pending: Vec<Transmission>,
}

impl Engine {
    /// Builds the engine for a scenario.
    pub fn new(config: &Config) -> Self {
        let centre = Position {
            lat: config.centre_lat,
            lon: config.centre_lon,
        };
        let receivers = if config.receivers.is_empty() {
            (0..config.receiver_count.max(1))
                .map(|i| {
                    // First at the airport, the others on a 60 km ring around it.
                    let position = if i == 0 {
                        centre
                    } else {
                        destination(
                            centre,
                            360.0 * i as f64 / (config.receiver_count - 1).max(1) as f64,
                            60_000.0,
                        )
                    };
                    Receiver {
                        id: format!("sim-{}", i + 1),
                        position,
                        antenna_m: 15.0,
                    }
                })
                .collect()
        } else {
            config
                .receivers
                .iter()
                .map(|r| Receiver {
                    id: r.id.clone(),
                    position: Position {
                        lat: r.lat,
                        lon: r.lon,
                    },
                    antenna_m: 15.0,
                })
                .collect()
        };
        Self {
            traffic: Traffic::new(
                config.seed,
                config.aircraft,
                centre,
                config.radius_km,
                config.events.clone(),
            ),
            receivers,
            schedule: Schedule::default(),
            noise: config.noise,
            rng: Rng::new(config.seed.wrapping_mul(31).wrapping_add(7)),
            pending: Vec::new(),
        }
    }

    /// Advances by `dt` simulated seconds; calls `deliver` for every
    /// reception and `truth` for every transmission, in time order.
    pub fn advance(
        &mut self,
        dt: f64,
        mut deliver: impl FnMut(Reception),
        mut truth: impl FnMut(&TruthFrame, &Aircraft),
    ) {
        let t0 = self.traffic.elapsed();
        self.traffic.step(dt);
        let t1 = self.traffic.elapsed();
        self.pending.clear();
        self.schedule.emit(
            &self.traffic.aircraft,
            t0,
            t1,
            &mut self.rng,
            &mut self.pending,
        );
        for tx in &self.pending {
            let Some(a) = self.traffic.aircraft.get(tx.index) else {
                continue;
            };
            let mut heard = Vec::new();
            for (i, r) in self.receivers.iter().enumerate() {
                if let Some(h) = r.hear(
                    tx.frame,
                    tx.t,
                    a.position(),
                    a.alt_ft,
                    &self.noise,
                    &mut self.rng,
                ) {
                    deliver(Reception {
                        receiver: i,
                        rx: Received {
                            frame: h.frame,
                            timestamp: h.timestamp,
                            signal: h.signal,
                        },
                        flipped: h.flipped,
                    });
                    heard.push((r.id.clone(), h.flipped));
                }
            }
            truth(
                &TruthFrame {
                    t: tx.t,
                    icao: format!("{:06x}", a.icao),
                    raw: tx.frame.to_hex(),
                    heard,
                },
                a,
            );
        }
    }
}
