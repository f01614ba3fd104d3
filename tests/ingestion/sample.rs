//! The issue's "done when" checks on the committed corpus sample (`datasets/sample/*/`): gold
//! quotes and boxes on native pages, OCR error rates on scanned pages, orientation, piece
//! boundaries. Gold files follow the corpus contract (schema 1); they are read with serde_json.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ap_operators::document::{BBox, Document, ExtractionMethod};
use ap_operators::input::{IngestOptions, Ingestor};
use ap_operators::native::NativeLibs;
use ap_operators::normalize::normalize_str;
use ap_operators::piece::pieces;
use ap_tests::project_root;
use serde_json::Value;

use super::cer;

/// A dossier of the sample: its gold file and the documents read from its PDFs.
struct Read {
    name: String,
    gold: Value,
    documents: HashMap<String, Document>,
}

fn sample_dirs() -> Vec<PathBuf> {
    let root = project_root().join("datasets/sample");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("gold.json").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no dossier with gold.json under {}", root.display());
    dirs
}

fn read_dossier(dir: &Path) -> Read {
    let gold: Value = serde_json::from_slice(&std::fs::read(dir.join("gold.json")).unwrap()).unwrap();
    assert_eq!(gold["schema_version"], 1);
    let pdfium = NativeLibs::default().pdfium().unwrap();
    let ingestor = Ingestor::new(pdfium, IngestOptions::default());
    let mut documents = HashMap::new();
    for doc in gold["documents"].as_array().unwrap() {
        let id = doc["id"].as_str().unwrap();
        let file = doc["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let read = ingestor.ingest_file(id, file, &bytes).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(read.issues.is_empty(), "{}: {:?}", dir.display(), read.issues);
        assert_eq!(read.pages.len() as u64, doc["page_count"].as_u64().unwrap());
        documents.insert(id.to_string(), read);
    }
    Read { name: dir.file_name().unwrap().to_string_lossy().into(), gold, documents }
}

/// Every dossier of the sample, read once for all the tests of this module.
fn sample() -> &'static [Read] {
    static READ: OnceLock<Vec<Read>> = OnceLock::new();
    READ.get_or_init(|| sample_dirs().iter().map(|d| read_dossier(d)).collect())
}

fn gold_page<'a>(read: &'a Read, doc: &str, page: u64) -> &'a Value {
    let d = read.gold["documents"].as_array().unwrap().iter().find(|d| d["id"] == doc).unwrap();
    d["pages"].as_array().unwrap().iter().find(|p| p["number"] == page).unwrap()
}

/// All evidence entries of the gold questions (including each version of conflicting ones).
fn evidence(gold: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for q in gold["questions"].as_array().unwrap() {
        out.extend(q["evidence"].as_array().into_iter().flatten());
        for v in q["versions"].as_array().into_iter().flatten() {
            out.extend(v["evidence"].as_array().into_iter().flatten());
        }
    }
    out
}

fn gold_box(v: &Value) -> BBox {
    let a: Vec<f32> = v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
    BBox::new(a[0], a[1], a[2], a[3])
}

#[test]
fn native_pages_give_back_every_gold_quote_with_its_box() {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut ious = Vec::new();
    for read in sample() {
        for ev in evidence(&read.gold) {
            let (doc, page_no) = (ev["document"].as_str().unwrap(), ev["page"].as_u64().unwrap());
            if gold_page(read, doc, page_no)["mode"] != "native" {
                continue;
            }
            let page = read.documents[doc].pages.iter().find(|p| p.number as u64 == page_no).unwrap();
            assert_eq!(page.method, ExtractionMethod::Native);
            let quote = ev["quote"].as_str().unwrap();
            let want = gold_box(&ev["box"]);
            checked += 1;
            let hits = page.find(quote);
            // The quote may occur several times on the page: the occurrence the gold means is
            // the one at its box.
            let best = hits
                .iter()
                .filter_map(|r| BBox::union_all(&page.boxes_for(r.clone())))
                .map(|b| (b.iou(&want), b))
                .fold(None, |acc: Option<(f32, BBox)>, x| Some(acc.map_or(x, |a| if x.0 > a.0 { x } else { a })));
            match best {
                Some((iou, _)) if iou >= 0.9 => ious.push(iou),
                Some((iou, got)) => failures.push(format!(
                    "{} {doc} p{page_no} {quote:?}: IoU {iou:.3}, read {:?}, gold {:?}",
                    read.name,
                    got.to_array(),
                    want.to_array()
                )),
                None => failures.push(format!("{} {doc} p{page_no} {quote:?}: not found", read.name)),
            }
        }
    }
    let mean = ious.iter().sum::<f32>() / ious.len().max(1) as f32;
    println!("native quotes: {checked} checked, mean IoU {mean:.3}, {} failures", failures.len());
    assert!(checked >= 50, "only {checked} native evidence quotes in the sample");
    assert!(failures.is_empty(), "{} of {checked} quotes failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn scanned_pages_reach_the_error_rates_and_are_read_right_side_up() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for read in sample() {
        for gdoc in read.gold["documents"].as_array().unwrap() {
            let id = gdoc["id"].as_str().unwrap();
            for gpage in gdoc["pages"].as_array().unwrap().iter().filter(|p| p["mode"] == "scanned") {
                let number = gpage["number"].as_u64().unwrap();
                let page = read.documents[id].pages.iter().find(|p| p.number as u64 == number).unwrap();
                let scan = &gpage["scan"];
                let dpi = scan["dpi"].as_u64().unwrap();
                let rotation = scan["rotation"].as_u64().unwrap() as u16;
                let error = cer(&normalize_str(gpage["text"].as_str().unwrap()), &normalize_str(&page.text));
                let budget = if dpi >= 300 { 0.02 } else { 0.05 };
                println!(
                    "{} {id} p{number}: {dpi} dpi, rotation {rotation}, skew {}, noise {}, CER {:.2} % (budget {:.0} %)",
                    read.name,
                    scan["skew_deg"],
                    scan["noise"],
                    error * 100.0,
                    budget * 100.0
                );
                checked += 1;
                assert_eq!(page.method, ExtractionMethod::Ocr);
                if error > budget {
                    failures.push(format!("{} {id} p{number} ({dpi} dpi): CER {:.2} %", read.name, error * 100.0));
                }
                // Read right side up: the turn applied undoes the scan's (clockwise or not,
                // a quarter turn is undone by a quarter turn the other way).
                let undone = (page.rotation + rotation).is_multiple_of(360) || (rotation % 180 == 90 && page.rotation % 180 == 90);
                if !undone {
                    failures.push(format!("{} {id} p{number}: scan rotation {rotation}, read with rotation {}", read.name, page.rotation));
                }
            }
        }
    }
    assert!(checked >= 5, "only {checked} scanned pages in the sample");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn piece_boundaries_match_the_gold() {
    let mut total = 0;
    let mut bounds_ok = 0;
    let mut kinds_ok = 0;
    let mut persons_ok = 0;
    let mut auditions = 0;
    let mut misses = Vec::new();
    for read in sample() {
        let persons: HashMap<&str, &str> = read.gold["persons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_str().unwrap(), p["nom"].as_str().unwrap()))
            .collect();
        let found: Vec<_> = read.documents.values().flat_map(pieces).collect();
        for gp in read.gold["pieces"].as_array().unwrap() {
            total += 1;
            let (doc, first, last) =
                (gp["document"].as_str().unwrap(), gp["first_page"].as_u64().unwrap(), gp["last_page"].as_u64().unwrap());
            let kind = gp["kind"].as_str().unwrap();
            let Some(p) = found.iter().find(|p| p.document == doc && p.first_page as u64 == first) else {
                misses.push(format!("{} {doc} p{first}-{last} {kind}: no piece starts there", read.name));
                continue;
            };
            if p.last_page as u64 == last {
                bounds_ok += 1;
            } else {
                misses.push(format!("{} {doc} p{first}-{last} {kind}: ends at {}", read.name, p.last_page));
            }
            if p.kind.id() == kind {
                kinds_ok += 1;
            } else {
                misses.push(format!("{} {doc} p{first} {kind}: read as {} ({:?})", read.name, p.kind.id(), p.title));
            }
            if kind.starts_with("audition_") {
                auditions += 1;
                let want: Vec<&str> = gp["persons"].as_array().unwrap().iter().map(|id| persons[id.as_str().unwrap()]).collect();
                if p.persons.first().is_some_and(|n| want.contains(&n.nom.as_str())) {
                    persons_ok += 1;
                } else {
                    misses.push(format!("{} {doc} p{first} {kind}: persons {:?}, gold {want:?}", read.name, p.persons));
                }
            }
        }
        let extra = found.len() as i64 - read.gold["pieces"].as_array().unwrap().len() as i64;
        if extra > 0 {
            misses.push(format!("{}: {extra} piece(s) more than the gold", read.name));
        }
    }
    println!("pieces: {bounds_ok}/{total} boundaries, {kinds_ok}/{total} kinds, {persons_ok}/{auditions} persons heard");
    for m in &misses {
        println!("  {m}");
    }
    assert!(bounds_ok as f32 >= 0.95 * total as f32, "{bounds_ok}/{total} boundaries\n{}", misses.join("\n"));
    assert!(kinds_ok as f32 >= 0.95 * total as f32, "{kinds_ok}/{total} kinds\n{}", misses.join("\n"));
    assert!(persons_ok as f32 >= 0.95 * auditions as f32, "{persons_ok}/{auditions} persons\n{}", misses.join("\n"));
}
