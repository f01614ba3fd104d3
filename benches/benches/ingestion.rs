//! Ingestion, side by side with the anchor tools, in one run on the same files:
//!
//! 1. native text extraction (pages/s) against `pdftotext -bbox-layout` (poppler) on a PDF made
//!    of the committed sample's native pages, repeated;
//! 2. OCR (pages/s and character error rate against the gold text) against the `tesseract`
//!    CLI run serially, page after page, on the same page pictures (the sample's scanned pages);
//! 3. peak memory (VmHWM) of reading a 2,000-page native dossier, measured in a child process.
//!
//! Run with `cargo bench -p ap-benches --bench ingestion`. The OCR side runs with
//! `OMP_THREAD_LIMIT=1` (the bench re-executes itself with it): pages are read in parallel, and
//! tesseract's own OpenMP threads on top of that only oversubscribe the cores.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ap_operators::document::OcrDecision;
use ap_operators::input::{IngestOptions, Ingestor, Limits};
use ap_operators::native::NativeLibs;
use ap_operators::ocr::{OcrOptions, PageImage, ocr_pages};
use ap_operators::pdf;
use ap_benches::{cer, sample};
use pdfium_render::prelude::*;

/// A PDF of `count` pages made of the sample's fully native documents, appended whole again and
/// again (whole documents, so that their fonts are shared by their pages as in a real file).
fn native_pdf(pdfium: &Pdfium, count: usize) -> Vec<u8> {
    let mut sources = Vec::new();
    for (dir, gold) in sample() {
        for doc in gold["documents"].as_array().unwrap() {
            if doc["pages"].as_array().unwrap().iter().all(|p| p["mode"] == "native") {
                sources.push(std::fs::read(dir.join(doc["file"].as_str().unwrap())).unwrap());
            }
        }
    }
    assert!(!sources.is_empty(), "no native document in datasets/sample");
    let loaded: Vec<PdfDocument<'_>> = sources.iter().map(|b| pdfium.load_pdf_from_byte_slice(b, None).unwrap()).collect();
    let mut out = pdfium.create_new_pdf().unwrap();
    let mut k = 0;
    while (out.pages().len() as usize) < count {
        let src = &loaded[k % loaded.len()];
        let missing = count - out.pages().len() as usize;
        let take = (src.pages().len() as usize).min(missing);
        let at = out.pages().len();
        out.pages_mut().copy_page_range_from_document(src, 0..=(take as PdfPageIndex - 1), at).unwrap();
        k += 1;
    }
    out.save_to_bytes().unwrap()
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn bench_native(pdfium: &'static Pdfium, dir: &Path) {
    let pages = 200;
    let bytes = native_pdf(pdfium, pages);
    let file = dir.join("natif.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    // Warm up both.
    ingestor.ingest_file("doc1", "natif.pdf", &bytes).unwrap();
    let poppler = |out: &Path| {
        let status = Command::new("pdftotext").arg("-bbox-layout").arg(&file).arg(out).status().expect("pdftotext (poppler-utils)");
        assert!(status.success());
    };
    poppler(&dir.join("warm.html"));
    let rounds = 3;
    let started = Instant::now();
    let mut words = 0;
    for _ in 0..rounds {
        let doc = ingestor.ingest_file("doc1", "natif.pdf", &bytes).unwrap();
        words += doc.pages.iter().map(|p| p.words.len()).sum::<usize>();
    }
    let ours = (pages * rounds) as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for _ in 0..rounds {
        poppler(&dir.join("out.html"));
    }
    let theirs = (pages * rounds) as f64 / started.elapsed().as_secs_f64();
    println!(
        "native extraction, {pages} pages x {rounds}: ap-operators {ours:.0} pages/s ({} words/page), \
         pdftotext -bbox-layout {theirs:.0} pages/s, ratio {:.2}",
        words / (pages * rounds),
        ours / theirs
    );
}

/// The sample's scanned pages as pictures at their own resolution, with their gold text.
fn scanned_pictures(pdfium: &'static Pdfium) -> Vec<(PageImage, String)> {
    let mut out = Vec::new();
    for (dir, gold) in sample() {
        for doc in gold["documents"].as_array().unwrap() {
            let bytes = std::fs::read(dir.join(doc["file"].as_str().unwrap())).unwrap();
            let pdf_doc = pdf::open(pdfium, &bytes, "bench").unwrap();
            let (raw, _) = pdf::read_pages(&pdf_doc, "bench", &Limits::default());
            for gp in doc["pages"].as_array().unwrap().iter().filter(|p| p["mode"] == "scanned") {
                let number = gp["number"].as_u64().unwrap() as u32;
                let rp = raw.iter().find(|r| r.number == number).unwrap();
                let dpi = rp.image_dpi.map_or(300, |d| (d.round() as u32).min(300));
                let (image, dpi) = pdf::render_page(&pdf_doc, number, dpi, &Limits::default()).unwrap();
                // Numbered in the order of the run: results come back in that order.
                let page = PageImage { number: out.len() as u32 + 1, image, width_pt: rp.width, height_pt: rp.height, dpi, decision: OcrDecision::NoTextLayer };
                out.push((page, gp["text"].as_str().unwrap().to_string()));
            }
        }
    }
    out
}

fn bench_ocr(pdfium: &'static Pdfium, dir: &Path) {
    let pictures = scanned_pictures(pdfium);
    assert!(!pictures.is_empty(), "no scanned page in datasets/sample");
    let n = pictures.len();
    let mut files = Vec::new();
    for (i, (p, _)) in pictures.iter().enumerate() {
        let f = dir.join(format!("page{i}.png"));
        p.image.save(&f).unwrap();
        files.push((f, p.dpi));
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = OcrOptions { threads, ..OcrOptions::default() };
    let started = Instant::now();
    let pages = ocr_pages(pictures.iter().map(|(p, _)| Ok(p.clone())), &options);
    let ours_s = started.elapsed().as_secs_f64();
    let ours_cer: f64 = pages
        .iter()
        .zip(&pictures)
        .map(|(p, (_, gold))| cer(gold, &p.as_ref().map(|p| p.text.clone()).unwrap_or_default()))
        .sum::<f64>()
        / n as f64;
    let started = Instant::now();
    let mut cli_cer = 0.0;
    for ((f, dpi), (_, gold)) in files.iter().zip(&pictures) {
        let out = Command::new("tesseract")
            .arg(f)
            .arg("-")
            .args(["-l", "fra", "--dpi", &dpi.to_string()])
            .env_remove("OMP_THREAD_LIMIT")
            .output()
            .expect("tesseract CLI");
        cli_cer += cer(gold, &String::from_utf8_lossy(&out.stdout));
    }
    let cli_s = started.elapsed().as_secs_f64();
    cli_cer /= n as f64;
    println!(
        "OCR, {n} scanned sample pages, {threads} threads: ap-operators {:.2} pages/s (mean CER {:.2} %), \
         tesseract CLI serial {:.2} pages/s (mean CER {:.2} %), ratio {:.2}",
        n as f64 / ours_s,
        ours_cer * 100.0,
        n as f64 / cli_s,
        cli_cer * 100.0,
        cli_s / ours_s
    );
}

/// Child mode: read a 2,000-page native dossier and print the peak resident memory.
fn memory_child(pdfium: &'static Pdfium) {
    let bytes = native_pdf(pdfium, 2000);
    let before = vm_hwm_kib();
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let started = Instant::now();
    let doc = ingestor.ingest_file("doc1", "dossier.pdf", &bytes).unwrap();
    println!(
        "MEMORY pages={} seconds={:.1} pdf_bytes={} hwm_before_kib={before} hwm_after_kib={}",
        doc.pages.len(),
        started.elapsed().as_secs_f64(),
        bytes.len(),
        vm_hwm_kib()
    );
}

fn main() {
    let pdfium = NativeLibs::default().pdfium().expect("pdfium (make setup)");
    if std::env::args().any(|a| a == "--memory-child") {
        memory_child(pdfium);
        return;
    }
    if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        let status = Command::new(std::env::current_exe().unwrap())
            .args(std::env::args().skip(1))
            .env("OMP_THREAD_LIMIT", "1")
            .status()
            .unwrap();
        std::process::exit(status.code().unwrap_or(1));
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then only check it runs.
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().unwrap();
    bench_native(pdfium, dir.path());
    if !full {
        return;
    }
    bench_ocr(pdfium, dir.path());
    let child = Command::new(std::env::current_exe().unwrap()).arg("--memory-child").output().unwrap();
    let line = String::from_utf8_lossy(&child.stdout);
    println!("peak memory, 2,000-page native dossier: {}", line.trim());
}
