//! Multilateration: positions of aircraft that send no ADS-B position,
//! solved from the arrival times of their replies at several receivers.
//!
//! - `fix.rs`: one multilaterated position ([`MlatFix`]), what the engine
//!   hands the processor (`Processor::apply_mlat` stores it).
//! - `stats_view.rs`: the engine's numbers as Prometheus metrics
//!   ([`MlatMetrics`]).

mod fix;
mod stats_view;

pub use fix::MlatFix;
pub use stats_view::MlatMetrics;
