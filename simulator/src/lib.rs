//! Library behind `cloudradar-sim`: realistic air traffic as bit-exact
//! Mode S frames.
//!
//! - `traffic/`: the aircraft and how they move; scenario events.
//! - `schedule.rs`: what each aircraft transmits and when (DO-260B rates).
//! - `radar.rs`: the ground radars whose interrogations DF4/5/20/21 answer.
//! - `receiver.rs`: who hears what: horizon, loss, signal, timestamps, noise;
//!   `clock.rs`: each receiver's own 12 MHz counter; `site.rs`: where it is
//!   and where it says it is; `geo.rs`: WGS84 ECEF distances.
//! - `engine.rs`: ties them together, no I/O.
//! - `output/`: Beast and AVR TCP servers per receiver.
//! - `app.rs`: the real-time loop; `truth.rs`: the ground truth file;
//!   `replay.rs`: a recording played instead of simulated traffic.
//! - `config/`: the scenario; `cli.rs`: the command line over it;
//!   `rng.rs`: the deterministic generator.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod engine;
pub mod geo;
pub mod output;
pub mod radar;
pub mod receiver;
pub mod replay;
pub mod rng;
pub mod schedule;
pub mod site;
pub mod traffic;
pub mod truth;
