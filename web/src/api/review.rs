//! What the machine found and what the magistrates say about it: offences, answers, the draft
//! summary (read from the engine state) and the corrections (confirm, reject, add, accept, edit).
//!
//! A correction made here is appended to the dossier's Yjs `corrections` array through the hub,
//! exactly as if a client had appended it: every connected client sees it, and the room hands it
//! to the engine (`Engine::correct`) by the one existing path. The reply comes once it is
//! recorded (`enregistrée`) or refused, with the reason.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use ap_engine::{Change, Correction};

use super::{Member, Writer, audit, blocking, refuse};
use crate::error::AppError;
use crate::server::AppState;

/// A part of a dossier's engine state as JSON (`empty` for a dossier the engine does not know).
async fn state_json(
    state: &Arc<AppState>,
    dossier: String,
    empty: serde_json::Value,
    read: impl FnOnce(&ap_engine::DossierState) -> serde_json::Result<serde_json::Value> + Send + 'static,
) -> Response {
    let engine = state.engine.clone();
    match blocking(move || engine.with_dossier(&dossier, read)).await {
        Ok(Some(Ok(v))) => Json(v).into_response(),
        Ok(None) => Json(empty).into_response(),
        Ok(Some(Err(e))) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

/// `GET /api/dossiers/{dossier}/offences`: the offences of the engine state, detected or
/// added, each with the review that holds (`review: null` while nobody reviewed it; a rejected
/// offence stays listed with `review.kind = "rejected"`).
pub async fn offences(State(state): State<Arc<AppState>>, member: Member) -> Response {
    state_json(&state, member.dossier, serde_json::json!([]), |d| serde_json::to_value(&d.offences)).await
}

/// `GET /api/dossiers/{dossier}/answers`: the answers of the engine state, each with its
/// review (an edited answer shows the user's text and keeps the machine's as `machine`).
pub async fn answers(State(state): State<Arc<AppState>>, member: Member) -> Response {
    state_json(&state, member.dossier, serde_json::json!([]), |d| serde_json::to_value(&d.answers)).await
}

/// `GET /api/dossiers/{dossier}/summary`: the draft résumé des faits, every sentence cited
/// (`{sections: []}` until the dossier has text).
pub async fn summary(State(state): State<Arc<AppState>>, member: Member) -> Response {
    let empty = serde_json::json!({ "sections": [] });
    state_json(&state, member.dossier, empty, |d| serde_json::to_value(d.summary.clone().unwrap_or_default())).await
}

#[derive(Debug, Default, Deserialize)]
struct Reason {
    #[serde(default, alias = "raison", alias = "motif")]
    reason: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NewOffence {
    category: String,
    #[serde(default)]
    passages: Vec<String>,
}

/// An empty body is the default value (no reason given).
#[allow(clippy::result_large_err)] // the refusal is the response itself
fn parse_body<T: for<'de> Deserialize<'de> + Default>(body: &[u8]) -> Result<T, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("corps JSON invalide : {e}")))
}

/// Record `change` as a correction by `member`; 200 `{id, statut}` or 422 with the reason.
async fn correct(state: &AppState, member: &Member, change: Change) -> Response {
    let correction = Correction {
        id: crate::auth::random_token()[..32].to_string(),
        author: member.login.clone(),
        time: crate::auth::rfc3339(crate::auth::now()),
        change,
    };
    if let Err(reason) = correction.validate() {
        return refuse(StatusCode::BAD_REQUEST, reason);
    }
    let id = correction.id.clone();
    let what = serde_json::to_string(&correction.change).unwrap_or_default();
    match state.hub.append_correction(&member.dossier, correction).await {
        Ok(()) => {
            audit(state, &member.login, "correction", Some(&member.dossier), Some(&what)).await;
            Json(serde_json::json!({ "id": id, "statut": "enregistrée" })).into_response()
        }
        Err(reason) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "id": id, "statut": "refusée", "erreur": reason })),
        )
            .into_response(),
    }
}

/// `POST /api/dossiers/{dossier}/offences/{category}/{confirm|reject}` (`{reason?}` to reject).
pub async fn judge_offence(
    State(state): State<Arc<AppState>>,
    Writer(member): Writer,
    Path(params): Path<std::collections::HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let offence = params.get("category").cloned().unwrap_or_default();
    let body: Reason = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let change = match params.get("action").map(String::as_str) {
        Some("confirm") => Change::OffenceConfirmed { offence },
        Some("reject") => Change::OffenceRejected { offence, reason: body.reason },
        _ => return refuse(StatusCode::NOT_FOUND, "action inconnue : confirm ou reject"),
    };
    correct(&state, &member, change).await
}

/// `POST /api/dossiers/{dossier}/offences {category, passages?}`: an offence the machine missed.
pub async fn add_offence(State(state): State<Arc<AppState>>, Writer(member): Writer, body: axum::body::Bytes) -> Response {
    let Ok(new) = serde_json::from_slice::<NewOffence>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "infraction attendue : {\"category\": …}");
    };
    correct(&state, &member, Change::OffenceAdded { offence: new.category, passages: new.passages }).await
}

/// `POST /api/dossiers/{dossier}/answers/{question}/{accept|edit|reject}` (`{text}` for edit,
/// `{reason?}` for reject).
pub async fn judge_answer(
    State(state): State<Arc<AppState>>,
    Writer(member): Writer,
    Path(params): Path<std::collections::HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let answer = params.get("question").cloned().unwrap_or_default();
    let body: Reason = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let change = match params.get("action").map(String::as_str) {
        Some("accept") => Change::AnswerAccepted { answer },
        Some("edit") => match body.text.filter(|t| !t.trim().is_empty()) {
            Some(text) => Change::AnswerEdited { answer, text },
            None => return refuse(StatusCode::BAD_REQUEST, "texte de la réponse corrigée attendu : {\"text\": …}"),
        },
        Some("reject") => Change::AnswerRejected { answer, reason: body.reason },
        _ => return refuse(StatusCode::NOT_FOUND, "action inconnue : accept, edit ou reject"),
    };
    correct(&state, &member, change).await
}
