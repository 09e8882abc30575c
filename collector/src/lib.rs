//! Library behind `cloudradar-collector`, the central collector.
//!
//! Data flow: `broker` (embedded MQTT) → `ingest` (subscribe, validate) →
//! `buffer` (Redis Streams or embedded queue) → `pipeline` + `process`
//! (decode, state, de-duplication) → `store` (SQLite) → `http` (API);
//! `confirm` tells each agent which of its batches are done.
//! `app` wires them; `config` holds the settings and `cli` the command
//! line over them; `health` feeds `/readyz`;
//! `disk` watches the data directory's space.

pub mod app;
pub mod backup;
pub mod broker;
pub mod buffer;
pub mod cli;
pub mod config;
pub mod confirm;
pub mod disk;
pub mod health;
pub mod http;
pub mod ingest;
pub mod pipeline;
pub mod process;
pub mod store;
pub mod telemetry;
