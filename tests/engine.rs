//! The incremental engine: documents in, page text out, memoized, durable, and equal at every
//! step to a from-scratch computation on the current inputs (the oracle).

use std::collections::{BTreeMap, BTreeSet};

use ap_engine::{Change, Correction, Engine, EngineOptions};
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_tests::DEJAVU_SANS;
use pdfium_render::prelude::*;
use rand::{Rng, SeedableRng};

/// A native PDF of `pages` pages, each with two lines that name the document and the page.
fn native_pdf(tag: &str, pages: u32) -> Vec<u8> {
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let mut doc = pdfium.create_new_pdf().unwrap();
    let font = doc.fonts_mut().load_true_type_from_file(DEJAVU_SANS, true).unwrap();
    for n in 1..=pages {
        let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::a4()).unwrap();
        for (i, line) in [
            format!("PROCÈS-VERBAL D'AUDITION — pièce {tag}"),
            format!("Page {n} : « Je reconnais les faits », déclare le témoin {tag}."),
        ]
        .iter()
        .enumerate()
        {
            page.objects_mut()
                .create_text_object(PdfPoints::new(60.0), PdfPoints::new(760.0 - 24.0 * i as f32), line, font, PdfPoints::new(12.0))
                .unwrap();
        }
    }
    doc.save_to_bytes().unwrap()
}

fn correction(id: &str, text: &str) -> Correction {
    Correction {
        id: id.into(),
        author: "substitut.a".into(),
        time: "2026-11-30T10:00:00Z".into(),
        change: Change::OcrFix { passage: format!("passage-{id}"), text: text.into() },
    }
}

/// (document, page) → text, as the engine shows it.
fn engine_texts(engine: &Engine, dossier: &str) -> BTreeMap<(String, u32), String> {
    engine.dossier(dossier).pages.iter().map(|(k, p)| (k.clone(), p.text.clone())).collect()
}

fn options() -> EngineOptions {
    EngineOptions { extraction_threads: 2, ..EngineOptions::default() }
}

#[test]
fn documents_become_page_text_and_withdrawals_withdraw_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    let updates = engine.subscribe("d1");
    engine.add_document("d1", "pv", "pv.pdf", &native_pdf("A", 3)).unwrap();
    engine.add_document("d1", "casse", "casse.pdf", b"%PDF-1.7 tronque").unwrap();
    engine.sync().unwrap();

    let texts = engine_texts(&engine, "d1");
    assert_eq!(texts.len(), 3);
    assert!(texts[&("pv".to_string(), 2)].contains("Page 2 : « Je reconnais les faits »"), "{texts:?}");
    let state = engine.dossier("d1");
    assert!(state.failures["casse"].contains("casse.pdf"), "{:?}", state.failures);
    let progress = engine.progress("d1");
    assert_eq!((progress.documents, progress.documents_extracted, progress.documents_failed, progress.pages), (2, 1, 1, 3));
    let received: Vec<_> = updates.try_iter().collect();
    assert_eq!(received.iter().filter(|u| matches!(u, ap_engine::Update::PageText { diff: 1, .. })).count(), 3);

    engine.remove_document("d1", "pv").unwrap();
    engine.sync().unwrap();
    assert!(engine_texts(&engine, "d1").is_empty());
    assert!(engine.dossier("other").pages.is_empty());
}

#[test]
fn memo_and_log_mean_no_extraction_twice_even_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = native_pdf("B", 4);
    let before;
    {
        let engine = Engine::open(dir.path(), options()).unwrap();
        engine.add_document("d2", "pv", "pv.pdf", &pdf).unwrap();
        engine.correct("d2", correction("c1", "texte corrigé")).unwrap();
        engine.sync().unwrap();
        assert_eq!(engine.counters().extractions.load(std::sync::atomic::Ordering::Relaxed), 1);
        // Withdraw and re-insert the same content: the memo answers.
        engine.remove_document("d2", "pv").unwrap();
        engine.sync().unwrap();
        engine.add_document("d2", "pv", "pv.pdf", &pdf).unwrap();
        engine.sync().unwrap();
        assert_eq!(engine.counters().extractions.load(std::sync::atomic::Ordering::Relaxed), 1);
        before = engine_texts(&engine, "d2");
        assert_eq!(before.len(), 4);
    }
    // A new process on the same data directory: the log is replayed, the memo is on disk.
    let engine = Engine::open(dir.path(), options()).unwrap();
    engine.sync().unwrap();
    assert_eq!(engine_texts(&engine, "d2"), before);
    assert_eq!(engine.dossier("d2").corrections["c1"], correction("c1", "texte corrigé"));
    assert_eq!(engine.counters().extractions.load(std::sync::atomic::Ordering::Relaxed), 0, "no re-extraction after restart");
}

/// Random insertions, withdrawals, replacements and corrections; after every step the engine's
/// state equals a from-scratch computation over the inputs current at that step.
#[test]
fn incremental_state_equals_from_scratch_oracle() {
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let pool: Vec<(String, Vec<u8>)> = (0..5).map(|i| (format!("v{i}"), native_pdf(&format!("V{i}"), 1 + i % 3))).collect();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    // Oracle inputs: document id → pool index; correction id → text.
    let mut docs: BTreeMap<String, usize> = BTreeMap::new();
    let mut corrections: BTreeMap<String, String> = BTreeMap::new();

    for step in 0..40 {
        let doc_id = format!("doc{}", rng.random_range(0..4));
        match rng.random_range(0..4) {
            0 | 1 => {
                let v = rng.random_range(0..pool.len());
                engine.add_document("d", &doc_id, &format!("{doc_id}.pdf"), &pool[v].1).unwrap();
                docs.insert(doc_id, v);
            }
            2 => {
                if docs.remove(&doc_id).is_some() {
                    engine.remove_document("d", &doc_id).unwrap();
                } else {
                    assert!(engine.remove_document("d", &doc_id).is_err(), "removing an unknown document is an error");
                }
            }
            _ => {
                let id = format!("c{}", rng.random_range(0..3));
                let text = format!("correction {step}");
                engine.correct("d", correction(&id, &text)).unwrap();
                corrections.insert(id, text);
            }
        }
        engine.sync().unwrap();

        let mut expected = BTreeMap::new();
        for (doc_id, v) in &docs {
            for page in ingestor.ingest_file(doc_id, &format!("{doc_id}.pdf"), &pool[*v].1).unwrap().pages {
                expected.insert((doc_id.clone(), page.number), page.text);
            }
        }
        assert_eq!(engine_texts(&engine, "d"), expected, "page texts differ at step {step}");
        let got: BTreeSet<(String, String)> = engine
            .dossier("d")
            .corrections
            .values()
            .map(|c| match &c.change {
                Change::OcrFix { text, .. } => (c.id.clone(), text.clone()),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        let want: BTreeSet<(String, String)> = corrections.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(got, want, "corrections differ at step {step}");
    }
    // Only distinct contents were ever extracted, each once.
    let extractions = engine.counters().extractions.load(std::sync::atomic::Ordering::Relaxed);
    assert!(extractions <= pool.len(), "{extractions} extractions for {} distinct files", pool.len());
}
