//! Export throughput (rows/s) and peak memory for a 2,000-page dossier.
//!
//! The dossier is made of the committed sample's native documents (real text, boxes, passages,
//! pieces, offences and answers with their citations), repeated under new document ids until it
//! holds 2,000 pages, in an engine `DossierState` as the export command gets it. The bench
//! exports it three times into a temporary folder and prints the median time, rows per second,
//! and the peak resident memory the export adds above the state it reads (Linux: `VmHWM` reset
//! through `/proc/self/clear_refs` before each run), next to the size of the Parquet files.
//!
//! `cargo bench -p ap-benches --bench export`

use std::time::Instant;

use ap_engine::{Change, Correction, DossierState, ReviewedAnswer, ReviewedOffence, Shared};
use ap_export::{DossierExport, Exporter};
use ap_operators::document::Document;
use ap_operators::domain::Domain;
use ap_operators::dossier::DossierText;
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::{answer, offence, passage, piece};

const PAGES: usize = 2_000;

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let pdfium = NativeLibs::default().pdfium().expect("pdfium (make setup)");
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let domain = Domain::get();
    // Native dossiers of the sample: documents, offences, answers.
    let mut sources: Vec<(Vec<Document>, Vec<offence::Offence>, Vec<answer::Answer>)> = Vec::new();
    for (dir, gold) in ap_benches::sample() {
        let native = gold["documents"].as_array().unwrap().iter().all(|d| d["pages"].as_array().unwrap().iter().all(|p| p["mode"] == "native"));
        if !native {
            continue;
        }
        let docs: Vec<Document> = gold["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let file = d["file"].as_str().unwrap();
                ingestor.ingest_file(d["id"].as_str().unwrap(), file, &std::fs::read(dir.join(file)).unwrap()).unwrap()
            })
            .collect();
        let text = DossierText::from_documents(&docs);
        let offences = offence::detect(&text, domain);
        let answers = answer::answer_questions(&text, &offences, domain);
        sources.push((docs, offences, answers));
    }
    assert!(!sources.is_empty(), "no native dossier in datasets/sample");

    // Repeat them under new document ids up to PAGES pages.
    let mut state = DossierState::default();
    let (mut pages, mut copy) = (0, 0);
    'fill: loop {
        for (docs, offences, answers) in &sources {
            copy += 1;
            let rename = |id: &str| format!("{id}-{copy}");
            for doc in docs {
                let mut doc = doc.clone();
                doc.id = rename(&doc.id);
                for page in &doc.pages {
                    state.pages.insert((doc.id.clone(), page.number), Shared::new(format!("{}:{}", doc.id, page.number), page.clone()));
                }
                for p in passage::passages(&doc) {
                    state.passages.insert(p.id.clone(), Shared::new(p.id.clone(), p));
                }
                for p in piece::pieces(&doc) {
                    state.pieces.insert((doc.id.clone(), p.first_page), Shared::new(format!("{}:{}", doc.id, p.first_page), p));
                }
                state.documents.insert(doc.id.clone(), (doc.file.clone(), format!("{:064x}", copy)));
                pages += doc.pages.len();
            }
            for o in offences {
                let mut o = o.clone();
                o.category = format!("{}#{copy}", o.category);
                o.evidence.iter_mut().for_each(|c| c.document = rename(&c.document));
                state.offences.push(ReviewedOffence { offence: o, review: None });
            }
            for a in answers {
                let mut a = a.clone();
                a.question = format!("{}#{copy}", a.question);
                a.citations.iter_mut().for_each(|c| c.document = rename(&c.document));
                state.answers.push(ReviewedAnswer { answer: a, review: None, machine: None });
            }
            let id = format!("c{copy}");
            let change = Change::AnswerAccepted { answer: state.answers.last().map_or(String::new(), |a| a.answer.question.clone()) };
            state.corrections.insert(id.clone(), Correction { id, author: "bench".into(), time: "2024-03-12T14:30:00Z".into(), change });
            if pages >= PAGES {
                break 'fill;
            }
        }
    }

    let tmp = tempfile::tempdir().unwrap();
    let mut times = Vec::new();
    let mut extra_kb = Vec::new();
    let mut rows = 0;
    let mut bytes = 0;
    for run in 0..3 {
        let out = tmp.path().join(format!("run{run}"));
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = status_kb("VmRSS:");
        let start = Instant::now();
        let mut exporter = Exporter::create(&out).unwrap();
        let (offences, answers) = ap_export::engine_outputs(&state);
        exporter.add(&DossierExport { dossier: "bench", state: &state, offences: &offences, answers: &answers, annotations: &[] }).unwrap();
        let summary = exporter.finish().unwrap();
        times.push(start.elapsed().as_secs_f64());
        extra_kb.push(status_kb("VmHWM:").saturating_sub(before));
        rows = summary.tables.iter().map(|t| t.2).sum::<u64>();
        bytes = summary.tables.iter().map(|t| std::fs::metadata(&t.1).map_or(0, |m| m.len())).sum::<u64>();
        if run == 0 {
            for (table, _, n) in &summary.tables {
                println!("  {table:<12} {n:>8} rows");
            }
        }
    }
    times.sort_by(f64::total_cmp);
    extra_kb.sort_unstable();
    let median = times[1];
    println!(
        "export of a {pages}-page dossier: {rows} rows in {:.3} s (median of 3) = {:.0} rows/s, {:.1} pages/s; \
         files {:.1} MiB (ZSTD); peak memory above the state: {:.1} MiB (max of 3: {:.1} MiB); process RSS {:.1} MiB",
        median,
        rows as f64 / median,
        pages as f64 / median,
        bytes as f64 / (1 << 20) as f64,
        extra_kb[1] as f64 / 1024.0,
        extra_kb[2] as f64 / 1024.0,
        status_kb("VmRSS:") as f64 / 1024.0,
    );
}
