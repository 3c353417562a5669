//! Liveness and readiness probes, without authentication.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::api::error::ApiError;
use crate::AppState;

/// The body of the probes.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ProbeStatus {
    /// `ok` for liveness, `ready` for readiness.
    #[schema(examples("ok"))]
    status: String,
}

/// Liveness
///
/// Whether the process answers; touches nothing. No key needed.
#[utoipa::path(
    get, path = "/healthz", tag = "Health", operation_id = "healthz",
    responses((status = 200, description = "Alive.", body = ProbeStatus, example = json!({"status": "ok"}))),
    security(())
)]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness
///
/// Whether the database answers, and Redis too when the server shares state through it. No
/// key needed.
#[utoipa::path(
    get, path = "/readyz", tag = "Health", operation_id = "readyz",
    responses(
        (status = 200, description = "Ready.", body = ProbeStatus, example = json!({"status": "ready"})),
        (status = 503, description = "The database, or Redis when one is configured, does not answer (`NOT_READY`)."),
    ),
    security(())
)]
pub async fn readyz(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    app.store.ping().await.map_err(|err| ApiError::Http {
        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
        code: "NOT_READY",
        message: format!("the database does not answer: {err}"),
    })?;
    if let Some(redis) = &app.redis {
        redis.ping().await.map_err(|err| ApiError::Http {
            status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
            code: "NOT_READY",
            message: err.to_string(),
        })?;
    }
    Ok(Json(json!({ "status": "ready" })))
}
