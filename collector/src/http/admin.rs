//! Administrative endpoints (always behind credentials, see `auth`).

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::{AppError, AppState};

/// `POST /api/v1/admin/backup`: takes a backup now and reports it.
pub async fn backup(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let b = s
        .backups
        .ok_or_else(|| AppError::Unavailable("backup_bucket is not configured".into()))?;
    let report = b.backup().await?;
    Ok(Json(
        serde_json::to_value(report).map_err(anyhow::Error::from)?,
    ))
}
