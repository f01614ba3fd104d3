//! The incremental engine: documents in, page text out, memoized, durable, and equal at every
//! step to a from-scratch computation on the current inputs (the oracle).

use std::collections::{BTreeMap, BTreeSet};

use ap_engine::{Change, Correction, Engine, EngineOptions};
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::{passage, piece};
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
    fix(id, &format!("passage-{id}"), text, 0)
}

/// An OCR fix of `passage` made at second `second` of the day.
fn fix(id: &str, passage: &str, text: &str, second: u32) -> Correction {
    Correction {
        id: id.into(),
        author: "substitut.a".into(),
        time: format!("2026-11-30T10:{:02}:{:02}Z", second / 60, second % 60),
        change: Change::OcrFix { passage: passage.into(), text: text.into() },
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
    assert_eq!(progress.pages_answered, 3, "offences and answers read every page with text");
    assert!(!state.answers.is_empty());
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

/// Random insertions, withdrawals, replacements and OCR fixes; after every step the engine's
/// page texts, passages, pieces and corrections equal a from-scratch computation over the inputs
/// current at that step.
#[test]
fn incremental_state_equals_from_scratch_oracle() {
    oracle(options());
}

/// The same with three timely workers: documents and dossiers are reduced on different workers,
/// the state is published from worker 0.
#[test]
fn incremental_state_equals_from_scratch_oracle_on_three_workers() {
    oracle(EngineOptions { workers: 3, ..options() });
}

fn oracle(options: EngineOptions) {
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let pool: Vec<Vec<u8>> = (0..5).map(|i| native_pdf(&format!("V{i}"), 1 + i % 3)).collect();
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    // Oracle inputs: document id → pool index; correction id → (passage, text, second).
    let mut docs: BTreeMap<String, usize> = BTreeMap::new();
    let mut corrections: BTreeMap<String, (String, String, u32)> = BTreeMap::new();
    let mut steps_with_a_fix_applied = 0;

    for step in 0..40_u32 {
        // From-scratch computation over the current inputs.
        let scratch = |docs: &BTreeMap<String, usize>| {
            let mut texts = BTreeMap::new();
            let mut passages = BTreeMap::new();
            let mut pieces = BTreeSet::new();
            for (doc_id, v) in docs {
                let doc = ingestor.ingest_file(doc_id, &format!("{doc_id}.pdf"), &pool[*v]).unwrap();
                for p in passage::passages(&doc) {
                    passages.insert(p.id.clone(), p.text);
                }
                for p in piece::pieces(&doc) {
                    pieces.insert((doc_id.clone(), p.first_page, p.last_page, p.title));
                }
                for page in doc.pages {
                    texts.insert((doc_id.clone(), page.number), page.text);
                }
            }
            (texts, passages, pieces)
        };

        let doc_id = format!("doc{}", rng.random_range(0..4));
        match rng.random_range(0..5) {
            0 | 1 => {
                let v = rng.random_range(0..pool.len());
                engine.add_document("d", &doc_id, &format!("{doc_id}.pdf"), &pool[v]).unwrap();
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
                // Fix a passage that exists now (or, sometimes, one that does not).
                let (_, current, _) = scratch(&docs);
                let ids: Vec<&String> = current.keys().collect();
                let passage = if ids.is_empty() || rng.random_bool(0.2) {
                    "passage-inconnu".to_string()
                } else {
                    ids[rng.random_range(0..ids.len())].clone()
                };
                let id = format!("c{}", rng.random_range(0..4));
                let text = format!("texte corrigé à l'étape {step}");
                engine.correct("d", fix(&id, &passage, &text, step)).unwrap();
                corrections.insert(id, (passage, text, step));
            }
        }
        engine.sync().unwrap();

        let (texts, mut passages, pieces) = scratch(&docs);
        // The latest fix of each passage wins.
        let mut latest: BTreeMap<&str, (u32, &str)> = BTreeMap::new();
        for (passage, text, second) in corrections.values() {
            if latest.get(passage.as_str()).is_none_or(|(s, _)| second > s) {
                latest.insert(passage, (*second, text));
            }
        }
        let mut applied = false;
        for (passage, (_, text)) in latest {
            if let Some(t) = passages.get_mut(passage) {
                *t = text.to_string();
                applied = true;
            }
        }
        steps_with_a_fix_applied += usize::from(applied);
        let state = engine.dossier("d");
        assert_eq!(engine_texts(&engine, "d"), texts, "page texts differ at step {step}");
        let got_passages: BTreeMap<String, String> = state.passages.iter().map(|(id, p)| (id.clone(), p.text.clone())).collect();
        assert_eq!(got_passages, passages, "passages differ at step {step}");
        let got_pieces: BTreeSet<_> =
            state.pieces.values().map(|p| (p.document.clone(), p.first_page, p.last_page, p.title.clone())).collect();
        assert_eq!(got_pieces, pieces, "pieces differ at step {step}");
        let got: BTreeMap<String, String> = state
            .corrections
            .values()
            .map(|c| match &c.change {
                Change::OcrFix { text, .. } => (c.id.clone(), text.clone()),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        let want: BTreeMap<String, String> = corrections.iter().map(|(k, v)| (k.clone(), v.1.clone())).collect();
        assert_eq!(got, want, "corrections differ at step {step}");
    }
    assert!(steps_with_a_fix_applied >= 5, "the sequence must exercise fixes: {steps_with_a_fix_applied}");
    // Only distinct contents were ever extracted, each once.
    let extractions = engine.counters().extractions.load(std::sync::atomic::Ordering::Relaxed);
    assert!(extractions <= pool.len(), "{extractions} extractions for {} distinct files", pool.len());
}

/// Correcting one passage of a 1,000-page dossier touches a handful of records: no extraction,
/// no re-segmentation, only the corrected passage is withdrawn and re-inserted.
#[test]
fn one_ocr_fix_in_a_thousand_pages_touches_almost_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    engine.add_document("gros", "proc", "procedure.pdf", &native_pdf("G", 1000)).unwrap();
    engine.sync().unwrap();
    let state = engine.dossier("gros");
    assert_eq!(state.pages.len(), 1000);
    let c = engine.counters();
    let load = |a: &std::sync::atomic::AtomicUsize| a.load(std::sync::atomic::Ordering::Relaxed);
    let full = load(&c.page_text_records) + load(&c.passage_records) + load(&c.segmentations);
    let (extractions, segmentations, passage_records) = (load(&c.extractions), load(&c.segmentations), load(&c.passage_records));

    let target = state.passages.values().find(|p| p.first_page() == 500).expect("a passage on page 500").clone();
    engine.correct("gros", fix("fix-500", &target.id, "Page 500 : « Je conteste les faits », déclare le témoin G.", 1)).unwrap();
    engine.sync().unwrap();

    assert_eq!(engine.dossier("gros").passages[&target.id].text, "Page 500 : « Je conteste les faits », déclare le témoin G.");
    assert_eq!(load(&c.extractions), extractions, "no extraction for a correction");
    assert_eq!(load(&c.segmentations), segmentations, "no re-segmentation for a correction");
    let touched = load(&c.passage_records) - passage_records;
    assert_eq!(touched, 2, "the corrected passage is withdrawn and re-inserted, nothing else");
    assert!(touched * 100 < full, "{touched} records touched against {full} for the full computation");
}

/// `ingest` is killed (SIGKILL) while it reads scanned documents, right after they were
/// acknowledged; the next run finds every acknowledged document, reads what was unfinished, and
/// a further run reads nothing again (the memo is on disk).
#[test]
fn sigkill_during_ingestion_loses_no_acknowledged_document() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let data = tempfile::tempdir().unwrap();
    let root = ap_tests::project_root().join("datasets/sample");
    let mut files = Vec::new();
    let mut gold_pages = 0;
    for dossier in ["D000003", "D000005"] {
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(dossier).join("gold.json")).unwrap()).unwrap();
        for doc in gold["documents"].as_array().unwrap() {
            files.push(root.join(dossier).join(doc["file"].as_str().unwrap()));
            gold_pages += doc["page_count"].as_u64().unwrap();
        }
    }
    let mut child = Command::new(ap_tests::binary())
        .args(["ingest", "--dossier", "k", "--data-dir"])
        .arg(data.path())
        .args(&files)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut acknowledged = 0;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        if line.unwrap().starts_with("reçu : ") {
            acknowledged += 1;
            if acknowledged == files.len() {
                break;
            }
        }
    }
    assert_eq!(acknowledged, files.len());
    child.kill().unwrap(); // SIGKILL: no shutdown code runs
    child.wait().unwrap();

    let show = || {
        let mut cmd = Command::new(ap_tests::binary());
        cmd.args(["show", "--dossier", "k", "--json", "--data-dir"]).arg(data.path());
        let (status, stdout, stderr) = ap_tests::run_with_timeout(&mut cmd, std::time::Duration::from_secs(600)).unwrap();
        assert!(status.success(), "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let first = show();
    assert_eq!(first["documents"].as_array().unwrap().len(), files.len(), "{first}");
    assert_eq!(first["progress"]["pages"].as_u64().unwrap(), gold_pages, "{first}");
    assert!(first["progress"]["pages_ocr"].as_u64().unwrap() >= 3, "{first}");
    let second = show();
    assert_eq!(second["extractions_run"], 0, "nothing is read twice: {second}");
    assert_eq!(second["pages_ocr_run"], 0, "no page is recognised twice: {second}");
    assert_eq!(second["progress"], first["progress"]);
}

/// A correction edited in place (same id, new text) replaces the passage text again.
#[test]
fn editing_a_correction_in_place_updates_the_passage() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    engine.add_document("e", "pv", "pv.pdf", &native_pdf("E", 2)).unwrap();
    engine.sync().unwrap();
    let target = engine.dossier("e").passages.values().find(|p| p.first_page() == 2).unwrap().id.clone();
    for (second, text) in [(1, "première lecture corrigée"), (2, "seconde lecture corrigée"), (3, "première lecture corrigée")] {
        engine.correct("e", fix("c", &target, text, second)).unwrap();
        engine.sync().unwrap();
        assert_eq!(engine.dossier("e").passages[&target].text, text);
        assert_eq!(engine.dossier("e").corrections.len(), 1);
    }
}

/// The engine's offences and answers equal the operators run from scratch on the same documents,
/// and users' corrections act on them: a rejected offence withdraws its questions, an edited
/// answer overrides the computed one (the machine's kept beside it), an OCR fix reaches the answers.
#[test]
fn offences_and_answers_follow_the_text_and_the_corrections() {
    use ap_engine::ReviewKind;
    use ap_operators::answer::{AnswerStatus, answer_questions};
    use ap_operators::domain::Domain;
    use ap_operators::dossier::DossierText;

    let sample = ap_tests::project_root().join("datasets/sample/D000001");
    let files: Vec<(String, Vec<u8>)> = ["procedure_partie1", "procedure_partie2"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(sample.join(format!("{f}.pdf"))).unwrap()))
        .collect();
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let docs: Vec<_> = files.iter().map(|(id, bytes)| ingestor.ingest_file(id, &format!("{id}.pdf"), bytes).unwrap()).collect();
    let scratch = DossierText::from_documents(&docs);
    let domain = Domain::get();
    let offences = ap_operators::offence::detect(&scratch, domain);
    let answers = answer_questions(&scratch, &offences, domain);

    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    for (id, bytes) in &files {
        engine.add_document("d1", id, &format!("{id}.pdf"), bytes).unwrap();
    }
    engine.sync().unwrap();
    let state = engine.dossier("d1");
    let got: Vec<_> = state.offences.iter().map(|o| o.offence.clone()).collect();
    assert_eq!(got, offences, "offences differ from the from-scratch computation");
    let got: Vec<_> = state.answers.iter().map(|a| a.answer.clone()).collect();
    assert_eq!(got, answers, "answers differ from the from-scratch computation");
    assert!(state.offences.iter().any(|o| o.offence.category == "violences"), "{:?}", state.offences);
    assert!(state.answers.iter().any(|a| a.answer.status == AnswerStatus::Found));

    // Rejecting an offence withdraws its questions; the common ones stay.
    let rejected = state.offences[0].offence.category.clone();
    let own: Vec<String> = domain
        .questions
        .iter()
        .filter(|q| q.applies_to.contains(&rejected) && !state.offences[1..].iter().any(|o| q.applies_to.contains(&o.offence.category)))
        .map(|q| q.id.clone())
        .collect();
    assert!(!own.is_empty());
    let counters = engine.counters();
    let detections = counters.detections.load(std::sync::atomic::Ordering::Relaxed);
    let c = |id: &str, second: u32, change: Change| Correction {
        id: id.into(),
        author: "substitut.a".into(),
        time: format!("2026-11-30T11:00:{second:02}Z"),
        change,
    };
    engine.correct("d1", c("r1", 1, Change::OffenceRejected { offence: rejected.clone(), reason: Some("non caractérisée".into()) })).unwrap();
    engine.sync().unwrap();
    let state = engine.dossier("d1");
    assert_eq!(state.offences[0].review.as_ref().map(|r| r.kind), Some(ReviewKind::Rejected));
    for q in &own {
        assert!(state.answers.iter().all(|a| &a.answer.question != q), "{q} should be withdrawn with {rejected}");
    }
    assert!(state.answers.iter().any(|a| a.answer.question == "date_faits"));
    assert_eq!(counters.detections.load(std::sync::atomic::Ordering::Relaxed), detections, "a review does not re-run detection");

    // Edit an answer: the user's text shows, the machine's answer is kept.
    let machine = state.answers.iter().find(|a| a.answer.question == "date_faits").unwrap().answer.clone();
    let answerings = counters.answerings.load(std::sync::atomic::Ordering::Relaxed);
    engine.correct("d1", c("e1", 2, Change::AnswerEdited { answer: "date_faits".into(), text: "Le 9 septembre 2024 vers 18 h".into() })).unwrap();
    engine.sync().unwrap();
    let state = engine.dossier("d1");
    let edited = state.answers.iter().find(|a| a.answer.question == "date_faits").unwrap();
    assert_eq!(edited.answer.text, "Le 9 septembre 2024 vers 18 h");
    assert_eq!(edited.machine.as_deref(), Some(&machine));
    assert_eq!(counters.answerings.load(std::sync::atomic::Ordering::Relaxed), answerings, "an answer edit does not re-answer");

    // Withdrawing the rejection brings the offence's questions back.
    engine
        .apply(vec![(
            ap_engine::InputRecord::Correction {
                dossier: "d1".into(),
                correction: c("r1", 1, Change::OffenceRejected { offence: rejected.clone(), reason: Some("non caractérisée".into()) }),
            },
            -1,
        )])
        .unwrap();
    engine.sync().unwrap();
    let state = engine.dossier("d1");
    assert!(state.offences[0].review.is_none());
    assert!(own.iter().all(|q| state.answers.iter().any(|a| &a.answer.question == q)));

    // Removing the documents empties the results.
    for (id, _) in &files {
        engine.remove_document("d1", id).unwrap();
    }
    engine.sync().unwrap();
    let state = engine.dossier("d1");
    assert!(state.offences.is_empty() && state.answers.is_empty(), "{:?}", state.offences);
}

/// Timely's cluster mode on loopback.
mod cluster;

/// OCR is memoized per page content: a document sharing scanned pages with one already read
/// (here, two of its pages copied into a new PDF) reads none of them again, and gets their text.
#[test]
fn a_document_sharing_scanned_pages_reads_none_of_them_again() {
    let source = std::fs::read(ap_tests::project_root().join("datasets/sample/D000003/procedure.pdf")).unwrap();
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let shared = {
        let original = pdfium.load_pdf_from_byte_slice(&source, None).unwrap();
        let mut copy = pdfium.create_new_pdf().unwrap();
        copy.pages_mut().copy_page_range_from_document(&original, 1..=2, 0).unwrap();
        copy.save_to_bytes().unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    let ocr_runs = || engine.counters().pages_ocr_run.load(std::sync::atomic::Ordering::Relaxed);
    engine.add_document("s", "pv", "procedure.pdf", &source).unwrap();
    engine.sync().unwrap();
    assert_eq!(ocr_runs(), 3, "three scanned pages");
    engine.add_document("s", "extrait", "extrait.pdf", &shared).unwrap();
    engine.sync().unwrap();
    assert_eq!(ocr_runs(), 3, "the shared pages come from the memo");
    let texts = engine_texts(&engine, "s");
    assert_eq!(texts.len(), 5, "{:?}", texts.keys());
    assert_eq!(texts[&("extrait".to_string(), 1)], texts[&("pv".to_string(), 2)]);
    assert_eq!(texts[&("extrait".to_string(), 2)], texts[&("pv".to_string(), 3)]);
    assert!(!texts[&("extrait".to_string(), 1)].trim().is_empty());
}
