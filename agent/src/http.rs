//! The agent's small local HTTP endpoint: `/healthz` and `/metrics`.

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

/// Builds the router.
pub fn router(metrics: Option<PrometheusHandle>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(move || {
                let body = metrics.as_ref().map(|h| h.render()).unwrap_or_default();
                async move { ([("content-type", "text/plain; version=0.0.4")], body) }
            }),
        )
}
