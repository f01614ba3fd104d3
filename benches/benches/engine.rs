//! Engine benches: how long from a native dossier's arrival to all its answers, how long from a
//! correction to the updated passage and to the updated answer, and resident memory per 1,000
//! pages.
//!
//! Run: `cargo bench -p ap-benches --bench engine`. The arrival bench reads a generated corpus
//! dossier of 500 native pages (`ap_datasets`); the correction benches a 1,000-page dossier of
//! pdfium-made pages (three lines of French each) plus a generated dossier for answer edits.

use std::time::{Duration, Instant};

use ap_engine::{Change, Correction, Engine, EngineOptions};
use ap_operators::native::NativeLibs;
use criterion::{Criterion, criterion_group, criterion_main};
use pdfium_render::prelude::*;

const DEJAVU_SANS: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

fn native_pdf(pages: u32) -> Vec<u8> {
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let mut doc = pdfium.create_new_pdf().unwrap();
    let font = doc.fonts_mut().load_true_type_from_file(DEJAVU_SANS, true).unwrap();
    for n in 1..=pages {
        let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::a4()).unwrap();
        let lines = [
            if n % 10 == 1 { "PROCÈS-VERBAL D'AUDITION DE TÉMOIN".to_string() } else { format!("Suite de l'audition, page {n}.") },
            format!("Question : où étiez-vous le douze mars à quatorze heures trente ? Réponse : « chez moi », page {n}."),
            format!("Le témoin déclare avoir vu un individu casser la vitre du véhicule stationné, page {n}."),
        ];
        for (i, line) in lines.iter().enumerate() {
            page.objects_mut()
                .create_text_object(PdfPoints::new(50.0), PdfPoints::new(780.0 - 22.0 * i as f32), line, font, PdfPoints::new(10.0))
                .unwrap();
        }
    }
    doc.save_to_bytes().unwrap()
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn options() -> EngineOptions {
    EngineOptions { extraction_threads: 2, ..EngineOptions::default() }
}

/// A generated native dossier of about `pages` pages: (file name, bytes) of its tomes.
fn corpus_dossier(pages: usize, seed: u64) -> Vec<(String, Vec<u8>)> {
    let params = ap_datasets::generate::Params { seed, count: 1, pages: (pages, pages), scanned: 0.0, forced_scans: None };
    ap_datasets::generate::dossier(&params, 0).unwrap().files
}

fn arrival_to_answers(c: &mut Criterion) {
    let files = corpus_dossier(500, 31);
    let mut group = c.benchmark_group("engine");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    group.bench_function("500_native_pages_to_answers", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A fresh data directory each time: no memo, the full extraction is measured.
                let dir = tempfile::tempdir().unwrap();
                let engine = Engine::open(dir.path(), options()).unwrap();
                let start = Instant::now();
                for (name, bytes) in &files {
                    engine.add_document("d", name.trim_end_matches(".pdf"), name, bytes).unwrap();
                }
                // `sync` returns once the whole graph, answers included, reflects the input.
                engine.sync().unwrap();
                total += start.elapsed();
                let state = engine.dossier("d");
                assert!(state.pages.len() >= 500 && !state.answers.is_empty());
            }
            total
        });
    });
    group.finish();
}

fn correction_latency(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    let before = rss_kib();
    engine.add_document("d", "proc", "procedure.pdf", &native_pdf(1000)).unwrap();
    engine.sync().unwrap();
    let after = rss_kib();
    let state = engine.dossier("d");
    eprintln!(
        "engine: 1,000 pages, {} passages, {} pieces; resident memory +{} MiB (process {} MiB)",
        state.passages.len(),
        state.pieces.len(),
        after.saturating_sub(before) / 1024,
        after / 1024
    );
    let target = state.passages.values().find(|p| p.first_page() == 500).unwrap().id.clone();
    let mut n = 0_u64;
    let mut group = c.benchmark_group("engine");
    group.sample_size(50);
    group.bench_function("ocr_fix_to_updated_passage_1000_pages", |b| {
        b.iter(|| {
            n += 1;
            let text = format!("texte corrigé n° {n}");
            let correction = correction("bench-fix", n, Change::OcrFix { passage: target.clone(), text: text.clone() });
            engine.correct("d", correction).unwrap();
            engine.sync().unwrap();
            assert_eq!(engine.with_dossier("d", |d| d.passages[&target].text.clone()).unwrap(), text);
        });
    });
    group.finish();
}

/// The `n`-th correction of a bench (same id each time: each replaces the previous one).
fn correction(id: &str, n: u64, change: Change) -> Correction {
    Correction { id: id.into(), author: "bench".into(), time: format!("2026-11-30T10:00:{:02}Z", n % 60), change }
}

fn answer_correction_latency(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path(), options()).unwrap();
    for (name, bytes) in corpus_dossier(1000, 32) {
        engine.add_document("d", name.trim_end_matches(".pdf"), &name, &bytes).unwrap();
    }
    engine.sync().unwrap();
    let state = engine.dossier("d");
    eprintln!("engine: generated dossier, {} pages, {} offences, {} answers", state.pages.len(), state.offences.len(), state.answers.len());
    let question = state.answers[0].answer.question.clone();
    let mut n = 0_u64;
    let mut group = c.benchmark_group("engine");
    group.sample_size(30);
    group.bench_function("answer_edit_to_updated_answer_1000_pages", |b| {
        b.iter(|| {
            n += 1;
            let text = format!("réponse corrigée n° {n}");
            let correction = correction("bench-edit", n, Change::AnswerEdited { answer: question.clone(), text: text.clone() });
            engine.correct("d", correction).unwrap();
            engine.sync().unwrap();
            let shown = engine.with_dossier("d", |d| d.answers.iter().find(|a| a.answer.question == question).map(|a| a.answer.text.clone()));
            assert_eq!(shown.flatten().as_deref(), Some(text.as_str()));
        });
    });
    // An OCR fix in a generated dossier re-runs detection and answering on the whole text.
    let target = state
        .passages
        .values()
        .filter(|p| p.kind == ap_operators::passage::PassageKind::Sentence)
        .min_by_key(|p| p.first_page().abs_diff(state.pages.len() as u32 / 2))
        .unwrap()
        .id
        .clone();
    group.bench_function("ocr_fix_to_updated_answers_1000_pages", |b| {
        b.iter(|| {
            n += 1;
            let correction = correction("bench-fix", n, Change::OcrFix { passage: target.clone(), text: format!("texte corrigé n° {n}") });
            engine.correct("d", correction).unwrap();
            engine.sync().unwrap();
        });
    });
    group.finish();
}

criterion_group!(benches, arrival_to_answers, correction_latency, answer_correction_latency);
criterion_main!(benches);
