//! The simulation engine: advances the traffic, collects the transmissions
//! due, and decides what every receiver hears. Pure computation (no I/O),
//! so tests and the benchmark drive it directly.

use cloudradar_shared::cpr::Position;
use cloudradar_shared::format::Received;
use serde::Serialize;

use crate::clock::ReceiverClock;
use crate::config::{Config, DEFAULT_ALT_M, ReceiverConfig};
use crate::geo;
use crate::radar::Radar;
use crate::receiver::{Noise, Receiver, Source};
use crate::rng::Rng;
use crate::schedule::{Schedule, Transmission};
use crate::site::Site;
use crate::traffic::{Aircraft, Traffic, TrafficSettings, destination, geometric_alt_m};

/// One receiver's reception of one transmission.
#[derive(Debug, Clone, Copy)]
pub struct Reception {
    /// Receiver index.
    pub receiver: usize,
    /// What it received (the timestamp on its own clock).
    pub rx: Received,
    /// True time of arrival, seconds.
    pub t: f64,
    /// Bits damaged by noise.
    pub flipped: u8,
}

/// A transmission and who heard it (ground truth).
#[derive(Debug, Clone, Serialize)]
pub struct TruthFrame {
    /// Simulated time the frame left the aircraft, seconds.
    pub t: f64,
    /// Transmitting aircraft.
    pub icao: String,
    /// The aircraft has no ADS-B out (Mode S only).
    pub mode_s_only: bool,
    /// Where the aircraft was at `t`: latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Barometric altitude, feet.
    pub alt_ft: f64,
    /// Height above the WGS84 ellipsoid, metres (what the propagation
    /// delays are computed from).
    pub alt_geom_m: f64,
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
    /// Transmissions due after the step that produced them (the end of a
    /// beam dwell), sent in the next one so every receiver's stream
    /// stays in time order.
    carried: Vec<Transmission>,
    /// Each aircraft's address, position and altitude at the start of the step.
    before: Vec<(u32, Position, f64)>,
}

impl Engine {
    /// Builds the engine for a scenario.
    pub fn new(config: &Config) -> Self {
        let centre = Position {
            lat: config.centre_lat,
            lon: config.centre_lon,
        };
        Self {
            traffic: Traffic::new(TrafficSettings {
                seed: config.seed,
                count: config.aircraft,
                centre,
                radius_km: config.radius_km,
                mode_s_only_share: config.mode_s_only_share,
                events: config.events.clone(),
            }),
            receivers: receivers(config, centre),
            schedule: Schedule::new(Radar::around(centre)),
            noise: config.noise,
            rng: Rng::new(config.seed.wrapping_mul(31).wrapping_add(7)),
            pending: Vec::new(),
            carried: Vec::new(),
            before: Vec::new(),
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
        self.before.clear();
        self.before.extend(
            self.traffic
                .aircraft
                .iter()
                .map(|a| (a.icao, a.position(), a.alt_ft)),
        );
        for r in &mut self.receivers {
            r.clock.advance_to(t0);
        }
        self.traffic.step(dt);
        let t1 = self.traffic.elapsed();
        self.pending.clear();
        self.pending.append(&mut self.carried);
        self.schedule.emit(
            &self.traffic.aircraft,
            t0,
            t1,
            &mut self.rng,
            &mut self.pending,
        );
        let due = self.pending.partition_point(|tx| tx.t <= t1);
        self.carried.extend(self.pending.drain(due..));
        for tx in &self.pending {
            let Some(a) = self
                .traffic
                .aircraft
                .get(tx.index)
                .filter(|a| a.icao == tx.icao)
            else {
                continue;
            };
            let src = source_at(a, self.before.get(tx.index), tx.t, t0, t1);
            let mut heard = Vec::new();
            for (i, r) in self.receivers.iter_mut().enumerate() {
                if let Some(h) = r.hear(tx.frame, &src, &self.noise, &mut self.rng) {
                    deliver(Reception {
                        receiver: i,
                        rx: Received {
                            frame: h.frame,
                            timestamp: h.timestamp,
                            signal: h.signal,
                        },
                        t: h.t,
                        flipped: h.flipped,
                    });
                    heard.push((r.id.clone(), h.flipped));
                }
            }
            truth(
                &TruthFrame {
                    t: tx.t,
                    icao: format!("{:06x}", a.icao),
                    mode_s_only: a.mode_s_only(),
                    lat: src.position.lat,
                    lon: src.position.lon,
                    alt_ft: src.alt_ft,
                    alt_geom_m: geometric_alt_m(src.alt_ft, a.on_ground()),
                    raw: tx.frame.to_hex(),
                    heard,
                },
                a,
            );
        }
    }
}

/// Where aircraft `a` was at `t` in the step from `t0` to `t1`: along the
/// line from its state at `t0` (`before`, if the slot held the same
/// aircraft then) to its state now.
fn source_at(
    a: &Aircraft,
    before: Option<&(u32, Position, f64)>,
    t: f64,
    t0: f64,
    t1: f64,
) -> Source {
    let (position, alt_ft) = match before {
        Some(&(icao, p0, alt0)) if icao == a.icao && t1 > t0 => {
            let f = (t - t0) / (t1 - t0);
            let lerp = |x0: f64, x1: f64| x0 + (x1 - x0) * f;
            let lon1 = p0.lon + (a.lon - p0.lon + 540.0).rem_euclid(360.0) - 180.0;
            let lon = (lerp(p0.lon, lon1) + 540.0).rem_euclid(360.0) - 180.0;
            (
                Position {
                    lat: lerp(p0.lat, a.lat),
                    lon,
                },
                lerp(alt0, a.alt_ft),
            )
        }
        _ => (a.position(), a.alt_ft),
    };
    Source {
        t,
        position,
        alt_ft,
        ecef: geo::ecef(position, geometric_alt_m(alt_ft, a.on_ground())),
    }
}

/// The scenario's receivers (its list, or `receiver_count` around the
/// airport: the first at it, the others on a 60 km ring), each with its
/// clock and site. Every clock has its own seed, so adding a receiver
/// leaves the others' clocks as they were.
fn receivers(config: &Config, centre: Position) -> Vec<Receiver> {
    let mut site_rng = Rng::new(config.seed ^ 0x517E_0000_0000_0001);
    let clock_seed = |i: usize| {
        config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03)
    };
    let generated: Vec<ReceiverConfig>;
    let list = if config.receivers.is_empty() {
        let n = config.receiver_count.max(1);
        generated = (0..n)
            .map(|i| {
                let p = if i == 0 {
                    centre
                } else {
                    destination(centre, 360.0 * i as f64 / (n - 1).max(1) as f64, 60_000.0)
                };
                ReceiverConfig::at(&format!("sim-{}", i + 1), p.lat, p.lon)
            })
            .collect();
        &generated
    } else {
        &config.receivers
    };
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            let position = Position {
                lat: r.lat,
                lon: r.lon,
            };
            let error = r.site_error(config.position_error_m, config.altitude_error_m);
            let alt_m = r.alt_m.unwrap_or(DEFAULT_ALT_M);
            Receiver {
                id: r.id.clone(),
                site: Site::new(position, alt_m, error, &mut site_rng),
                clock: ReceiverClock::new(r.clock_params(config.clock, i), clock_seed(i)),
            }
        })
        .collect()
}
