//! Administrative endpoints (always behind credentials, see `auth`).

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::{AppError, AppState};

/// `POST /api/v1/admin/backup`: takes a backup now and reports it. It runs
/// as its own task, outside the request timeout (a real database takes
/// longer than that), so a client that goes away does not cut it off half
/// way: it finishes and cleans up either way.
pub async fn backup(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let b = s
        .backups
        .ok_or_else(|| AppError::Unavailable("backup_bucket is not configured".into()))?;
    let report = tokio::spawn(async move { b.backup().await })
        .await
        .map_err(anyhow::Error::from)??;
    Ok(Json(
        serde_json::to_value(report).map_err(anyhow::Error::from)?,
    ))
}
