//! Library behind `cloudradar-simulator`.
