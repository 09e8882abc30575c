//! Library behind `cloudradar-agent`, the edge agent that runs next to a
//! receiver.
//!
//! Data flow: `input` (TCP, serial, file) → `filter` (CRC, repeats, and
//! optionally `reduce`) →
//! `batch` (group, number, encode) → `publish` (spool, then MQTT, over
//! `tls` for `mqtts://`; a batch stays spooled until the collector
//! confirms it, `confirm`) with `spool` on disk in between. `identity`
//! keeps the receiver id and sequence numbers; `config` the settings;
//! `http` the local metrics endpoint; `decode_cmd` the `decode` subcommand.

pub mod app;
pub mod batch;
pub mod cli;
pub mod config;
pub mod confirm;
pub mod decode_cmd;
pub mod filter;
pub mod http;
pub mod identity;
pub mod input;
pub mod publish;
pub mod reduce;
pub mod spool;
pub mod telemetry;
pub mod tls;
