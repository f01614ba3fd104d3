//! The HTTP server: health check, the API (`api`), the workspace WebSocket and the web application.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use ap_operators::native::NativeLibs;

use ap_workspace::{Access, Role, UpdateLog};

use crate::api::Member;
use crate::auth::Accounts;

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
    /// Accounts, sessions, the dossier register and the audit log.
    pub accounts: Arc<Mutex<Accounts>>,
    /// Failed logins per login, to slow down password guessing.
    pub login_throttle: crate::throttle::LoginThrottle,
}

/// Build the router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    let ui = ServeDir::new(&state.settings.ui_dir)
        .fallback(ServeFile::new(state.settings.ui_dir.join("index.html")));
    let body_limit = state.settings.upload.max_request_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/ws/{dossier}", get(workspace_socket))
        .merge(crate::api::router())
        // Unknown API paths get a JSON 404, not the web application.
        .route("/api/{*rest}", axum::routing::any(|| async { AppError { status: StatusCode::NOT_FOUND, message: "adresse d'API inconnue".into() } }))
        .fallback_service(ui)
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::api::csrf))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
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

    let data = &settings.data_dir;
    let engine = Arc::new(crate::dossier_cmd::open_engine(data, settings.lib_dir.as_deref())?);
    let accounts = Accounts::open_in(data)?;
    let access = crate::access_cmd::access_db(data)?;
    if let Some(dir) = &settings.demo_dir {
        let dossiers = load_demo(&engine, dir)?;
        demo_account(&accounts, &access, &dossiers)?;
    }

    let log = UpdateLog::open(&data.join("workspace.sqlite3")).context("ouverture du journal de l'espace de travail")?;
    // Corrections made in the workspace are engine inputs.
    let hub = Hub::new(log, Arc::new(EngineCorrections::new(engine.clone())), settings.workspace.clone())
        .context("démarrage du journal de l'espace de travail")?;
    let access = Arc::new(Mutex::new(access));
    let accounts = Arc::new(Mutex::new(accounts));

    // Machine-readable line on stdout, once everything is ready (after the demonstration
    // account line): tests and scripts started with port 0 read it.
    println!("assistant-parquet écoute sur http://{local}");
    tracing::info!(%local, data_dir = %settings.data_dir.display(), "server started");

    let app = router(Arc::new(AppState { settings, native, hub, access, engine, accounts, login_throttle: crate::throttle::LoginThrottle::new(crate::throttle::Policy::default()) }));
    // TCP_NODELAY on every accepted connection (axum 0.8 leaves Nagle on): the workspace sends
    // small WebSocket frames back to back, and Nagle would hold each one until the client's
    // delayed ACK (up to 40 ms) — that was the fan-out p99 of the load bench.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY could not be set");
        }
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("server stopped");
    Ok(())
}

/// The demonstration account (`demo`, a fresh password printed at every start), redacteur of
/// the demonstration dossiers, which get a display name in the register.
fn demo_account(accounts: &Accounts, access: &Access, dossiers: &[String]) -> Result<()> {
    let password = crate::auth::generate_password();
    accounts.upsert_account("demo", "Compte de démonstration", &password)?;
    for dossier in dossiers {
        let nom = format!("Démonstration {}", dossier.trim_start_matches("demo-").to_uppercase());
        accounts.register_dossier(dossier, &nom, "demo")?;
        access.grant(dossier, "demo", Role::Redacteur)?;
    }
    println!("Compte de démonstration : identifiant « demo », mot de passe « {password} »");
    Ok(())
}

/// Add every PDF of each sub-folder of `dir` to a dossier `demo-<folder>` (idempotent: the
/// same files again change nothing). Reading happens in the engine's pool, after start.
/// Returns the dossier ids.
fn load_demo(engine: &ap_engine::Engine, dir: &std::path::Path) -> Result<Vec<String>> {
    let mut folders: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("dossiers de démonstration introuvables dans {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut dossiers = Vec::new();
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
        dossiers.push(dossier);
    }
    Ok(dossiers)
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

/// Whether the request's `Origin` (when a browser sent one) is this server itself.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

/// `GET /ws/{dossier}`: the collaborative room of a dossier. The session cookie (browser) or a
/// token (`?token=` or `Authorization: Bearer`) and the membership are checked before the
/// upgrade, so a refused client gets an HTTP error and never a byte of the document. With the
/// cookie, the page must come from this server (`Origin`), so another site cannot open the
/// room in the user's name.
async fn workspace_socket(
    State(state): State<Arc<AppState>>,
    member: Member,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if member.by_session && !same_origin(&headers) {
        return AppError { status: StatusCode::FORBIDDEN, message: "connexion refusée : origine étrangère".into() }.into_response();
    }
    let (dossier, user, role) = (member.dossier, member.login, member.role);
    tracing::info!(dossier, user, role = role.as_str(), "workspace connection");
    let hub = state.hub.clone();
    let max = hub.limits.max_message_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| crate::collab::serve_connection(hub, socket, dossier, role))
}
