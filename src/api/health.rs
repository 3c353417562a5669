//! Liveness and readiness probes, without authentication.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::AppState;

/// Alive: touches nothing.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers.
pub async fn readyz(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    app.store.ping().await.map_err(|err| ApiError::Http {
        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
        code: "NOT_READY",
        message: format!("the database does not answer: {err}"),
    })?;
    Ok(Json(json!({ "status": "ready" })))
}
