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
use crate::throttle::french_duration;

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
    let now = std::time::Instant::now();
    if let Err(wait) = state.login_throttle.check(&creds.login, now) {
        tracing::warn!(login = creds.login, "login attempt while throttled");
        let retry = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let message = format!("trop de tentatives de connexion : réessayez dans {}", french_duration(wait));
        let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, &message);
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry));
        return response;
    }
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
            state.login_throttle.succeeded(&creds.login);
            audit(&state, &session.login, "connexion", None, None).await;
            ([(header::SET_COOKIE, cookie(&state, &token, SESSION_SECONDS))], Json(session)).into_response()
        }
        Ok(Ok(None)) => {
            let wait = state.login_throttle.failed(&creds.login, now);
            tracing::warn!(login = creds.login, wait_s = wait.as_secs(), "failed login");
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
