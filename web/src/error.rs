//! The HTTP edge's error: any failure becomes a JSON body with a French message and a status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error returned by a handler.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
}

impl AppError {
    /// A dependency of the service (native library, storage) is not usable: 503, message shown.
    pub fn unavailable(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "service unavailable");
        Self { status: StatusCode::SERVICE_UNAVAILABLE, message: err.to_string() }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "erreur": self.message }))).into_response()
    }
}
