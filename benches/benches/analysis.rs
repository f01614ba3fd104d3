//! Where the time of a dossier-level recomputation goes: detection, answering and the draft
//! summary over the whole text of a generated 1,000-page dossier.
//!
//! An OCR fix in the engine re-runs these three stages on the whole dossier text (each is a reduce
//! keyed by dossier), so their sum bounds the correction latency the engine bench measures.
//! `detect_offences_after_one_sentence_fix` is what the engine pays, with its per-dossier
//! [`offence::Detector`]. `cargo bench -p ap-benches --bench analysis`

use std::hint::black_box;

use ap_operators::answer::answer_questions;
use ap_operators::domain::Domain;
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::{offence, summary};
use criterion::{Criterion, criterion_group, criterion_main};

fn stages(c: &mut Criterion) {
    let pdfium = NativeLibs::default().pdfium().expect("pdfium (make setup)");
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let params = ap_datasets::generate::Params { seed: 32, count: 1, pages: (1000, 1000), scanned: 0.0, forced_scans: None };
    let dossier = ap_datasets::generate::dossier(&params, 0).unwrap();
    let text = dossier.text(&ingestor).unwrap();
    let domain = Domain::get();
    let offences = offence::detect(&text, domain);
    let answers = answer_questions(&text, &offences, domain);
    eprintln!(
        "analysis: {} pages, {} passages, {} pieces, {} offences, {} answers",
        text.pages.len(),
        text.passages.len(),
        text.pieces.len(),
        offences.len(),
        answers.len()
    );
    let mut group = c.benchmark_group("analysis_1000_pages");
    group.sample_size(10);
    group.bench_function("detect_offences", |b| b.iter(|| black_box(offence::detect(&text, domain))));
    // An OCR fix of one sentence: a detector that remembers the other sentences' scans.
    let mut fixed = text.clone();
    let sentences: Vec<usize> = (0..fixed.passages.len()).filter(|&i| fixed.passages[i].kind == ap_operators::passage::PassageKind::Sentence).collect();
    let i = sentences[sentences.len() / 2];
    let mut passage = (*fixed.passages[i]).clone();
    passage.text.push_str(" texte corrigé");
    fixed.passages[i] = std::sync::Arc::new(passage);
    let mut detector = offence::Detector::new();
    let mut flip = false;
    group.bench_function("detect_offences_after_one_sentence_fix", |b| {
        b.iter(|| {
            flip = !flip;
            black_box(detector.detect(if flip { &fixed } else { &text }, domain))
        })
    });
    group.bench_function("answer_questions", |b| b.iter(|| black_box(answer_questions(&text, &offences, domain))));
    group.bench_function("draft_summary", |b| b.iter(|| black_box(summary::draft(&text, &offences, &answers))));
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
