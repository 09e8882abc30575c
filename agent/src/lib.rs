//! Library behind `cloudradar-agent`.
