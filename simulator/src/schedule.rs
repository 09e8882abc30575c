//! What each aircraft transmits and when, following DO-260B rates:
//! airborne position and velocity about twice a second (position
//! alternating even/odd CPR), identification every 5 s, operational status
//! every 2.5 s, target state every 1.25 s (version 2), aircraft status
//! each second while squawking an emergency, surface position once a
//! second while moving, DF11 acquisition squitters each second, and
//! DF4/5/20/21 replies each time a ground radar (4.8 s rotation) sweeps.

use cloudradar_shared::Frame;
use cloudradar_shared::encode::{self, me};

use crate::rng::Rng;
use crate::traffic::{Aircraft, Equipment};

/// One transmission.
#[derive(Debug, Clone, Copy)]
pub struct Transmission {
    /// Simulated time of transmission, seconds.
    pub t: f64,
    /// Index of the aircraft in the traffic list.
    pub index: usize,
    /// The frame.
    pub frame: Frame,
}

#[derive(Debug, Clone, Default)]
struct Due {
    icao: u32,
    position: f64,
    velocity: f64,
    ident: f64,
    status: f64,
    target: f64,
    emergency: f64,
    squitter: f64,
    radar: f64,
    odd: bool,
    reply: u32,
}

/// Per-aircraft timers.
#[derive(Debug, Default)]
pub struct Schedule {
    due: Vec<Due>,
}

const RADAR_PERIOD: f64 = 4.8;

impl Schedule {
    /// Appends every transmission due in `(t0, t1]` to `out`.
    pub fn emit(
        &mut self,
        traffic: &[Aircraft],
        t0: f64,
        t1: f64,
        rng: &mut Rng,
        out: &mut Vec<Transmission>,
    ) {
        self.due.resize_with(traffic.len(), Due::default);
        for (index, a) in traffic.iter().enumerate() {
            let d = &mut self.due[index];
            if d.icao != a.icao {
                // A new aircraft in this slot: stagger its timers.
                *d = Due {
                    icao: a.icao,
                    position: t0 + rng.range(0.0, 0.5),
                    velocity: t0 + rng.range(0.0, 0.5),
                    ident: t0 + rng.range(0.0, 5.0),
                    status: t0 + rng.range(0.0, 2.5),
                    target: t0 + rng.range(0.0, 1.25),
                    emergency: t0,
                    squitter: t0 + rng.range(0.0, 1.0),
                    radar: t0 + rng.range(0.0, RADAR_PERIOD),
                    odd: rng.chance(0.5),
                    reply: 0,
                };
            }
            if !a.transmitting {
                continue;
            }
            let mut push = |t: f64, frame: Frame| out.push(Transmission { t, index, frame });
            let ca = if a.on_ground() { 4 } else { 5 };
            let alt = a.alt_ft.round() as i32;
            match a.equipment {
                Equipment::Adsb(version) => {
                    while d.position <= t1 {
                        let f = if a.on_ground() {
                            me::surface_position(7, a.position(), a.gs, Some(a.track), d.odd)
                        } else {
                            me::airborne_position(11, a.position(), alt, d.odd)
                        };
                        push(d.position, encode::df17(a.icao, ca, f));
                        d.odd = !d.odd;
                        d.position +=
                            if a.on_ground() { 1.0 } else { 0.5 } + rng.range(-0.05, 0.05);
                    }
                    while d.velocity <= t1 {
                        if !a.on_ground() {
                            push(
                                d.velocity,
                                encode::df17(
                                    a.icao,
                                    ca,
                                    me::velocity(
                                        a.gs,
                                        a.track,
                                        a.vrate.round() as i32,
                                        false,
                                        Some(125),
                                    ),
                                ),
                            );
                        }
                        d.velocity += 0.5 + rng.range(-0.05, 0.05);
                    }
                    while d.ident <= t1 {
                        push(
                            d.ident,
                            encode::df17(a.icao, ca, me::identification(a.category, &a.callsign)),
                        );
                        d.ident += 5.0 + rng.range(-0.2, 0.2);
                    }
                    while d.status <= t1 {
                        if version > 0 {
                            push(
                                d.status,
                                encode::df17(
                                    a.icao,
                                    ca,
                                    me::operational_status(a.on_ground(), version, true, 9, 3),
                                ),
                            );
                        }
                        d.status += 2.5 + rng.range(-0.1, 0.1);
                    }
                    while d.target <= t1 {
                        if version == 2 && !a.on_ground() {
                            let sel = (a.target_alt / 100.0).round() as i32 * 100;
                            push(
                                d.target,
                                encode::df17(
                                    a.icao,
                                    ca,
                                    me::target_state(sel, 1013.2, Some(a.target_track), 9, 3),
                                ),
                            );
                        }
                        d.target += 1.25 + rng.range(-0.05, 0.05);
                    }
                    while d.emergency <= t1 {
                        if matches!(a.squawk, 0x7500 | 0x7600 | 0x7700) {
                            let code = match a.squawk {
                                0x7700 => 1,
                                0x7600 => 4,
                                _ => 5,
                            };
                            push(
                                d.emergency,
                                encode::df17(a.icao, ca, me::aircraft_status(code, a.squawk)),
                            );
                        }
                        d.emergency += 1.0;
                    }
                }
                Equipment::Tisb => {
                    // A ground station rebroadcasts radar tracks every 2 s.
                    while d.position <= t1 {
                        push(
                            d.position,
                            encode::df18(
                                a.icao,
                                2,
                                me::airborne_position(11, a.position(), alt, d.odd),
                            ),
                        );
                        push(
                            d.position + 0.01,
                            encode::df18(
                                a.icao,
                                2,
                                me::velocity(a.gs, a.track, a.vrate.round() as i32, true, None),
                            ),
                        );
                        d.odd = !d.odd;
                        d.position += 2.0;
                    }
                    continue;
                }
                Equipment::ModeS => {}
            }
            while d.squitter <= t1 {
                push(d.squitter, encode::df11(a.icao, ca, 0));
                d.squitter += 1.0 + rng.range(-0.1, 0.1);
            }
            while d.radar <= t1 {
                let fs = u8::from(a.on_ground());
                d.reply = d.reply.wrapping_add(1);
                let frame = match d.reply % 5 {
                    0 => encode::df4(a.icao, fs, alt),
                    1 => encode::df5(a.icao, fs, a.squawk),
                    2 => encode::df20(a.icao, fs, alt, encode::bds20(&a.callsign)),
                    3 => encode::df20(
                        a.icao,
                        fs,
                        alt,
                        encode::bds40(((a.target_alt / 100.0).round() * 100.0) as i32, 1013.2),
                    ),
                    _ => encode::df21(
                        a.icao,
                        fs,
                        a.squawk,
                        encode::bds60(
                            a.track,
                            (a.gs * 0.6) as u32,
                            a.gs / 600.0 * 0.8,
                            a.vrate.round() as i32,
                        ),
                    ),
                };
                push(d.radar, frame);
                d.radar += RADAR_PERIOD;
            }
        }
        out.sort_by(|a, b| a.t.total_cmp(&b.t));
    }
}
