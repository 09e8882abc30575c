//! MQTT, as far as CloudRadar polices it: the collector's gate checks every
//! packet a receiver sends before it reaches the embedded broker (per-topic
//! ACL), with the framing and CONNECT parsing in [`packet`]. No I/O.

pub mod packet;
