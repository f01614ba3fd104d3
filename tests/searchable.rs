//! Searchable PDFs and text access: what the project's OCR read goes back into the PDF as an
//! invisible layer that poppler's `pdftotext` (not our code) reads back without loss, at the
//! right place; page images and native pages are untouched; users' OCR fixes flow through.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ap_engine::{Change, Correction, Engine, EngineOptions};
use ap_operators::document::{BBox, ExtractionMethod};
use ap_operators::native::NativeLibs;
use ap_operators::searchable;
use ap_tests::{binary, cer, project_root, run_with_timeout};
use pdfium_render::prelude::*;

fn sample(dossier: &str) -> (PathBuf, serde_json::Value) {
    let dir = project_root().join("datasets/sample").join(dossier);
    let gold = serde_json::from_str(&std::fs::read_to_string(dir.join("gold.json")).unwrap()).unwrap();
    (dir, gold)
}

fn cli(args: &[&str], data: &Path) -> String {
    let mut cmd = Command::new(binary());
    cmd.args(args).arg("--data-dir").arg(data);
    let (status, stdout, stderr) = run_with_timeout(&mut cmd, Duration::from_secs(600)).unwrap();
    assert!(status.success(), "{args:?}: {stderr}");
    stdout
}

/// `pdftotext` of one page (poppler).
fn pdftotext(pdf: &Path, page: u64, bbox: bool) -> String {
    let p = page.to_string();
    let mut cmd = Command::new("pdftotext");
    cmd.args(["-f", &p, "-l", &p]);
    if bbox {
        cmd.arg("-bbox");
    }
    let out = cmd.arg(pdf).arg("-").output().expect("pdftotext (poppler-utils) is installed by make setup");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Words in a canonical order: CER then measures the characters read, not how two tools cut
/// and order lines (pdftotext splits a header set in two columns into two lines, say).
fn canonical(text: &str) -> String {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

/// (word, box) from `pdftotext -bbox` output (top-left origin, like the gold files).
fn bbox_words(xml: &str) -> Vec<(String, BBox)> {
    let attr = |line: &str, name: &str| -> f32 {
        let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    xml.lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .map(|l| {
            let text = l.split('>').nth(1).unwrap().split('<').next().unwrap();
            let text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'");
            (text, BBox::new(attr(l, "xMin"), attr(l, "yMin"), attr(l, "xMax"), attr(l, "yMax")))
        })
        .collect()
}

/// A printed word stands for a quoted one when equal, or when it only adds punctuation the
/// quote stops before ("Champigny-sur-Marne," for "Champigny-sur-Marne").
fn same_word(printed: &str, quoted: &str) -> bool {
    printed == quoted || printed.strip_prefix(quoted).is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_punctuation()))
}

fn render(pdfium: &Pdfium, bytes: &[u8], index: i32) -> Vec<u8> {
    let doc = pdfium.load_pdf_from_byte_slice(bytes, None).unwrap();
    let page = doc.pages().get(index).unwrap();
    page.render_with_config(&PdfRenderConfig::new().scale_page_by_factor(1.0)).unwrap().as_image().unwrap().into_bytes()
}

#[test]
fn searchable_pdf_reads_back_without_loss_at_the_right_place() {
    let data = tempfile::tempdir().unwrap();
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let mut compared_pages = 0;
    let (mut quotes_checked, mut quotes_overlapping) = (0, 0);
    let mut native_pages_checked = 0;
    for dossier in ["D000003", "D000004", "D000005"] {
        let (dir, gold) = sample(dossier);
        let files: Vec<PathBuf> =
            gold["documents"].as_array().unwrap().iter().map(|d| dir.join(d["file"].as_str().unwrap())).collect();
        let mut args = vec!["ingest".to_string(), "--dossier".into(), dossier.to_lowercase()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        cli(&args.iter().map(String::as_str).collect::<Vec<_>>(), data.path());

        for (doc, file) in gold["documents"].as_array().unwrap().iter().zip(&files) {
            let id = file.file_stem().unwrap().to_str().unwrap();
            let out = data.path().join(format!("{dossier}-{id}.pdf"));
            cli(&["pdf", "--dossier", &dossier.to_lowercase(), "--document", id, "--out", out.to_str().unwrap()], data.path());
            let ours: serde_json::Value =
                serde_json::from_str(&cli(&["text", "--dossier", &dossier.to_lowercase(), "--document", id, "--json"], data.path())).unwrap();
            let ours: BTreeMap<u64, &serde_json::Value> =
                ours.as_array().unwrap().iter().map(|p| (p["page"].as_u64().unwrap(), p)).collect();
            let original = std::fs::read(file).unwrap();
            let written = std::fs::read(&out).unwrap();

            for page in doc["pages"].as_array().unwrap() {
                let n = page["number"].as_u64().unwrap();
                // Page images and native pages: drawn exactly as before.
                assert_eq!(render(pdfium, &original, n as i32 - 1), render(pdfium, &written, n as i32 - 1), "{dossier} {id} p.{n} drawn differently");
                if page["mode"] == "native" {
                    assert_eq!(pdftotext(file, n, false), pdftotext(&out, n, false), "{dossier} {id} p.{n}: native text changed");
                    native_pages_checked += 1;
                    continue;
                }
                assert_eq!(ours[&n]["method"], "ocr");
                // The layer adds no loss: poppler reads what our OCR read.
                let gold_text = canonical(page["text"].as_str().unwrap());
                let ocr_cer = cer(&gold_text, &canonical(ours[&n]["text"].as_str().unwrap()));
                let layer_cer = cer(&gold_text, &canonical(&pdftotext(&out, n, false)));
                assert!(layer_cer <= ocr_cer + 0.01, "{dossier} {id} p.{n}: layer CER {layer_cer:.4} vs OCR {ocr_cer:.4}");
                compared_pages += 1;

                // Known gold words: poppler's boxes overlap the gold boxes.
                let words = bbox_words(&pdftotext(&out, n, true));
                for question in gold["questions"].as_array().unwrap() {
                    for evidence in question["evidence"].as_array().into_iter().flatten() {
                        if evidence["document"] != doc["id"] || evidence["page"] != n {
                            continue;
                        }
                        let tokens: Vec<&str> = evidence["quote"].as_str().unwrap().split_whitespace().collect();
                        let b = evidence["box"].as_array().unwrap();
                        let gold_box = BBox::new(b[0].as_f64().unwrap() as f32, b[1].as_f64().unwrap() as f32, b[2].as_f64().unwrap() as f32, b[3].as_f64().unwrap() as f32);
                        // The quote may occur more than once on the page: take the occurrence
                        // the gold box designates (the best overlap).
                        let Some(found) = (0..words.len().saturating_sub(tokens.len() - 1))
                            .filter(|&i| tokens.iter().enumerate().all(|(k, t)| same_word(&words[i + k].0, t)))
                            .map(|i| BBox::union_all(words[i..i + tokens.len()].iter().map(|(_, b)| b)).unwrap())
                            .max_by(|a, b| a.iou(&gold_box).total_cmp(&b.iou(&gold_box)))
                        else {
                            continue; // an OCR error inside the quote: nothing to locate
                        };
                        quotes_checked += 1;
                        if found.iou(&gold_box) >= 0.5 {
                            quotes_overlapping += 1;
                        } else {
                            eprintln!("{dossier} p.{n} {:?}: found {found:?}, gold {gold_box:?}", evidence["quote"]);
                        }
                    }
                }
            }
        }
    }
    assert!(compared_pages >= 6, "{compared_pages} scanned pages compared");
    assert!(native_pages_checked >= 6, "{native_pages_checked} native pages compared");
    assert!(quotes_checked >= 5, "only {quotes_checked} gold quotes located on scanned pages");
    assert!(quotes_overlapping * 100 >= quotes_checked * 95, "{quotes_overlapping}/{quotes_checked} gold boxes overlapped (IoU ≥ 0.5)");
}

#[test]
fn a_corrected_passage_appears_corrected_in_the_text_and_the_searchable_pdf() {
    let (dir, _) = sample("D000003");
    let bytes = std::fs::read(dir.join("procedure.pdf")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let engine = Engine::open(data.path(), EngineOptions { extraction_threads: 2, ..EngineOptions::default() }).unwrap();
    engine.add_document("s", "procedure", "procedure.pdf", &bytes).unwrap();
    engine.sync().unwrap();
    let state = engine.dossier("s");
    assert!(state.pages.values().all(|p| p.method == ExtractionMethod::Ocr));
    // A sentence of page 2, printed on one page.
    let target = state
        .passages
        .values()
        .find(|p| p.kind == ap_operators::passage::PassageKind::Sentence && p.spans.len() == 1 && p.spans[0].page == 2 && p.text.split_whitespace().count() >= 6)
        .expect("a sentence on page 2")
        .clone();
    let fixed = "Texte corrigé par le magistrat : Mme DUBOIS était présente à l'audience";
    engine
        .correct(
            "s",
            Correction {
                id: "fix-1".into(),
                author: "substitut.b".into(),
                time: "2026-11-30T11:00:00Z".into(),
                change: Change::OcrFix { passage: target.id.clone(), text: fixed.into() },
            },
        )
        .unwrap();
    engine.sync().unwrap();

    let text = engine.document_text("s", "procedure").unwrap();
    assert_eq!(text.fixes.len(), 1, "{:?}", text.fixes);
    let page2 = text.pages.iter().find(|p| p.number == 2).unwrap();
    let corrected = searchable::fixed_text(page2, &text.fixes);
    assert!(corrected.contains(fixed), "{corrected}");
    assert!(!corrected.contains(&target.text), "the OCR reading is replaced");

    let layers: Vec<_> = text.pages.iter().filter_map(|p| searchable::fixed_layer(p, &text.fixes)).collect();
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let out = data.path().join("consultable.pdf");
    std::fs::write(&out, searchable::add_text_layers(pdfium, &bytes, "procedure.pdf", &layers).unwrap()).unwrap();
    let read_back = pdftotext(&out, 2, false).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(read_back.contains(fixed), "{read_back}");
    // The other pages keep their OCR text.
    let page1 = text.pages.iter().find(|p| p.number == 1).unwrap();
    let first_line = page1.text.lines().max_by_key(|l| l.chars().count()).unwrap();
    let p1 = pdftotext(&out, 1, false).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(p1.contains(&first_line.split_whitespace().collect::<Vec<_>>().join(" ")), "{p1}");
}
