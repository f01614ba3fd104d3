//! Engine benches: how long from a native dossier's arrival to its passages and pieces, how long
//! from a correction to the corrected passage, and resident memory per 1,000 pages.
//!
//! Run: `cargo bench -p ap-benches --bench engine`. Pages are generated with pdfium (two lines of
//! French text each, DejaVu Sans), as in the engine tests.

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

fn arrival_to_passages(c: &mut Criterion) {
    let pdf = native_pdf(500);
    let mut group = c.benchmark_group("engine");
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    group.bench_function("500_native_pages_to_passages_and_pieces", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // A fresh data directory each time: no memo, the full extraction is measured.
                let dir = tempfile::tempdir().unwrap();
                let engine = Engine::open(dir.path(), options()).unwrap();
                let start = Instant::now();
                engine.add_document("d", "proc", "procedure.pdf", &pdf).unwrap();
                engine.sync().unwrap();
                total += start.elapsed();
                assert_eq!(engine.dossier("d").pages.len(), 500);
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
            let correction = Correction {
                id: "bench-fix".into(),
                author: "bench".into(),
                time: format!("2026-11-30T10:00:{:02}Z", n % 60),
                change: Change::OcrFix { passage: target.clone(), text: text.clone() },
            };
            engine.correct("d", correction).unwrap();
            engine.sync().unwrap();
            assert_eq!(engine.with_dossier("d", |d| d.passages[&target].text.clone()).unwrap(), text);
        });
    });
    group.finish();
}

criterion_group!(benches, arrival_to_passages, correction_latency);
criterion_main!(benches);
