//! The engine holds each dossier's retrieval index and keeps it current as passages change.
//!
//! A question must not re-read the whole dossier: [`Retrieval`] owns one [`Index`] per dossier,
//! filled once from the engine's state, then kept current from the engine's updates
//! ([`Engine::subscribe`]: a passage that appears, is withdrawn or is fixed by an OCR correction,
//! a piece that changes the kind or persons of its passages). Each index has a follower thread
//! (off the dataflow thread) that applies the updates, commits the full-text index, and computes
//! the embeddings of new sentences in the background, in small chunks that become searchable
//! one by one (memoised by text, as [`Index`] does).
//!
//! A question never waits for embeddings: [`HeldIndex::current`] first applies the updates still
//! queued (so a question asked after a correction sees it, whatever the follower is doing), then
//! BM25 answers at once and the dense ranking uses the embeddings known so far;
//! [`HeldIndex::pending_embeddings`] says how many are still coming. The one-shot CLI instead
//! builds its index with [`Follow::OnQuestion`]: no thread, and the search embeds what it needs.
//!
//! Updates are consumed only under the index's apply lock, after the follower has seen (without
//! consuming) that one is queued: so when [`HeldIndex::current`] returns, every update the engine
//! published before the call has been applied.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

use ap_operators::dossier::DossierText;
use ap_operators::passage::Passage;
use ap_operators::retrieval::{Embedder, Index};
use crossbeam_channel::{Receiver, Select, TryRecvError};

use crate::engine::{Engine, Update};
use crate::{Error, Result};

/// Sentences embedded per call of the model by the follower: small enough that a question
/// asked meanwhile finds the apply lock free, and each chunk is searchable at once.
const EMBED_CHUNK: usize = 32;

/// How a held index follows the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// A follower thread applies updates as they come and embeds in the background (server).
    Background,
    /// Updates are applied when a question comes, and the search embeds what is missing (CLI).
    OnQuestion,
}

/// The retrieval indexes of the dossiers questioned so far.
pub struct Retrieval {
    engine: Weak<Engine>,
    embedder: Option<Embedder>,
    follow: Follow,
    held: Mutex<HashMap<String, Arc<HeldIndex>>>,
}

impl std::fmt::Debug for Retrieval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retrieval").field("follow", &self.follow).field("dense", &self.embedder.is_some()).finish()
    }
}

/// One dossier's index, kept current.
pub struct HeldIndex {
    dossier: String,
    engine: Weak<Engine>,
    index: Arc<Index>,
    updates: Receiver<Update>,
    /// Held while updates are consumed and applied.
    apply: Mutex<()>,
}

impl std::fmt::Debug for HeldIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldIndex").field("dossier", &self.dossier).field("index", &self.index).finish()
    }
}

fn retrieval_err(e: impl std::fmt::Display) -> Error {
    Error::Operator(ap_operators::Error::Retrieval(e.to_string()))
}

impl Retrieval {
    /// Indexes over `engine`'s dossiers; hybrid when `embedder` is given, else BM25 alone.
    pub fn new(engine: &Arc<Engine>, embedder: Option<Embedder>, follow: Follow) -> Self {
        Self { engine: Arc::downgrade(engine), embedder, follow, held: Mutex::new(HashMap::new()) }
    }

    /// The index of `dossier`, built from the engine's state on first use and followed since.
    pub fn index(&self, dossier: &str) -> Result<Arc<HeldIndex>> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = held.get(dossier) {
            return Ok(h.clone());
        }
        let engine = self.engine.upgrade().ok_or(Error::Stopped)?;
        let index = match &self.embedder {
            Some(e) => Index::with_embedder(e.clone()),
            None => Index::new(),
        }?;
        index.set_background_embedding(self.follow == Follow::Background);
        // Subscribe first, then read the state: an update published in between is applied twice,
        // which is harmless (applying reconciles with the state).
        let updates = engine.subscribe(dossier);
        let h = Arc::new(HeldIndex {
            dossier: dossier.to_string(),
            engine: self.engine.clone(),
            index: Arc::new(index),
            updates,
            apply: Mutex::new(()),
        });
        h.load(&engine)?;
        if self.follow == Follow::Background {
            let follower = h.clone();
            std::thread::Builder::new()
                .name(format!("retrieval-{dossier}"))
                .spawn(move || follower.follow())
                .map_err(retrieval_err)?;
        }
        held.insert(dossier.to_string(), h.clone());
        Ok(h)
    }
}

/// The pieces of a dossier as a [`DossierText`] (what [`Index::upsert_in`] reads: a passage's
/// piece kind and persons).
fn pieces_of(d: &crate::DossierState) -> DossierText {
    DossierText { pieces: d.pieces.values().map(|p| p.arc()).collect(), ..DossierText::default() }
}

impl HeldIndex {
    /// Index every passage of the dossier's current state.
    fn load(&self, engine: &Engine) -> Result<()> {
        let _apply = self.apply.lock().unwrap_or_else(|e| e.into_inner());
        let state = engine.with_dossier(&self.dossier, |d| {
            (pieces_of(d), d.passages.values().map(|p| p.arc()).collect::<Vec<Arc<Passage>>>())
        });
        if let Some((pieces, passages)) = state {
            for p in &passages {
                self.index.upsert_in(&pieces, p)?;
            }
        }
        Ok(self.index.commit()?)
    }

    /// Apply the queued updates; `false` once the engine is gone.
    fn catch_up(&self) -> Result<bool> {
        let _apply = self.apply.lock().unwrap_or_else(|e| e.into_inner());
        let (mut ids, mut documents) = (HashSet::new(), HashSet::new());
        let mut alive = true;
        loop {
            match self.updates.try_recv() {
                Ok(Update::Passage { id, .. }) => {
                    ids.insert(id);
                }
                Ok(Update::Piece { document, .. }) => {
                    documents.insert(document);
                }
                Ok(_) => {}
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    alive = false;
                    break;
                }
            }
        }
        if ids.is_empty() && documents.is_empty() {
            return Ok(alive);
        }
        let Some(engine) = self.engine.upgrade() else { return Ok(false) };
        // Reconcile the touched passages with the state: present ones are (re)indexed with their
        // current text (a fixed passage keeps its id), absent ones withdrawn.
        let (pieces, present, absent) = engine
            .with_dossier(&self.dossier, |d| {
                let mut present: Vec<Arc<Passage>> = Vec::new();
                let mut absent = Vec::new();
                for id in &ids {
                    match d.passages.get(id) {
                        Some(p) => present.push(p.arc()),
                        None => absent.push(id.clone()),
                    }
                }
                if !documents.is_empty() {
                    present.extend(
                        d.passages.values().filter(|p| documents.contains(&p.document) && !ids.contains(&p.id)).map(|p| p.arc()),
                    );
                }
                (pieces_of(d), present, absent)
            })
            .unwrap_or_else(|| (DossierText::default(), Vec::new(), ids.iter().cloned().collect()));
        for id in &absent {
            self.index.remove(id)?;
        }
        for p in &present {
            self.index.upsert_in(&pieces, p)?;
        }
        self.index.commit()?;
        Ok(alive)
    }

    /// The follower thread: embed what is missing, wait for an update, apply, again.
    fn follow(self: Arc<Self>) {
        loop {
            if let Err(e) = self.index.embed_pending(EMBED_CHUNK) {
                tracing::warn!(dossier = %self.dossier, error = %e, "embeddings not computed");
            }
            let mut select = Select::new();
            select.recv(&self.updates);
            select.ready();
            match self.catch_up() {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => tracing::warn!(dossier = %self.dossier, error = %e, "index not updated"),
            }
        }
    }

    /// The index with every update published so far applied, ready for a question (BM25 at once,
    /// dense over the embeddings known so far when a follower embeds in the background).
    pub fn current(&self) -> Result<Arc<Index>> {
        self.catch_up()?;
        Ok(self.index.clone())
    }

    /// Sentences whose embedding is still being computed.
    pub fn pending_embeddings(&self) -> usize {
        self.index.pending_embeddings()
    }

    /// The dossier.
    pub fn dossier(&self) -> &str {
        &self.dossier
    }
}
