//! The synthetic corpus, end to end: the real binary generates dossiers, and the PDFs are read
//! back with pdfium, independently of the generator, to check the gold files against them —
//! every quote verbatim on its page and inside its box, scanned pages without a text layer,
//! the same seed giving the same bytes, and the committed sample being what the generator
//! writes today.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ap_tests::{binary, project_root, run_with_timeout};
use pdfium_render::prelude::*;
use serde_json::Value;


fn pdfium() -> &'static Pdfium {
    ap_operators::native::NativeLibs::default().pdfium().expect("pdfium (make setup)")
}

/// The real characters of a page's text layer, with their boxes (top-left origin).
fn chars(page: &PdfPage<'_>) -> Vec<(char, [f32; 4])> {
    let h = page.height().value;
    let text = page.text().unwrap();
    let mut out = Vec::new();
    for c in text.chars().iter() {
        if c.is_generated().unwrap() {
            continue;
        }
        if let Some(u) = c.unicode_char() {
            let r = c.loose_bounds().unwrap();
            out.push((u, [r.left().value, h - r.top().value, r.right().value, h - r.bottom().value]));
        }
    }
    out
}

fn evidence_of(q: &Value) -> Vec<&Value> {
    let mut v: Vec<&Value> = q["evidence"].as_array().unwrap().iter().collect();
    if let Some(versions) = q.get("versions").and_then(Value::as_array) {
        for version in versions {
            v.extend(version["evidence"].as_array().unwrap());
        }
    }
    v
}

/// Check one dossier folder against its gold file; returns (quotes checked on native pages,
/// scanned pages seen).
fn check_dossier(dir: &Path) -> (usize, usize) {
    let gold: Value = serde_json::from_slice(&std::fs::read(dir.join("gold.json")).unwrap()).unwrap();
    assert_eq!(gold["schema_version"], 1);
    let mut quotes = 0;
    let mut scanned = 0;
    for doc in gold["documents"].as_array().unwrap() {
        let file = dir.join(doc["file"].as_str().unwrap());
        let pdf = pdfium().load_pdf_from_file(&file, None).unwrap();
        let pages = doc["pages"].as_array().unwrap();
        assert_eq!(pdf.pages().len() as u64, doc["page_count"].as_u64().unwrap(), "{}", file.display());
        assert_eq!(pages.len() as u64, doc["page_count"].as_u64().unwrap());
        for (i, p) in pages.iter().enumerate() {
            let page = pdf.pages().get(i as i32).unwrap();
            assert_eq!(p["number"].as_u64(), Some(i as u64 + 1));
            assert!((page.width().value - p["width"].as_f64().unwrap() as f32).abs() < 0.05, "{} p{}", file.display(), i + 1);
            assert!((page.height().value - p["height"].as_f64().unwrap() as f32).abs() < 0.05);
            let layer = chars(&page);
            match p["mode"].as_str().unwrap() {
                "scanned" => {
                    scanned += 1;
                    assert!(layer.is_empty(), "scanned page {} of {} has a text layer", i + 1, file.display());
                    let images = page.objects().iter().filter(|o| o.as_image_object().is_some()).count();
                    assert_eq!(images, 1, "scanned page {} of {} has {images} images", i + 1, file.display());
                    assert!(!p["scan"].is_null());
                }
                "native" => {
                    assert!(p["scan"].is_null());
                    // The text layer holds exactly the characters of the gold text (reading
                    // order may differ where pdfium sorts objects sharing a baseline).
                    let mut got: Vec<char> = layer.iter().map(|c| c.0).filter(|c| !c.is_whitespace()).collect();
                    let mut want: Vec<char> = p["text"].as_str().unwrap().chars().filter(|c| !c.is_whitespace()).collect();
                    got.sort_unstable();
                    want.sort_unstable();
                    assert!(got == want, "text layer of {} p{} differs from the gold text", file.display(), i + 1);
                    assert!(!want.is_empty());
                }
                other => panic!("unknown mode {other}"),
            }
        }
        // Evidence on this document.
        for q in gold["questions"].as_array().unwrap() {
            for e in evidence_of(q).into_iter().filter(|e| e["document"] == doc["id"]) {
                let n = e["page"].as_u64().unwrap() as usize;
                let p = &pages[n - 1];
                let bx: Vec<f32> = e["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
                let quote = e["quote"].as_str().unwrap();
                assert!(bx[0] < bx[2] && bx[1] < bx[3], "degenerate box {bx:?} for « {quote} »");
                assert!(bx[0] >= -1.0 && bx[1] >= -1.0, "{bx:?}");
                assert!(bx[2] <= p["width"].as_f64().unwrap() as f32 + 1.0 && bx[3] <= p["height"].as_f64().unwrap() as f32 + 1.0, "{bx:?}");
                assert!(p["text"].as_str().unwrap().contains(quote), "« {quote} » not in the gold text of its page");
                if p["mode"] != "native" {
                    continue;
                }
                let page = pdf.pages().get(n as i32 - 1).unwrap();
                let layer = chars(&page);
                let want: Vec<char> = quote.chars().collect();
                let inside = |b: &[f32; 4]| {
                    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
                    cx >= bx[0] - 0.5 && cx <= bx[2] + 0.5 && cy >= bx[1] - 0.5 && cy <= bx[3] + 0.5
                };
                let hit = (0..layer.len().saturating_sub(want.len() - 1)).any(|s| {
                    layer[s..s + want.len()].iter().zip(&want).all(|(c, w)| c.0 == *w)
                        && layer[s..s + want.len()].iter().all(|c| c.0 == ' ' || inside(&c.1))
                });
                assert!(hit, "« {quote} » not found inside {bx:?} on page {n} of {}", file.display());
                quotes += 1;
            }
        }
    }
    (quotes, scanned)
}

#[test]
fn gold_quotes_are_verbatim_on_their_page_and_inside_their_box() {
    let out = tempfile::tempdir().unwrap();
    ap_tests::corpus_generate(out.path(), &["--count", "6", "--seed", "11", "--pages", "3..14", "--scanned", "0.3"]);
    let ds = ap_tests::dossier_dirs(out.path());
    assert_eq!(ds.len(), 6);
    let (mut quotes, mut scanned) = (0, 0);
    for d in &ds {
        let (q, s) = check_dossier(d);
        quotes += q;
        scanned += s;
    }
    assert!(quotes >= 50, "only {quotes} quotes checked on native pages");
    assert!(scanned >= 1, "no scanned page at --scanned 0.3");
}

#[test]
fn the_same_seed_gives_byte_identical_files() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["--count", "3", "--seed", "5", "--pages", "3..8", "--scanned", "0.3"];
    ap_tests::corpus_generate(a.path(), &args);
    ap_tests::corpus_generate(b.path(), &args);
    ap_tests::corpus_generate(c.path(), &["--count", "3", "--seed", "6", "--pages", "3..8", "--scanned", "0.3"]);
    let mut files = 0;
    for d in ap_tests::dossier_dirs(a.path()) {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(a.path()).unwrap();
            let other = std::fs::read(b.path().join(rel)).unwrap_or_else(|_| panic!("{} missing in the second run", rel.display()));
            assert!(std::fs::read(&path).unwrap() == other, "{} differs between two runs", rel.display());
            files += 1;
        }
    }
    assert!(files >= 6);
    let first = |dir: &Path| std::fs::read(ap_tests::dossier_dirs(dir)[0].join("gold.json")).unwrap();
    assert!(first(a.path()) != first(c.path()), "another seed gives the same dossier");
}

#[test]
fn the_committed_sample_is_what_the_generator_writes() {
    let sample = project_root().join("datasets/sample");
    let out = tempfile::tempdir().unwrap();
    let (status, _, stderr) =
        run_with_timeout(Command::new(binary()).args(["corpus", "sample", "--out"]).arg(out.path()), Duration::from_secs(300))
            .unwrap();
    assert!(status.success(), "{stderr}");
    let committed = ap_tests::dossier_dirs(&sample);
    assert_eq!(committed.len(), ap_tests::dossier_dirs(out.path()).len());
    let mut modes = std::collections::BTreeSet::new();
    let mut rotations = std::collections::BTreeSet::new();
    for d in &committed {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            let fresh = out.path().join(path.strip_prefix(&sample).unwrap());
            assert!(
                std::fs::read(&path).unwrap() == std::fs::read(&fresh).unwrap(),
                "{} is stale: regenerate with `assistant-parquet corpus sample --out datasets/sample`",
                path.display()
            );
        }
        check_dossier(d);
        let gold: Value = serde_json::from_slice(&std::fs::read(d.join("gold.json")).unwrap()).unwrap();
        for p in gold["documents"].as_array().unwrap().iter().flat_map(|doc| doc["pages"].as_array().unwrap()) {
            modes.insert(p["mode"].as_str().unwrap().to_string());
            if !p["scan"].is_null() {
                rotations.insert(p["scan"]["rotation"].as_u64().unwrap());
            }
        }
    }
    assert!(modes.contains("native") && modes.contains("scanned"));
    assert!(rotations.contains(&90) && rotations.contains(&180), "{rotations:?}");
}

#[test]
fn bad_parameters_are_refused_in_french() {
    let out = tempfile::tempdir().unwrap();
    for args in [["--pages", "9..3"], ["--scanned", "1.5"], ["--pages", "deux"]] {
        let (status, _, stderr) = run_with_timeout(
            Command::new(binary()).args(["corpus", "generate", "--count", "1", "--out"]).arg(out.path()).args(args),
            Duration::from_secs(60),
        )
        .unwrap();
        assert!(!status.success(), "{args:?} accepted");
        assert!(stderr.contains("attendu"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
