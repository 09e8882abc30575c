//! Library behind `cloudradar-collector`, the central collector.
//!
//! Data flow: `broker` (embedded MQTT, or an external broker) → `ingest`
//! (subscribe, validate, rate-limit) → `buffer` (one [`buffer::Buffer`]
//! interface: the embedded queue or Redis Streams) → `pipeline` (the one
//! processing loop) with `process` (decode, state, de-duplication) →
//! `store` (SQLite) → `http` (API, `/data/`, dashboard); `confirm` tells
//! each agent which of its batches are done, `status` records what
//! receivers report about themselves.
//!
//! `app` starts them as a list of components of one shape
//! ([`component`]); `config` holds the settings and `cli` the command
//! line over them; `health` feeds `/readyz`; `disk` watches the data
//! directory's space; `backup` copies the database to S3; `archive` writes history to S3 as
//! Parquet; `mlat` multilaterates Mode S-only aircraft (the engine, its
//! fixes and their metrics); `telemetry`
//! sets up logs and metrics.

pub mod app;
pub mod archive;
pub mod backup;
pub mod broker;
pub mod buffer;
pub mod cli;
pub mod component;
pub mod config;
pub mod confirm;
pub mod disk;
pub mod health;
pub mod http;
pub mod ingest;
pub mod mlat;
pub mod pipeline;
pub mod process;
pub mod status;
pub mod store;
pub mod telemetry;
