//! Searchable PDFs, side by side with OCRmyPDF in one run on the same scanned files: pages per
//! second and character error rate of the text poppler's `pdftotext` reads back from each output.
//!
//! Ours: read the document (text layer or OCR, pages in parallel) and write the invisible layer
//! (`operators::searchable`). OCRmyPDF: `ocrmypdf -l fra --skip-text --rotate-pages --deskew
//! --output-type pdf -O 0 --jobs N`, N = the cores we use too. Both sides run with
//! `OMP_THREAD_LIMIT=1` so that tesseract's own threads do not oversubscribe the cores.
//!
//! Run: `cargo bench -p ap-benches --bench searchable` (needs Debian's `ocrmypdf`, installed by
//! `make setup`). CER compares words in a canonical order (poppler and our reader cut lines
//! differently), over the scanned pages only.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ap_benches::{cer, sample};
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::searchable::{PageLayer, add_text_layers};

fn pdftotext(pdf: &Path, page: u64) -> String {
    let p = page.to_string();
    let out = Command::new("pdftotext").args(["-f", &p, "-l", &p]).arg(pdf).arg("-").output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn canonical(text: &str) -> String {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

#[derive(Default)]
struct Side {
    time: Duration,
    pages: usize,
    cer_sum: f64,
}

fn main() {
    if std::env::var_os("OMP_THREAD_LIMIT").is_none() {
        let status = Command::new(std::env::current_exe().unwrap())
            .args(std::env::args().skip(1))
            .env("OMP_THREAD_LIMIT", "1")
            .status()
            .expect("re-run the bench with OMP_THREAD_LIMIT=1");
        std::process::exit(status.code().unwrap_or(1));
    }
    if Command::new("ocrmypdf").arg("--version").output().is_err() {
        eprintln!("ocrmypdf is missing: run `make setup`");
        std::process::exit(1);
    }
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pdfium = NativeLibs::default().pdfium().expect("pdfium");
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let out_dir = tempfile::tempdir().unwrap();
    let (mut ours, mut theirs) = (Side::default(), Side::default());

    for (dir, gold) in sample() {
        for doc in gold["documents"].as_array().unwrap() {
            let scanned: Vec<&serde_json::Value> = doc["pages"].as_array().unwrap().iter().filter(|p| p["mode"] == "scanned").collect();
            if scanned.is_empty() {
                continue;
            }
            let file = dir.join(doc["file"].as_str().unwrap());
            let bytes = std::fs::read(&file).unwrap();
            let name = format!("{}-{}", dir.file_name().unwrap().to_string_lossy(), doc["file"].as_str().unwrap());

            let start = Instant::now();
            let read = ingestor.ingest_file("doc", &name, &bytes).expect("read");
            let layers: Vec<PageLayer> = read.pages.iter().filter_map(PageLayer::of_page).collect();
            let written = add_text_layers(pdfium, &bytes, &name, &layers).expect("layer");
            ours.time += start.elapsed();
            let our_pdf = out_dir.path().join(format!("ours-{name}"));
            std::fs::write(&our_pdf, written).unwrap();

            let their_pdf = out_dir.path().join(format!("ocrmypdf-{name}"));
            let start = Instant::now();
            let status = Command::new("ocrmypdf")
                .args(["-l", "fra", "--skip-text", "--rotate-pages", "--deskew", "--output-type", "pdf", "-O", "0", "-q", "--jobs"])
                .arg(jobs.to_string())
                .arg(&file)
                .arg(&their_pdf)
                .status()
                .expect("ocrmypdf");
            theirs.time += start.elapsed();
            assert!(status.success(), "ocrmypdf failed on {name}");

            for page in scanned {
                let n = page["number"].as_u64().unwrap();
                let reference = canonical(page["text"].as_str().unwrap());
                for (side, pdf) in [(&mut ours, &our_pdf), (&mut theirs, &their_pdf)] {
                    side.pages += 1;
                    side.cer_sum += cer(&reference, &canonical(&pdftotext(pdf, n)));
                }
            }
            eprintln!("{name}: {} scanned page(s)", doc["pages"].as_array().unwrap().iter().filter(|p| p["mode"] == "scanned").count());
        }
    }
    // Pages/s: scanned pages over the time spent on their documents (the native pages of mixed
    // files included, on both sides alike).
    let rate = |s: &Side| s.pages as f64 / s.time.as_secs_f64();
    println!("searchable PDF, {} scanned pages, {jobs} core(s)", ours.pages);
    println!("  ours      {:6.2} pages/s   CER {:5.2} %   ({:.1} s)", rate(&ours), 100.0 * ours.cer_sum / ours.pages as f64, ours.time.as_secs_f64());
    println!("  ocrmypdf  {:6.2} pages/s   CER {:5.2} %   ({:.1} s)", rate(&theirs), 100.0 * theirs.cer_sum / theirs.pages as f64, theirs.time.as_secs_f64());
    println!("  speed ratio (ours / ocrmypdf): {:.2}×", rate(&ours) / rate(&theirs));
}
