//! The HTTP server: health check, the API (added by later stages) and the web application.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use ap_operators::native::NativeLibs;

use ap_workspace::{Access, UpdateLog};

use crate::collab::Hub;
use crate::config::Settings;
use crate::corrections::SqliteCorrections;
use crate::error::AppError;

/// State shared by every handler.
#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub native: NativeLibs,
    /// The open rooms of the collaborative workspace.
    pub hub: Arc<Hub>,
    /// Memberships and tokens.
    pub access: Arc<Mutex<Access>>,
}

/// Build the router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let ui = ServeDir::new(&state.settings.ui_dir)
        .fallback(ServeFile::new(state.settings.ui_dir.join("index.html")));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws/{dossier}", get(workspace_socket))
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

    let data = &settings.data_dir;
    let log = UpdateLog::open(&data.join("workspace.sqlite3")).context("ouverture du journal de l'espace de travail")?;
    let corrections = SqliteCorrections::open(&data.join("engine_inputs.sqlite3"))
        .context("ouverture du journal des corrections")?;
    let access = crate::access_cmd::access_db(data)?;
    let hub = Hub::new(log, Arc::new(corrections), settings.workspace.clone());
    let access = Arc::new(Mutex::new(access));

    let app = router(Arc::new(AppState { settings, native, hub, access }));
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

fn refuse(status: StatusCode, message: &str) -> Response {
    AppError { status, message: message.to_string() }.into_response()
}

/// `GET /ws/{dossier}`: the collaborative room of a dossier. The token (`?token=` or
/// `Authorization: Bearer`) and the membership are checked before the upgrade, so a refused
/// client gets an HTTP error and never a byte of the document.
async fn workspace_socket(
    State(state): State<Arc<AppState>>,
    Path(dossier): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if ap_workspace::access::check_dossier_id(&dossier).is_err() {
        return refuse(StatusCode::BAD_REQUEST, "identifiant de dossier invalide");
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = params.get("token").map(String::as_str).or(bearer).filter(|t| !t.is_empty()) else {
        return refuse(StatusCode::UNAUTHORIZED, "jeton d'accès manquant");
    };
    let (token, access, name) = (token.to_string(), state.access.clone(), dossier.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let access = access.lock().expect("access lock");
        let Some(user) = access.authenticate(&token)? else { return Ok(Err(StatusCode::UNAUTHORIZED)) };
        Ok::<_, ap_workspace::Error>(access.role(&name, &user)?.map(|role| (user, role)).ok_or(StatusCode::FORBIDDEN))
    })
    .await;
    let (user, role) = match checked {
        Ok(Ok(Ok(member))) => member,
        Ok(Ok(Err(StatusCode::UNAUTHORIZED))) => return refuse(StatusCode::UNAUTHORIZED, "jeton d'accès invalide"),
        Ok(Ok(Err(_))) => return refuse(StatusCode::FORBIDDEN, "vous n'êtes pas membre de ce dossier"),
        Ok(Err(e)) => return AppError::unavailable(e).into_response(),
        Err(e) => return AppError::unavailable(e).into_response(),
    };
    tracing::info!(dossier, user, role = role.as_str(), "workspace connection");
    let hub = state.hub.clone();
    let max = hub.limits.max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| crate::collab::serve_connection(hub, socket, dossier, role))
}
