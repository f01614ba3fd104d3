//! `POST /api/dossiers/{d}/ask {"question": "..."}`: the "ask the procédure" endpoint of the UI.
//!
//! The answer streams as NDJSON so the UI shows the passages as soon as retrieval is done: a
//! first line `{"type":"hits","hits":[...]}`, then `{"type":"answer","answer":{...}}` (the
//! extractive answer with citations), and, when a generative backend is configured
//! (`ASSISTANT_PARQUET_LLM_URL`), `{"type":"generated","generated":{...}}` with its verified
//! sentences. An error after the stream started is a last line `{"type":"erreur","erreur":"..."}`.
//!
//! Members only (session cookie or access token, the `Member` check of the other dossier routes).
//!
//! Each dossier's index is held by [`ap_engine::retrieval::Retrieval`]: built on the first
//! question, then kept current by a follower thread as the engine's passages change (new
//! passages added, withdrawn or fixed ones replaced) and embedded in the background. A question
//! never waits for embeddings: the `hits` line says how many sentences are still waiting
//! (`"embeddings_pending"`; dense ranking covers the others, BM25 covers everything).

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ap_operators::retrieval::ask::{answer_from_hits, retrieve};
use ap_operators::retrieval::generative::generate;
use ap_engine::retrieval::{Follow, Retrieval};
use ap_operators::retrieval::Embedder;
use serde::Deserialize;
use serde_json::json;

use crate::api::Member;
use crate::ask_cmd::{LlmArgs, OpenAiChat, dossier_text};
use crate::server::AppState;

/// Body of the request.
#[derive(Debug, Deserialize)]
pub struct AskRequest {
    /// The question, in French.
    pub question: String,
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "erreur": message }))).into_response()
}

/// The indexes of the dossiers questioned by this process (one engine per process).
fn retrieval(engine: &Arc<ap_engine::Engine>, lib_dir: Option<&std::path::Path>) -> &'static Retrieval {
    static R: OnceLock<Retrieval> = OnceLock::new();
    R.get_or_init(|| {
        let libs = ap_operators::native::NativeLibs::new(lib_dir);
        let embedder = match Embedder::shared(&libs) {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::warn!("recherche sans embeddings : {e}");
                None
            }
        };
        Retrieval::new(engine, embedder, Follow::Background)
    })
}

/// The handler.
pub async fn ask(
    State(state): State<Arc<AppState>>,
    member: Member,
    body: Bytes,
) -> Response {
    let dossier = member.dossier;
    let Ok(request) = serde_json::from_slice::<AskRequest>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "corps attendu : {\"question\": \"…\"}");
    };
    let question = request.question.trim().to_string();
    if question.is_empty() || question.chars().count() > 1000 {
        return refuse(StatusCode::BAD_REQUEST, "question vide ou trop longue (1 000 caractères au plus)");
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(4);
    let engine = state.engine.clone();
    let lib_dir = state.settings.lib_dir.clone();
    tokio::task::spawn_blocking(move || {
        let send = |value: serde_json::Value| {
            let mut line = value.to_string();
            line.push('\n');
            let _ = tx.blocking_send(Ok(Bytes::from(line)));
        };
        let fail = |message: String| send(json!({ "type": "erreur", "erreur": message }));
        let held = match retrieval(&engine, lib_dir.as_deref()).index(&dossier) {
            Ok(h) => h,
            Err(e) => return fail(e.to_string()),
        };
        let index = match held.current() {
            Ok(i) => i,
            Err(e) => return fail(e.to_string()),
        };
        // The text read after the index caught up: every hit's passage is in it (citations).
        let Some(text) = engine.with_dossier(&dossier, dossier_text) else {
            return fail(format!("dossier inconnu ou vide : {dossier}"));
        };
        let hits = match retrieve(&index, &question, 5) {
            Ok(h) => h,
            Err(e) => return fail(e.to_string()),
        };
        send(json!({ "type": "hits", "hits": hits, "embeddings_pending": held.pending_embeddings() }));
        let backend = match OpenAiChat::from_args(&LlmArgs {
            llm_url: std::env::var("ASSISTANT_PARQUET_LLM_URL").ok(),
            llm_model: std::env::var("ASSISTANT_PARQUET_LLM_MODEL").unwrap_or_else(|_| "default".into()),
            llm_key: std::env::var("ASSISTANT_PARQUET_LLM_KEY").ok(),
        }) {
            Ok(b) => b,
            Err(e) => return fail(e.to_string()),
        };
        match answer_from_hits(&text, &index, &question, hits.clone()) {
            Ok(answer) => send(json!({ "type": "answer", "answer": answer })),
            Err(e) => return fail(e.to_string()),
        }
        if let Some(backend) = backend {
            match generate(&backend, &text, &question, &hits) {
                Ok(g) => send(json!({ "type": "generated", "generated": g })),
                Err(e) => fail(e.to_string()),
            }
        }
    });
    let stream = tokio_stream_from(rx);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "réponse impossible"))
}

/// A receiver as a stream of body chunks.
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, Infallible>>,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
