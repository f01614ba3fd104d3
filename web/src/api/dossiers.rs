//! Dossiers: list, create, view, delete (with everything derived from them), members.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use ap_workspace::Role;

use super::{Caller, Member, Writer, audit, blocking, refuse};
use crate::error::AppError;
use crate::server::AppState;

#[derive(Debug, Serialize)]
struct DossierItem {
    id: String,
    nom: String,
    role: &'static str,
    progress: ap_engine::Progress,
}

/// `GET /api/dossiers` → `[{id, nom, role, progress}]`, the caller's dossiers.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    let (access, accounts, engine) = (state.access.clone(), state.accounts.clone(), state.engine.clone());
    let listed = blocking(move || {
        let mine = access.lock().expect("access lock").dossiers_of(&caller.login).map_err(anyhow::Error::from)?;
        let accounts = accounts.lock().expect("accounts lock");
        mine.into_iter()
            .map(|(id, role)| {
                Ok(DossierItem { nom: accounts.dossier_name(&id)?, role: role.as_str(), progress: engine.progress(&id), id })
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await;
    match listed {
        Ok(Ok(items)) => Json(items).into_response(),
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
pub struct NewDossier {
    nom: String,
}

/// An id from a name: lowercase ASCII letters and digits joined by `-`, plus a random suffix.
fn dossier_id(nom: &str) -> String {
    let mut slug = String::new();
    for c in nom.chars().flat_map(|c| unicode_fold(c).chars().collect::<Vec<_>>()) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let suffix = &crate::auth::random_token()[..6];
    if slug.is_empty() { format!("dossier-{suffix}") } else { format!("{slug}-{suffix}") }
}

/// French accented letters to their base letter (enough for ids; names keep their accents).
fn unicode_fold(c: char) -> String {
    match c {
        'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => "a".into(),
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "e".into(),
        'î' | 'ï' | 'Î' | 'Ï' => "i".into(),
        'ô' | 'ö' | 'Ô' | 'Ö' => "o".into(),
        'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => "u".into(),
        'ç' | 'Ç' => "c".into(),
        'œ' | 'Œ' => "oe".into(),
        'æ' | 'Æ' => "ae".into(),
        other => other.to_string(),
    }
}

/// `POST /api/dossiers {nom}` → `{id, nom, role}`; the creator becomes `redacteur`.
pub async fn create(State(state): State<Arc<AppState>>, caller: Caller, body: axum::body::Bytes) -> Response {
    let Ok(new) = serde_json::from_slice::<NewDossier>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "nom du dossier attendu : {\"nom\": …}");
    };
    let nom = new.nom.trim().to_string();
    if nom.is_empty() || nom.chars().count() > 200 {
        return refuse(StatusCode::BAD_REQUEST, "le nom du dossier doit compter de 1 à 200 caractères");
    }
    let id = dossier_id(&nom);
    let (access, accounts, login) = (state.access.clone(), state.accounts.clone(), caller.login.clone());
    let (i, n) = (id.clone(), nom.clone());
    let made = blocking(move || {
        accounts.lock().expect("accounts lock").register_dossier(&i, &n, &login)?;
        access.lock().expect("access lock").grant(&i, &login, Role::Redacteur)?;
        anyhow::Ok(())
    })
    .await;
    match made {
        Ok(Ok(())) => {
            audit(&state, &caller.login, "création", Some(&id), Some(&nom)).await;
            (StatusCode::CREATED, Json(serde_json::json!({ "id": id, "nom": nom, "role": "redacteur" }))).into_response()
        }
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

#[derive(Debug, Serialize)]
struct DossierView {
    dossier: String,
    nom: String,
    role: &'static str,
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
    persons: Vec<ap_operators::piece::PersonName>,
}

/// `GET /api/dossiers/{dossier}`: documents, pieces, progress, failures.
pub async fn view(State(state): State<Arc<AppState>>, member: Member) -> Response {
    let (engine, accounts) = (state.engine.clone(), state.accounts.clone());
    let (dossier, role) = (member.dossier.clone(), member.role);
    let view = blocking(move || {
        let nom = accounts.lock().expect("accounts lock").dossier_name(&dossier).unwrap_or_else(|_| dossier.clone());
        let progress = engine.progress(&dossier);
        let (documents, pieces, passages) = engine
            .with_dossier(&dossier, |d| {
                let documents = d
                    .documents
                    .iter()
                    .map(|(id, (name, _))| DocumentView {
                        id: id.clone(),
                        name: name.clone(),
                        pages: d.pages.keys().filter(|(doc, _)| doc == id).count(),
                        failure: d.failures.get(id).cloned(),
                    })
                    .collect();
                let pieces = d
                    .pieces
                    .values()
                    .map(|p| PieceView {
                        kind: p.kind.id(),
                        document: p.document.clone(),
                        first_page: p.first_page,
                        last_page: p.last_page,
                        title: p.title.clone(),
                        persons: p.persons.clone(),
                    })
                    .collect();
                (documents, pieces, d.passages.len())
            })
            .unwrap_or_default();
        DossierView { dossier, nom, role: role.as_str(), progress, documents, pieces, passages }
    })
    .await;
    match view {
        Ok(view) => {
            audit(&state, &member.login, "ouverture", Some(&member.dossier), None).await;
            Json(view).into_response()
        }
        Err(r) => r,
    }
}

/// `DELETE /api/dossiers/{dossier}`: memberships, the workspace room and its log, the engine's
/// documents and corrections (and so everything derived from them), the register entry.
pub async fn delete(State(state): State<Arc<AppState>>, Writer(member): Writer) -> Response {
    let dossier = member.dossier.clone();
    // Memberships first: nobody can open or join the dossier while it is being deleted.
    let access = state.access.clone();
    let d = dossier.clone();
    match blocking(move || access.lock().expect("access lock").revoke_all(&d)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return AppError::unavailable(e).into_response(),
        Err(r) => return r,
    }
    if let Err(e) = state.hub.delete_room(&dossier).await {
        return AppError::unavailable(e).into_response();
    }
    let (engine, accounts) = (state.engine.clone(), state.accounts.clone());
    let d = dossier.clone();
    let removed = blocking(move || {
        let (documents, corrections) = engine
            .with_dossier(&d, |s| (s.documents.keys().cloned().collect::<Vec<_>>(), s.corrections.values().cloned().collect::<Vec<_>>()))
            .unwrap_or_default();
        for document in &documents {
            engine.remove_document(&d, document)?;
        }
        let retract: Vec<_> = corrections
            .into_iter()
            .map(|correction| (ap_engine::InputRecord::Correction { dossier: d.clone(), correction }, -1))
            .collect();
        if !retract.is_empty() {
            engine.apply(retract)?;
        }
        accounts.lock().expect("accounts lock").unregister_dossier(&d)?;
        anyhow::Ok(documents.len())
    })
    .await;
    match removed {
        Ok(Ok(n)) => {
            audit(&state, &member.login, "suppression", Some(&dossier), Some(&format!("{n} document(s)"))).await;
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

#[derive(Debug, Serialize)]
struct MemberView {
    login: String,
    nom: String,
    role: &'static str,
}

/// `GET /api/dossiers/{dossier}/members` → `[{login, nom, role}]`.
pub async fn members(State(state): State<Arc<AppState>>, member: Member) -> Response {
    let (access, accounts, d) = (state.access.clone(), state.accounts.clone(), member.dossier.clone());
    let listed = blocking(move || {
        let members = access.lock().expect("access lock").members(&d)?;
        let accounts = accounts.lock().expect("accounts lock");
        members
            .into_iter()
            .map(|(login, role)| {
                Ok(MemberView { nom: accounts.account_name(&login)?.unwrap_or_else(|| login.clone()), login, role: role.as_str() })
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await;
    match listed {
        Ok(Ok(items)) => Json(items).into_response(),
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
pub struct NewMember {
    login: String,
    role: String,
}

/// `POST /api/dossiers/{dossier}/members {login, role}`: add a member or change their role.
pub async fn add_member(State(state): State<Arc<AppState>>, Writer(member): Writer, body: axum::body::Bytes) -> Response {
    let Ok(new) = serde_json::from_slice::<NewMember>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "membre attendu : {\"login\": …, \"role\": \"lecteur\" | \"redacteur\"}");
    };
    let role: Role = match new.role.parse() {
        Ok(r) => r,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let (access, accounts, d, login) = (state.access.clone(), state.accounts.clone(), member.dossier.clone(), new.login.clone());
    let granted = blocking(move || {
        if accounts.lock().expect("accounts lock").account_name(&login)?.is_none() {
            return Ok(false);
        }
        access.lock().expect("access lock").grant(&d, &login, role)?;
        anyhow::Ok(true)
    })
    .await;
    match granted {
        Ok(Ok(true)) => {
            let what = format!("{} ({})", new.login, role.as_str());
            audit(&state, &member.login, "membre", Some(&member.dossier), Some(&what)).await;
            Json(serde_json::json!({ "login": new.login, "role": role.as_str() })).into_response()
        }
        Ok(Ok(false)) => refuse(StatusCode::NOT_FOUND, format!("compte inconnu : « {} »", new.login)),
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dossier_ids_are_valid_and_readable() {
        let id = super::dossier_id("Vol aggravé — Éric Dupont / 2024");
        assert!(id.starts_with("vol-aggrave-eric-dupont-2024-"), "{id}");
        assert!(ap_workspace::access::check_dossier_id(&id).is_ok());
        assert!(super::dossier_id("***").starts_with("dossier-"));
        assert_ne!(super::dossier_id("a"), super::dossier_id("a"));
    }
}
