//! The HTTP server: health check, the API (added by later stages) and the web application.

use std::sync::Arc;

use anyhow::{Context, Result};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use ap_operators::native::NativeLibs;

use crate::config::Settings;
use crate::error::AppError;

/// State shared by every handler.
#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub native: NativeLibs,
}

/// Build the router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let ui = ServeDir::new(&state.settings.ui_dir)
        .fallback(ServeFile::new(state.settings.ui_dir.join("index.html")));
    Router::new()
        .route("/healthz", get(healthz))
        .fallback_service(ui)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Bind, print the address actually bound, and serve until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> Result<()> {
    let native = NativeLibs::new(settings.lib_dir.as_deref());
    native.check().context("vérification des bibliothèques natives")?;
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("création du dossier de données {}", settings.data_dir.display()))?;

    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("impossible d'écouter sur {}", settings.addr))?;
    let local = listener.local_addr()?;
    // Machine-readable line on stdout: tests and scripts started with port 0 read it.
    println!("assistant-parquet écoute sur http://{local}");
    tracing::info!(%local, data_dir = %settings.data_dir.display(), "server started");

    let app = router(Arc::new(AppState { settings, native }));
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    pdfium: bool,
    onnxruntime: bool,
}

/// `GET /healthz`: the server runs and its native libraries are loaded (503 otherwise).
async fn healthz(State(state): State<Arc<AppState>>) -> Result<Json<Health>, AppError> {
    state.native.pdfium().map_err(AppError::unavailable)?;
    state.native.init_onnxruntime().map_err(AppError::unavailable)?;
    Ok(Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION"), pdfium: true, onnxruntime: true }))
}
