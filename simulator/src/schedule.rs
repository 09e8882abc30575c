//! What each aircraft transmits and when, following DO-260B rates:
//! airborne position and velocity about twice a second (position
//! alternating even/odd CPR), identification every 5 s, operational status
//! every 2.5 s, target state every 1.25 s (version 2), aircraft status
//! each second while squawking an emergency, surface position once a
//! second while moving, DF11 acquisition squitters about each second,
//! and DF4/5/20/21 replies each time a ground radar's beam sweeps it
//! (`radar.rs`). Aircraft without ADS-B send only the last two.

use cloudradar_shared::Frame;
use cloudradar_shared::encode::{self, me};

use crate::radar::{REPLY_SPACING_S, Radar, replies};
use crate::rng::Rng;
use crate::traffic::{Aircraft, Equipment, GNSS_BARO_DIFF_FT};

/// One transmission.
#[derive(Debug, Clone, Copy)]
pub struct Transmission {
    /// Simulated time of transmission, seconds.
    pub t: f64,
    /// Index of the aircraft in the traffic list.
    pub index: usize,
    /// Its address (a later aircraft may take the slot).
    pub icao: u32,
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
    /// Next sweep of each radar's beam over the aircraft.
    sweeps: Vec<f64>,
    /// Scans of each radar so far (which registers it extracts).
    scans: Vec<u32>,
    odd: bool,
}

/// Per-aircraft timers, and the radars that interrogate them.
#[derive(Debug, Default)]
pub struct Schedule {
    due: Vec<Due>,
    radars: Vec<Radar>,
}

impl Schedule {
    /// A schedule for traffic interrogated by `radars`.
    pub fn new(radars: Vec<Radar>) -> Self {
        Self {
            due: Vec::new(),
            radars,
        }
    }

    /// Appends every transmission due in `(t0, t1]` to `out` and sorts it
    /// by time; the later replies of a beam dwell starting by `t1` may
    /// fall a few ms after it.
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
                *d = Due::staggered(a, t0, &self.radars, rng);
            }
            if !a.transmitting {
                continue;
            }
            let mut e = Emitter {
                a,
                index,
                t1,
                ca: if a.on_ground() { 4 } else { 5 },
                alt: a.alt_ft.round() as i32,
                out,
            };
            match a.equipment {
                Equipment::Adsb(version) => d.adsb(&mut e, version, rng),
                // Seen only through TIS-B: no squitters, no replies.
                Equipment::Tisb => {
                    d.tisb(&mut e);
                    continue;
                }
                Equipment::ModeS => {}
            }
            d.mode_s(&mut e, &self.radars, rng);
        }
        out.sort_by(|a, b| a.t.total_cmp(&b.t));
    }
}

/// One aircraft's transmissions up to `t1`, appended to `out`.
struct Emitter<'a> {
    a: &'a Aircraft,
    index: usize,
    t1: f64,
    /// Capability field: 4 on the ground, 5 airborne.
    ca: u8,
    /// Altitude, whole feet.
    alt: i32,
    out: &'a mut Vec<Transmission>,
}

impl Emitter<'_> {
    fn push(&mut self, t: f64, frame: Frame) {
        self.out.push(Transmission {
            t,
            index: self.index,
            icao: self.a.icao,
            frame,
        });
    }

    /// An extended squitter (DF17) carrying `me`.
    fn df17(&mut self, t: f64, me: [u8; 7]) {
        let frame = encode::df17(self.a.icao, self.ca, me);
        self.push(t, frame);
    }
}

impl Due {
    /// Timers of an aircraft new in its slot, staggered so that aircraft
    /// appearing together do not transmit in step; each radar's beam
    /// reaches it when it points at its azimuth.
    fn staggered(a: &Aircraft, t0: f64, radars: &[Radar], rng: &mut Rng) -> Self {
        Self {
            icao: a.icao,
            position: t0 + rng.range(0.0, 0.5),
            velocity: t0 + rng.range(0.0, 0.5),
            ident: t0 + rng.range(0.0, 5.0),
            status: t0 + rng.range(0.0, 2.5),
            target: t0 + rng.range(0.0, 1.25),
            emergency: t0,
            squitter: t0 + rng.range(0.0, 1.0),
            sweeps: radars.iter().map(|r| r.next_sweep(a, t0)).collect(),
            scans: vec![0; radars.len()],
            odd: rng.chance(0.5),
        }
    }

    /// ADS-B out: positions and velocity, identification, and what the
    /// version adds (operational status, target state), plus emergency
    /// status while squawking 7500/7600/7700.
    fn adsb(&mut self, e: &mut Emitter<'_>, version: u8, rng: &mut Rng) {
        let (a, t1) = (e.a, e.t1);
        while self.position <= t1 {
            let f = if a.on_ground() {
                me::surface_position(7, a.position(), a.gs, Some(a.track), self.odd)
            } else {
                me::airborne_position(11, a.position(), e.alt, self.odd)
            };
            e.df17(self.position, f);
            self.odd = !self.odd;
            self.position += if a.on_ground() { 1.0 } else { 0.5 } + rng.range(-0.05, 0.05);
        }
        while self.velocity <= t1 {
            if !a.on_ground() {
                let vrate = a.vrate.round() as i32;
                e.df17(
                    self.velocity,
                    me::velocity(a.gs, a.track, vrate, false, Some(GNSS_BARO_DIFF_FT)),
                );
            }
            self.velocity += 0.5 + rng.range(-0.05, 0.05);
        }
        while self.ident <= t1 {
            e.df17(self.ident, me::identification(a.category, &a.callsign));
            self.ident += 5.0 + rng.range(-0.2, 0.2);
        }
        while self.status <= t1 {
            if version > 0 {
                let f = me::operational_status(a.on_ground(), version, true, 9, 3);
                e.df17(self.status, f);
            }
            self.status += 2.5 + rng.range(-0.1, 0.1);
        }
        while self.target <= t1 {
            if version == 2 && !a.on_ground() {
                let sel = (a.target_alt / 100.0).round() as i32 * 100;
                let f = me::target_state(sel, 1013.2, Some(a.target_track), 9, 3);
                e.df17(self.target, f);
            }
            self.target += 1.25 + rng.range(-0.05, 0.05);
        }
        while self.emergency <= t1 {
            if matches!(a.squawk, 0x7500 | 0x7600 | 0x7700) {
                let code = match a.squawk {
                    0x7700 => 1,
                    0x7600 => 4,
                    _ => 5,
                };
                e.df17(self.emergency, me::aircraft_status(code, a.squawk));
            }
            self.emergency += 1.0;
        }
    }

    /// TIS-B: a ground station rebroadcasts the radar track every 2 s.
    fn tisb(&mut self, e: &mut Emitter<'_>) {
        let a = e.a;
        while self.position <= e.t1 {
            let position = me::airborne_position(11, a.position(), e.alt, self.odd);
            e.push(self.position, encode::df18(a.icao, 2, position));
            let velocity = me::velocity(a.gs, a.track, a.vrate.round() as i32, true, None);
            e.push(self.position + 0.01, encode::df18(a.icao, 2, velocity));
            self.odd = !self.odd;
            self.position += 2.0;
        }
    }

    /// Mode S: acquisition squitters (DF11) at random intervals of 0.8 to
    /// 1.2 s (ICAO Annex 10 Vol IV §3.1.2.8.5.2), and the replies to each
    /// sweep of a radar that covers the aircraft, a few ms apart in the
    /// beam dwell.
    fn mode_s(&mut self, e: &mut Emitter<'_>, radars: &[Radar], rng: &mut Rng) {
        let a = e.a;
        while self.squitter <= e.t1 {
            e.push(self.squitter, encode::df11(a.icao, e.ca, 0));
            self.squitter += rng.range(0.8, 1.2);
        }
        for (i, radar) in radars.iter().enumerate() {
            let (Some(sweep), Some(scan)) = (self.sweeps.get_mut(i), self.scans.get_mut(i)) else {
                continue;
            };
            while *sweep <= e.t1 {
                if radar.covers(a) {
                    for (k, f) in replies(a, e.alt, *scan).into_iter().enumerate() {
                        e.push(*sweep + k as f64 * REPLY_SPACING_S, f);
                    }
                }
                *scan = scan.wrapping_add(1);
                *sweep += radar.period_s;
            }
        }
    }
}
