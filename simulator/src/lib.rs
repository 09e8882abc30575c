//! Library behind `cloudradar-sim`: realistic air traffic as bit-exact
//! Mode S frames.
//!
//! - `traffic/`: the aircraft and how they move; scenario events.
//! - `schedule.rs`: what each aircraft transmits and when (DO-260B rates).
//! - `receiver.rs`: who hears what: horizon, loss, signal, timestamps, noise.
//! - `engine.rs`: ties them together, no I/O.
//! - `output/`: Beast and AVR TCP servers per receiver.
//! - `app.rs`: the real-time loop and ground truth file; `replay.rs`: a
//!   recording played instead of simulated traffic.
//! - `config.rs`: the scenario; `cli.rs`: the command line over it;
//!   `rng.rs`: the deterministic generator.

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod output;
pub mod receiver;
pub mod replay;
pub mod rng;
pub mod schedule;
pub mod traffic;
