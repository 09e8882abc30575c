//! Library behind `cloudradar-agent`, the edge agent that runs next to a
//! receiver.
//!
//! Module map:
//! - `cli.rs`: command line (subcommands `run` and `decode`).
//! - `decode_cmd.rs`: `cloudradar-agent decode`, recordings to JSON lines.

pub mod cli;
pub mod decode_cmd;
