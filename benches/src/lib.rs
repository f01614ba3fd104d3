//! Criterion benches and side-by-side comparisons against the anchor tools (`pdftotext`,
//! the `tesseract` CLI, OCRmyPDF, the Node y-websocket server…). Benches live in
//! `benches/benches/`, one file per area; the fixtures they share are here.

use std::path::{Path, PathBuf};

use ap_operators::normalize::normalize_str;

/// Root of the source tree.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("benches/ has a parent").to_path_buf()
}

/// (dossier dir, gold) of every dossier of the committed sample (`datasets/sample`).
pub fn sample() -> Vec<(PathBuf, serde_json::Value)> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("datasets/sample"))
        .expect("datasets/sample")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    for dir in dirs {
        if let Ok(bytes) = std::fs::read(dir.join("gold.json")) {
            out.push((dir, serde_json::from_slice(&bytes).expect("gold.json")));
        }
    }
    out
}

/// Character error rate of `hypothesis` against `reference`, both normalised first.
pub fn cer(reference: &str, hypothesis: &str) -> f64 {
    let r: Vec<char> = normalize_str(reference).chars().collect();
    let h: Vec<char> = normalize_str(hypothesis).chars().collect();
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut cur = vec![i; h.len() + 1];
        for j in 1..=h.len() {
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + usize::from(r[i - 1] != h[j - 1]));
        }
        prev = cur;
    }
    prev[h.len()] as f64 / r.len().max(1) as f64
}
