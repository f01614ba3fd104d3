//! The JSON API under `/api` (contract in `workspace/README.md` and `/api/openapi.json`).
//!
//! Why one registry: every route is added through [`Api::route`], which records its method,
//! path, summary and who may call it. The OpenAPI document is generated from that record, and the
//! security test (`tests/api.rs`) walks the OpenAPI document, so a route cannot be added without
//! being documented *and* tested against logged-out users and non-members.
//!
//! Who may call a route is enforced by extractors, not by the registry: [`Caller`] (a session
//! cookie or an access token), [`Member`] (a caller who is a member of the `{dossier}` of the
//! path) and [`Writer`] (a member with role `redacteur`). Handlers of other modules (ask, export)
//! take these extractors too. Non-GET requests made with a session cookie must carry the
//! `X-CSRF-Token` header of the session ([`csrf`] middleware).

mod documents;
pub use documents::UploadLimits;
mod dossiers;
mod events;
mod review;
mod session;
mod synthesis;
mod synthesis_pdf;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Json, Router};
use serde::Serialize;

use ap_workspace::Role;

use crate::auth::{CSRF_HEADER, SESSION_COOKIE};
use crate::error::AppError;
use crate::server::AppState;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Anyone (login, the API description).
    Public,
    /// Any logged-in user.
    Session,
    /// Members of the `{dossier}` of the path.
    Membre,
    /// Members with role `redacteur`.
    Redacteur,
}

impl Audience {
    fn tag(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Session => "session",
            Audience::Membre => "membre",
            Audience::Redacteur => "redacteur",
        }
    }
}

/// One documented route.
#[derive(Debug, Clone)]
pub struct RouteDoc {
    pub method: Method,
    pub path: &'static str,
    pub audience: Audience,
    pub summary: &'static str,
}

/// The API router and the record of its routes.
#[derive(Debug)]
pub struct Api {
    router: Router<Arc<AppState>>,
    routes: Vec<RouteDoc>,
}

impl Api {
    fn new() -> Self {
        Self { router: Router::new(), routes: Vec::new() }
    }

    /// Add a route. `audience` documents the extractor the handler takes ([`Member`] …).
    pub fn route<H, T>(mut self, method: Method, path: &'static str, audience: Audience, summary: &'static str, handler: H) -> Self
    where
        H: Handler<T, Arc<AppState>>,
        T: 'static,
    {
        let route: MethodRouter<Arc<AppState>> = match method.as_str() {
            "GET" => axum::routing::get(handler),
            "POST" => axum::routing::post(handler),
            "PUT" => axum::routing::put(handler),
            "DELETE" => axum::routing::delete(handler),
            other => panic!("unsupported method {other}"),
        };
        self.router = self.router.route(path, route);
        self.routes.push(RouteDoc { method, path, audience, summary });
        self
    }
}

/// Every API route. Other modules add theirs here, one line each, with the extractor that
/// matches the audience they declare.
fn api() -> Api {
    use Audience::*;
    Api::new()
        .route(Method::POST, "/api/session", Public, "Se connecter (identifiant, mot de passe) : ouvre une session ; après 5 échecs, attente croissante (429, Retry-After)", session::login)
        .route(Method::GET, "/api/session", Session, "La session en cours (identifiant, nom, jeton CSRF)", session::current)
        .route(Method::DELETE, "/api/session", Session, "Se déconnecter", session::logout)
        .route(Method::GET, "/api/dossiers", Session, "Les dossiers dont on est membre, avec l'avancement", dossiers::list)
        .route(Method::POST, "/api/dossiers", Session, "Créer un dossier (on en devient rédacteur)", dossiers::create)
        .route(Method::GET, "/api/dossiers/{dossier}", Membre, "Un dossier : documents, pièces, avancement, échecs", dossiers::view)
        .route(Method::DELETE, "/api/dossiers/{dossier}", Redacteur, "Supprimer un dossier et tout ce qui en est dérivé", dossiers::delete)
        .route(Method::GET, "/api/dossiers/{dossier}/members", Membre, "Les membres du dossier et leur rôle", dossiers::members)
        .route(Method::POST, "/api/dossiers/{dossier}/members", Redacteur, "Ajouter un membre ou changer son rôle", dossiers::add_member)
        .route(Method::POST, "/api/dossiers/{dossier}/documents", Redacteur, "Déposer des fichiers (multipart, plusieurs fichiers)", documents::upload)
        .route(Method::GET, "/api/dossiers/{dossier}/events", Membre, "Événements du traitement (server-sent events)", events::events)
        .route(Method::GET, "/api/dossiers/{dossier}/documents/{document}/original.pdf", Membre, "Le fichier déposé, tel quel", documents::original)
        .route(Method::GET, "/api/dossiers/{dossier}/documents/{document}/consultable.pdf", Membre, "Le document avec la couche texte de l'OCR", documents::consultable)
        .route(Method::GET, "/api/dossiers/{dossier}/documents/{document}/pages/{page}/text", Membre, "Les mots d'une page avec leurs boîtes", documents::page_text)
        .route(Method::GET, "/api/dossiers/{dossier}/documents/{document}/pages/{page}/image.png", Membre, "Une page en image PNG (?dpi=36 à 200)", documents::page_image)
        .route(Method::GET, "/api/dossiers/{dossier}/offences", Membre, "Les infractions détectées", review::offences)
        .route(Method::POST, "/api/dossiers/{dossier}/offences", Redacteur, "Ajouter une infraction manquée", review::add_offence)
        .route(Method::POST, "/api/dossiers/{dossier}/offences/{category}/{action}", Redacteur, "Confirmer (confirm) ou écarter (reject) une infraction", review::judge_offence)
        .route(Method::GET, "/api/dossiers/{dossier}/answers", Membre, "Les réponses aux questions", review::answers)
        .route(Method::POST, "/api/dossiers/{dossier}/answers/{question}/{action}", Redacteur, "Accepter (accept), corriger (edit) ou rejeter (reject) une réponse", review::judge_answer)
        .route(Method::GET, "/api/dossiers/{dossier}/summary", Membre, "Le projet de résumé des faits", review::summary)
        .route(Method::GET, "/api/dossiers/{dossier}/synthesis.docx", Membre, "La synthèse au format DOCX, citations en notes de bas de page", synthesis::docx)
        .route(Method::GET, "/api/dossiers/{dossier}/synthesis.pdf", Membre, "La synthèse au format PDF, citations en notes de bas de page", synthesis::pdf)
        .route(Method::GET, "/api/dossiers/{dossier}/export.zip", Membre, "Les données du dossier en fichiers Parquet (ZIP) : documents, pages, passages, pièces, infractions, réponses, citations, corrections, annotations", crate::export_cmd::download)
        .route(Method::POST, "/api/dossiers/{dossier}/ask", Membre, "Poser une question libre sur la procédure : passages trouvés puis réponse citée (NDJSON)", crate::ask_http::ask)
}

/// The API router (with the OpenAPI document at `/api/openapi.json`).
pub fn router() -> Router<Arc<AppState>> {
    let api = api();
    let doc = openapi(&api.routes);
    let json = Arc::new(doc);
    api.router.route("/api/openapi.json", axum::routing::get(move || async move { Json((*json).clone()) }))
}

/// The OpenAPI 3.1 document of `routes`. Each operation is tagged with its audience.
fn openapi(routes: &[RouteDoc]) -> serde_json::Value {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
    use utoipa::openapi::{InfoBuilder, OpenApiBuilder, PathsBuilder, Required, ResponseBuilder};
    let mut paths = PathsBuilder::new();
    for r in routes {
        let method = match r.method.as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            _ => HttpMethod::Delete,
        };
        let mut op = OperationBuilder::new()
            .summary(Some(r.summary))
            .tag(r.audience.tag())
            .response("200", ResponseBuilder::new().description("Succès"))
            .response("400", ResponseBuilder::new().description("Requête invalide ({ \"erreur\": … })"));
        if r.audience != Audience::Public {
            op = op.response("401", ResponseBuilder::new().description("Connexion requise"));
        }
        if matches!(r.audience, Audience::Membre | Audience::Redacteur) {
            op = op.response("403", ResponseBuilder::new().description("Pas membre du dossier, ou lecture seule"));
        }
        if r.method != Method::GET {
            op = op.description(Some("Avec un cookie de session : en-tête X-CSRF-Token obligatoire (403 sinon)."));
        }
        for name in r.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
            op = op.parameter(ParameterBuilder::new().name(name).parameter_in(ParameterIn::Path).required(Required::True));
        }
        paths = paths.path(r.path, PathItem::new(method, op.build()));
    }
    let doc = OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Mon assistant parquet").version(env!("CARGO_PKG_VERSION")).build())
        .paths(paths.build())
        .build();
    serde_json::to_value(doc).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Who is calling

/// A French JSON refusal.
pub fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    AppError { status, message: message.into() }.into_response()
}

/// Run a closure on the blocking pool (SQLite, fsync, argon2), turning a panic into a 503.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Response> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::unavailable(e).into_response())
}

/// The value of the session cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == SESSION_COOKIE && !value.is_empty()).then(|| value.to_string())
    })
}

/// A logged-in caller: through the session cookie (browser) or an access token
/// (`Authorization: Bearer`, `?token=`: scripts and the workspace's Node clients).
#[derive(Debug, Clone)]
pub struct Caller {
    pub login: String,
    pub nom: String,
    /// Whether the caller came with the session cookie (then CSRF and Origin rules apply).
    pub by_session: bool,
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Response> {
        if let Some(cookie) = session_cookie(&parts.headers) {
            let accounts = state.accounts.clone();
            let found = blocking(move || accounts.lock().expect("accounts lock").session(&cookie)).await?;
            return match found {
                Ok(Some(s)) => Ok(Caller { login: s.login, nom: s.nom, by_session: true }),
                Ok(None) => Err(refuse(StatusCode::UNAUTHORIZED, "session expirée ou inconnue : reconnectez-vous")),
                Err(e) => Err(AppError::unavailable(e).into_response()),
            };
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        let query = parts.uri.query().and_then(|q| {
            q.split('&').find_map(|kv| kv.strip_prefix("token=").map(str::to_string))
        });
        let Some(token) = bearer.or(query).filter(|t| !t.is_empty()) else {
            return Err(refuse(StatusCode::UNAUTHORIZED, "connexion requise"));
        };
        let access = state.access.clone();
        match blocking(move || access.lock().expect("access lock").authenticate(&token)).await? {
            Ok(Some(login)) => Ok(Caller { nom: login.clone(), login, by_session: false }),
            Ok(None) => Err(refuse(StatusCode::UNAUTHORIZED, "jeton d'accès invalide")),
            Err(e) => Err(AppError::unavailable(e).into_response()),
        }
    }
}

/// A caller who is a member of the `{dossier}` of the path.
#[derive(Debug, Clone)]
pub struct Member {
    pub login: String,
    pub dossier: String,
    pub role: Role,
    pub by_session: bool,
}

impl FromRequestParts<Arc<AppState>> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Response> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, "adresse invalide"))?;
        let dossier = params.get("dossier").cloned().unwrap_or_default();
        if ap_workspace::access::check_dossier_id(&dossier).is_err() {
            return Err(refuse(StatusCode::BAD_REQUEST, "identifiant de dossier invalide"));
        }
        let (access, d, login) = (state.access.clone(), dossier.clone(), caller.login.clone());
        match blocking(move || access.lock().expect("access lock").role(&d, &login)).await? {
            Ok(Some(role)) => Ok(Member { login: caller.login, dossier, role, by_session: caller.by_session }),
            Ok(None) => Err(refuse(StatusCode::FORBIDDEN, "vous n'êtes pas membre de ce dossier")),
            Err(e) => Err(AppError::unavailable(e).into_response()),
        }
    }
}

/// A member with role `redacteur` (may change the dossier).
#[derive(Debug, Clone)]
pub struct Writer(pub Member);

impl FromRequestParts<Arc<AppState>> for Writer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Response> {
        let member = Member::from_request_parts(parts, state).await?;
        if !member.role.can_write() {
            return Err(refuse(StatusCode::FORBIDDEN, "lecture seule : votre rôle dans ce dossier ne permet pas de le modifier"));
        }
        Ok(Writer(member))
    }
}

/// CSRF check: a non-GET request under `/api` that comes with a live session cookie must carry
/// that session's token in `X-CSRF-Token`. Logging in (`POST /api/session`) is the one
/// exception: there is no session yet. Requests without a cookie go on (they are refused later
/// unless they carry an access token, which a foreign site cannot make a browser send).
pub async fn csrf(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let safe = matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let login = method == Method::POST && path == "/api/session";
    if safe || login || !path.starts_with("/api/") {
        return next.run(request).await;
    }
    if let Some(cookie) = session_cookie(request.headers()) {
        let sent = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
        let accounts = state.accounts.clone();
        let session = match blocking(move || accounts.lock().expect("accounts lock").session(&cookie)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return AppError::unavailable(e).into_response(),
            Err(r) => return r,
        };
        if let Some(session) = session {
            let ok = sent.is_some_and(|t| constant_time_eq(t.as_bytes(), session.csrf.as_bytes()));
            if !ok {
                tracing::warn!(login = session.login, %method, path, "CSRF token missing or wrong");
                return refuse(StatusCode::FORBIDDEN, "jeton CSRF manquant ou invalide : rechargez la page");
            }
        }
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Append to the audit log without failing the request (a failure is logged as an error).
pub async fn audit(state: &AppState, login: &str, action: &'static str, dossier: Option<&str>, object: Option<&str>) {
    let accounts = state.accounts.clone();
    let (login, dossier, object) = (login.to_string(), dossier.map(str::to_string), object.map(str::to_string));
    let done = tokio::task::spawn_blocking(move || {
        accounts.lock().expect("accounts lock").audit(&login, action, dossier.as_deref(), object.as_deref())
    })
    .await;
    if !matches!(done, Ok(Ok(()))) {
        tracing::error!(action, "audit log write failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_audience_and_path_parameters() {
        let api = api();
        let doc = openapi(&api.routes);
        let paths = doc["paths"].as_object().unwrap();
        for r in &api.routes {
            let op = &paths[r.path][r.method.as_str().to_lowercase()];
            assert_eq!(op["tags"][0], r.audience.tag(), "{} {}", r.method, r.path);
            let params = r.path.matches('{').count();
            assert_eq!(op["parameters"].as_array().map_or(0, Vec::len), params, "{}", r.path);
        }
        // Two methods on one path are both there.
        assert!(paths["/api/session"].get("post").is_some() && paths["/api/session"].get("delete").is_some());
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; ap_session=abc; b=2".parse().unwrap());
        assert_eq!(session_cookie(&h).as_deref(), Some("abc"));
        h.insert(header::COOKIE, "ap_session=".parse().unwrap());
        assert_eq!(session_cookie(&h), None);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"a", b"ab"));
    }
}
