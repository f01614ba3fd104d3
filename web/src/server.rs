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

use ap_workspace::{Access, Role, UpdateLog};

use crate::collab::Hub;
use crate::config::Settings;
use crate::corrections::EngineCorrections;
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
    /// The incremental engine (documents → page text → passages → pieces).
    pub engine: Arc<ap_engine::Engine>,
}

/// Build the router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let ui = ServeDir::new(&state.settings.ui_dir)
        .fallback(ServeFile::new(state.settings.ui_dir.join("index.html")));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws/{dossier}", get(workspace_socket))
        .route("/api/dossiers/{dossier}", get(dossier_view))
        .route("/api/dossiers/{dossier}/documents/{document}/consultable.pdf", get(searchable_pdf))
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
    let engine = Arc::new(crate::dossier_cmd::open_engine(data, settings.lib_dir.as_deref())?);
    if let Some(dir) = &settings.demo_dir {
        load_demo(&engine, dir)?;
    }

    let log = UpdateLog::open(&data.join("workspace.sqlite3")).context("ouverture du journal de l'espace de travail")?;
    let access = crate::access_cmd::access_db(data)?;
    // Corrections made in the workspace are engine inputs.
    let hub = Hub::new(log, Arc::new(EngineCorrections::new(engine.clone())), settings.workspace.clone());
    let access = Arc::new(Mutex::new(access));

    let app = router(Arc::new(AppState { settings, native, hub, access, engine }));
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("server stopped");
    Ok(())
}

/// Add every PDF of each sub-folder of `dir` to a dossier `demo-<folder>` (idempotent: the
/// same files again change nothing). Reading happens in the engine's pool, after start.
fn load_demo(engine: &ap_engine::Engine, dir: &std::path::Path) -> Result<()> {
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("dossiers de démonstration introuvables dans {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let dossier = format!("demo-{}", folder.file_name().unwrap_or_default().to_string_lossy().to_lowercase());
        let mut files: Vec<_> = std::fs::read_dir(&folder)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")))
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).with_context(|| format!("lecture de {}", file.display()))?;
            let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
            engine.add_document(&dossier, &crate::dossier_cmd::document_id(&file), &name, &bytes)?;
        }
        tracing::info!(%dossier, "demonstration dossier loaded");
    }
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

/// The user and role behind the request's token (`?token=` or `Authorization: Bearer`) for
/// `dossier`, or the HTTP refusal: 400 bad dossier id, 401 no or unknown token, 403 not a member.
async fn member(
    state: &AppState,
    dossier: &str,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<(String, Role), Response> {
    if ap_workspace::access::check_dossier_id(dossier).is_err() {
        return Err(refuse(StatusCode::BAD_REQUEST, "identifiant de dossier invalide"));
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = params.get("token").map(String::as_str).or(bearer).filter(|t| !t.is_empty()) else {
        return Err(refuse(StatusCode::UNAUTHORIZED, "jeton d'accès manquant"));
    };
    let (token, access, name) = (token.to_string(), state.access.clone(), dossier.to_string());
    let checked = tokio::task::spawn_blocking(move || {
        let access = access.lock().expect("access lock");
        let Some(user) = access.authenticate(&token)? else { return Ok(Err(StatusCode::UNAUTHORIZED)) };
        Ok::<_, ap_workspace::Error>(access.role(&name, &user)?.map(|role| (user, role)).ok_or(StatusCode::FORBIDDEN))
    })
    .await;
    match checked {
        Ok(Ok(Ok(member))) => Ok(member),
        Ok(Ok(Err(StatusCode::UNAUTHORIZED))) => Err(refuse(StatusCode::UNAUTHORIZED, "jeton d'accès invalide")),
        Ok(Ok(Err(_))) => Err(refuse(StatusCode::FORBIDDEN, "vous n'êtes pas membre de ce dossier")),
        Ok(Err(e)) => Err(AppError::unavailable(e).into_response()),
        Err(e) => Err(AppError::unavailable(e).into_response()),
    }
}

/// What the engine holds for a dossier: processing progress, documents, pieces.
#[derive(Debug, Serialize)]
struct DossierView {
    dossier: String,
    progress: ap_engine::Progress,
    documents: Vec<DocumentView>,
    pieces: Vec<PieceView>,
    passages: usize,
}

#[derive(Debug, Serialize)]
struct DocumentView {
    id: String,
    name: String,
    pages: usize,
    /// Why the document could not be read (French), when it could not.
    failure: Option<String>,
}

#[derive(Debug, Serialize)]
struct PieceView {
    kind: &'static str,
    document: String,
    first_page: u32,
    last_page: u32,
    title: String,
}

/// `GET /api/dossiers/{dossier}`: members only (same token as the workspace).
async fn dossier_view(
    State(state): State<Arc<AppState>>,
    Path(dossier): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = member(&state, &dossier, &params, &headers).await {
        return refusal;
    }
    let engine = state.engine.clone();
    let view = tokio::task::spawn_blocking(move || {
        let d = engine.dossier(&dossier);
        DossierView {
            progress: engine.progress(&dossier),
            documents: d
                .documents
                .iter()
                .map(|(id, (name, _))| DocumentView {
                    id: id.clone(),
                    name: name.clone(),
                    pages: d.pages.keys().filter(|(doc, _)| doc == id).count(),
                    failure: d.failures.get(id).cloned(),
                })
                .collect(),
            pieces: d
                .pieces
                .values()
                .map(|p| PieceView {
                    kind: p.kind.id(),
                    document: p.document.clone(),
                    first_page: p.first_page,
                    last_page: p.last_page,
                    title: p.title.clone(),
                })
                .collect(),
            passages: d.passages.len(),
            dossier,
        }
    })
    .await;
    match view {
        Ok(view) => Json(view).into_response(),
        Err(e) => AppError::unavailable(e).into_response(),
    }
}

/// `GET /api/dossiers/{dossier}/documents/{document}/consultable.pdf`: the document with an
/// invisible OCR text layer on its scanned pages (members only).
async fn searchable_pdf(
    State(state): State<Arc<AppState>>,
    Path((dossier, document)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (user, _) = match member(&state, &dossier, &params, &headers).await {
        Ok(member) => member,
        Err(refusal) => return refusal,
    };
    let engine = state.engine.clone();
    let native = state.native.clone();
    let (d, doc) = (dossier.clone(), document.clone());
    let pdf = tokio::task::spawn_blocking(move || crate::text_cmd::searchable_pdf(&engine, &native, &d, &doc)).await;
    match pdf {
        Ok(Ok(bytes)) => {
            tracing::info!(dossier, document, user, "searchable PDF downloaded");
            let disposition = format!("attachment; filename=\"{document}-consultable.pdf\"");
            ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Ok(Err(e)) => AppError { status: StatusCode::NOT_FOUND, message: format!("{e:#}") }.into_response(),
        Err(e) => AppError::unavailable(e).into_response(),
    }
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
    let (user, role) = match member(&state, &dossier, &params, &headers).await {
        Ok(member) => member,
        Err(refusal) => return refusal,
    };
    tracing::info!(dossier, user, role = role.as_str(), "workspace connection");
    let hub = state.hub.clone();
    let max = hub.limits.max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| crate::collab::serve_connection(hub, socket, dossier, role))
}
