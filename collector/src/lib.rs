//! Library behind `cloudradar-collector`.
