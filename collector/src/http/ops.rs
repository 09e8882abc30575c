//! `/healthz` (the process is alive), `/readyz` (broker, Redis and SQLite
//! usable), `/metrics` (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    let (broker, redis, sqlite) = s.shared.health.states();
    let ready = s.shared.health.ready();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({ "ready": ready, "broker": broker, "redis": redis, "sqlite": sqlite })),
    )
}

pub async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    let body = s.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    ([("content-type", "text/plain; version=0.0.4")], body)
}
