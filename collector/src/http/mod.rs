//! The HTTP API (axum): live aircraft (also as readsb's
//! `/data/aircraft.json`), history from SQLite, receivers, stats, and the
//! operational endpoints `/healthz`, `/readyz`, `/metrics`.
//!
//! Talks to: the live snapshot (processing) and the SQLite read pool
//! (whose concurrent queries are bounded: a saturated pool answers 503).

mod admin;
mod auth;
mod download;
mod error;
mod export;
mod history;
mod live;
mod observe;
pub mod openapi;
mod ops;
mod receivers;
mod server;
mod stream;
mod web;

pub use auth::Auth;
pub use error::AppError;
pub use server::Server;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::pipeline::Shared;
use crate::store::Reader;

/// What handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Live view and health.
    pub shared: Shared,
    /// SQLite reads.
    pub reader: Reader,
    /// Prometheus exposition.
    pub metrics: Option<PrometheusHandle>,
    /// Who may call the API.
    pub auth: std::sync::Arc<Auth>,
    /// Backups to S3, when configured.
    pub backups: Option<std::sync::Arc<crate::backup::Backups>>,
    /// The live snapshot, gzip-compressed once for every client.
    pub gzip: std::sync::Arc<live::GzipCache>,
}

/// Builds the router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/data/aircraft.json", get(live::aircraft_json))
        .route("/data/receiver.json", get(live::receiver_json))
        .route("/api/v1/aircraft", get(live::aircraft_json))
        .route("/api/v1/aircraft/{icao}", get(live::aircraft_one))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/stream", get(stream::stream))
        .route("/api/v1/receivers", get(receivers::list))
        .route("/api/v1/receivers/{id}/coverage", get(receivers::coverage))
        .route("/api/v1/receivers/{id}/rates", get(receivers::rates))
        .route("/api/v1/stats", get(history::stats))
        .route("/api/v1/flights", get(history::flights))
        .route("/api/v1/positions", get(history::positions))
        .route("/api/v1/export/positions", get(download::positions))
        .fallback(web::serve)
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ))
        // Added after the timeout, so not under it: a backup takes as long
        // as the database needs.
        .route("/api/v1/admin/backup", axum::routing::post(admin::backup))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(axum::middleware::from_fn_with_state(
            state.auth.clone(),
            auth::check,
        ))
        .layer(axum::middleware::from_fn(observe::record))
        .with_state(state)
}

#[cfg(test)]
mod source_tests;
#[cfg(test)]
mod tests;
