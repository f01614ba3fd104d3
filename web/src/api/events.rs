//! `GET /api/dossiers/{dossier}/events`: what the engine computes, pushed as server-sent events.
//!
//! Events (JSON data): `progress` (at once, then after every batch of changes), `page_text`
//! `{document, page, diff}`, `passages` `{added: [ids], removed: [ids]}` (an OCR fix withdraws
//! the old passage and adds the new one), `correction` `{id, diff}`, `document_failed`
//! `{document, message}`, `offences` and `answers` (the whole current lists, as the GET routes
//! give them, whenever they change). A thread per stream waits on the engine's subscription and
//! stops when the client goes away.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use super::{Member, audit};
use crate::server::AppState;

fn event(name: &str, data: &serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// Turn a batch of engine updates into events (passages grouped), then a `progress` event.
fn batch_events(engine: &ap_engine::Engine, dossier: &str, batch: Vec<ap_engine::Update>) -> Vec<Event> {
    use ap_engine::Update;
    let mut events = Vec::new();
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut offences, mut answers, mut summary) = (false, false, false);
    for update in batch {
        match update {
            Update::PageText { document, page, diff } => {
                events.push(event("page_text", &serde_json::json!({ "document": document, "page": page, "diff": diff })));
            }
            Update::Passage { id, diff } => {
                if diff > 0 { added.push(id) } else { removed.push(id) }
            }
            Update::Correction { id, diff } => {
                events.push(event("correction", &serde_json::json!({ "id": id, "diff": diff })));
            }
            Update::DocumentFailed { document, message } => {
                events.push(event("document_failed", &serde_json::json!({ "document": document, "message": message })));
            }
            Update::Piece { .. } => {} // through `progress`
            Update::Offences => offences = true,
            Update::Answers => answers = true,
            Update::Summary => summary = true,
        }
    }
    if !added.is_empty() || !removed.is_empty() {
        events.push(event("passages", &serde_json::json!({ "added": added, "removed": removed })));
    }
    // The new lists themselves, read once per batch from the consistent state.
    if offences || answers {
        let lists = engine.with_dossier(dossier, |d| {
            (
                offences.then(|| serde_json::to_value(&d.offences).unwrap_or_default()),
                answers.then(|| serde_json::to_value(&d.answers).unwrap_or_default()),
            )
        });
        if let Some((o, a)) = lists {
            if let Some(o) = o {
                events.push(event("offences", &o));
            }
            if let Some(a) = a {
                events.push(event("answers", &a));
            }
        }
    }
    if summary && let Some(Some(draft)) = engine.with_dossier(dossier, |d| d.summary.as_ref().map(serde_json::to_value)) {
        events.push(event("summary", &draft.unwrap_or_default()));
    }
    let progress = serde_json::to_value(engine.progress(dossier)).unwrap_or_default();
    events.push(event("progress", &progress));
    events
}

/// `GET /api/dossiers/{dossier}/events` (text/event-stream).
pub async fn events(State(state): State<Arc<AppState>>, member: Member) -> Response {
    audit(&state, &member.login, "suivi", Some(&member.dossier), None).await;
    let (tx, mut rx) = mpsc::channel::<Event>(256);
    let engine = state.engine.clone();
    let dossier = member.dossier.clone();
    // Subscribe before reading the first progress, so nothing falls between the two.
    let updates = engine.subscribe(&dossier);
    let first = serde_json::to_value(engine.progress(&dossier)).unwrap_or_default();
    let _ = tx.try_send(event("progress", &first));
    std::thread::Builder::new()
        .name(format!("sse-{dossier}"))
        .spawn(move || {
            loop {
                match updates.recv_timeout(Duration::from_secs(1)) {
                    Ok(first) => {
                        // Take what else is there, so one batch gives one progress event.
                        let mut batch = vec![first];
                        while let Ok(more) = updates.try_recv() {
                            batch.push(more);
                            if batch.len() >= 10_000 {
                                break;
                            }
                        }
                        for e in batch_events(&engine, &dossier, batch) {
                            if tx.blocking_send(e).is_err() {
                                return;
                            }
                        }
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                        if tx.is_closed() {
                            return;
                        }
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
                }
            }
        })
        .expect("spawn SSE thread");
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|e| e.map(Ok::<_, Infallible>)));
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
