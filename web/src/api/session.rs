//! `/api/session`: log in with a local account, see the session, log out.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{Caller, audit, blocking, refuse, session_cookie};
use crate::auth::{SESSION_COOKIE, SESSION_SECONDS};
use crate::error::AppError;
use crate::server::AppState;

#[derive(Debug, Deserialize)]
pub struct Credentials {
    login: String,
    password: String,
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.settings.auth.secure_cookie { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// `POST /api/session {login, password}` → `{login, nom, csrf}` and the session cookie.
pub async fn login(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let Ok(creds) = serde_json::from_slice::<Credentials>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "identifiant et mot de passe attendus : {\"login\": …, \"password\": …}");
    };
    let accounts = state.accounts.clone();
    let login = creds.login.trim().to_string();
    let opened = blocking(move || {
        let accounts = accounts.lock().expect("accounts lock");
        match accounts.verify(&login, &creds.password)? {
            Some(_) => accounts.create_session(&login).map(Some),
            None => Ok(None),
        }
    })
    .await;
    match opened {
        Ok(Ok(Some((token, session)))) => {
            audit(&state, &session.login, "connexion", None, None).await;
            ([(header::SET_COOKIE, cookie(&state, &token, SESSION_SECONDS))], Json(session)).into_response()
        }
        Ok(Ok(None)) => {
            tracing::warn!(login = creds.login, "failed login");
            refuse(StatusCode::UNAUTHORIZED, "identifiant ou mot de passe incorrect")
        }
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

/// `GET /api/session` → `{login, nom, csrf}` of the current session.
pub async fn current(State(state): State<Arc<AppState>>, caller: Caller, headers: HeaderMap) -> Response {
    let Some(cookie) = session_cookie(&headers).filter(|_| caller.by_session) else {
        // Token callers have no session and need no CSRF token.
        return Json(serde_json::json!({ "login": caller.login, "nom": caller.nom, "csrf": null })).into_response();
    };
    let accounts = state.accounts.clone();
    match blocking(move || accounts.lock().expect("accounts lock").session(&cookie)).await {
        Ok(Ok(Some(session))) => Json(session).into_response(),
        Ok(Ok(None)) => refuse(StatusCode::UNAUTHORIZED, "session expirée ou inconnue : reconnectez-vous"),
        Ok(Err(e)) => AppError::unavailable(e).into_response(),
        Err(r) => r,
    }
}

/// `DELETE /api/session`: end the session and clear the cookie.
pub async fn logout(State(state): State<Arc<AppState>>, caller: Caller, headers: HeaderMap) -> Response {
    if let Some(cookie) = session_cookie(&headers) {
        let accounts = state.accounts.clone();
        if let Ok(Err(e)) = blocking(move || accounts.lock().expect("accounts lock").delete_session(&cookie)).await {
            return AppError::unavailable(e).into_response();
        }
    }
    audit(&state, &caller.login, "déconnexion", None, None).await;
    ([(header::SET_COOKIE, cookie(&state, "", 0))], StatusCode::NO_CONTENT).into_response()
}
