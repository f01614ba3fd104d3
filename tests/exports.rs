//! Parquet exports read back by the real clients analysts use: pyarrow and DuckDB (from PyPI,
//! unpacked into `.deps/python` by `make setup`), through `tests/py/check_exports.py`. Row
//! counts are compared with what the engine holds, types and schema versions with the documented
//! schemas, joins are run in DuckDB, accented text is compared byte for byte.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ap_engine::{Change, Correction, Engine, EngineOptions};
use ap_operators::document::ExtractionMethod;
use ap_tests::{binary, project_root, run_with_timeout};
use serde_json::Value;
use yrs::{Map, Transact};

/// Run the binary; returns (success, stdout, stderr).
fn cli(args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(binary());
    cmd.args(args);
    let (status, stdout, stderr) = run_with_timeout(&mut cmd, Duration::from_secs(600)).unwrap();
    (status.success(), stdout, stderr)
}

/// Run `tests/py/<script> args…` with pyarrow and DuckDB on the path; parse its JSON output.
pub fn python(script: &str, args: &[&Path]) -> Value {
    let root = project_root();
    let deps = root.join(".deps/python");
    assert!(deps.join("pyarrow").is_dir() && deps.join("duckdb").is_dir(), "pyarrow/duckdb missing: run `make setup`");
    let out = Command::new("python3")
        .arg(root.join("tests/py").join(script))
        .args(args)
        .env("PYTHONPATH", &deps)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

fn ingest(data: &Path, dossier: &str, sample: &str) {
    let dir = project_root().join("datasets/sample").join(sample);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    files.sort();
    let mut args = vec!["ingest".to_string(), "--data-dir".into(), data.display().to_string(), "--dossier".into(), dossier.into()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, _, stderr) = cli(&args);
    assert!(ok, "ingest {sample}: {stderr}");
}

/// Two annotations in the dossier's workspace document, written to its durable log the way the
/// server logs client updates.
fn annotate(data: &Path, dossier: &str, comments: &[(&str, &str)]) {
    let doc = yrs::Doc::new();
    let map = doc.get_or_insert_map("annotations");
    let update = {
        let mut txn = doc.transact_mut();
        for (i, (id, comment)) in comments.iter().enumerate() {
            let value = serde_json::json!({
                "document": "procedure_partie1", "page": 1, "boxes": [[59.0, 100.0 + i as f64, 300.0, 112.0]],
                "quote": "PROCÈS-VERBAL", "comment": comment, "author": "substitut.é",
                "time": "2024-03-12T14:30:00Z", "resolved": i == 1
            });
            map.insert(&mut txn, *id, serde_json::from_value::<yrs::Any>(value).unwrap());
        }
        txn.encode_update_v1()
    };
    let mut log = ap_workspace::UpdateLog::open(&data.join("workspace.sqlite3")).unwrap();
    log.append(dossier, &[update]).unwrap();
}

fn correction(id: &str, change: Change) -> Correction {
    Correction { id: id.into(), author: "substitut.b".into(), time: "2024-03-13T09:15:00+01:00".into(), change }
}

#[test]
fn exports_read_back_with_pyarrow_and_duckdb() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    ingest(&data, "native-1", "D000001");
    ingest(&data, "scanned-3", "D000003");

    // Corrections through the engine (the sink of the workspace and of the API).
    let fixed_text = "Procès-verbal corrigé : l'élève a reçu des coups à l'épaule, « œuvre » — 10 jours d'ITT.";
    let edited = "ITT de 10 jours, selon le médecin légiste (Dr Hélène CÔTÉ).";
    let machine;
    let (fixed_passage, original, state) = {
        let engine = Engine::open(&data.join("engine"), EngineOptions::default()).unwrap();
        engine.sync().unwrap();
        let state = engine.dossier("native-1");
        let passage = state.passages.values().find(|p| p.text.contains("PLAINTE")).map(|p| (**p).clone()).expect("a passage");
        engine.correct("native-1", correction("c1", Change::OcrFix { passage: passage.id.clone(), text: fixed_text.into() })).unwrap();
        let answer = state.answers.iter().find(|a| !a.answer.citations.is_empty()).expect("a cited answer").answer.clone();
        let offence = state.offences.first().expect("an offence detected").offence.category.clone();
        engine.correct("native-1", correction("c2", Change::AnswerEdited { answer: answer.question.clone(), text: edited.into() })).unwrap();
        engine
            .correct("native-1", correction("c3", Change::OffenceRejected { offence: offence.clone(), reason: Some("Pas de soustraction frauduleuse établie".into()) }))
            .unwrap();
        engine.sync().unwrap();
        machine = Some((answer, offence));
        drop(engine);
        // What the export will see: the engine as reopened on the data directory.
        let engine = Engine::open(&data.join("engine"), EngineOptions::default()).unwrap();
        engine.sync().unwrap();
        let mut states = vec![("native-1", engine.dossier("native-1")), ("scanned-3", engine.dossier("scanned-3"))];
        states.sort_by_key(|s| s.0);
        (passage.id.clone(), passage.text.clone(), states)
    };
    let comments = [("a1", "À vérifier : le cœur du témoignage, « ça » change tout"), ("a2", "Résolu — pièce n° 3")];
    annotate(&data, "native-1", &comments);

    let out = tmp.path().join("export");
    let (ok, stdout, stderr) = cli(&["export", "--data-dir", data.to_str().unwrap(), "--all", "--out", out.to_str().unwrap()]);
    assert!(ok, "export: {stderr}");
    assert!(stdout.contains("2 dossier(s)"), "{stdout}");

    let report = python("check_exports.py", &[&out]);
    let tables = &report["tables"];

    // Row counts: what the engine holds, seen identically by both clients.
    let count = |f: &dyn Fn(&ap_engine::DossierState) -> usize| state.iter().map(|(_, s)| f(s)).sum::<usize>() as u64;
    let expected = [
        ("documents", count(&|s| s.documents.len())),
        ("pages", count(&|s| s.pages.len())),
        ("passages", count(&|s| s.passages.len())),
        ("pieces", count(&|s| s.pieces.len())),
        ("offences", count(&|s| s.offences.len())),
        ("answers", count(&|s| s.answers.len())),
        ("citations", count(&|s| s.answers.iter().map(|a| a.answer.citations.len() + a.answer.versions.iter().map(|v| v.citations.len()).sum::<usize>()).sum())),
        ("corrections", 3),
        ("annotations", 2),
    ];
    for (table, rows) in expected {
        assert!(rows > 0, "{table}");
        assert_eq!(tables[table]["pyarrow_rows"], rows, "{table} (pyarrow)");
        assert_eq!(tables[table]["duckdb_rows"], rows, "{table} (duckdb)");
    }
    for (table, t) in tables.as_object().unwrap() {
        assert_eq!(t["schema_version"], "1", "{table}");
        assert_eq!(t["duckdb_schema_version"], "1", "{table}");
        if t["pyarrow_rows"] != 0 {
            assert_eq!(t["codecs"], serde_json::json!(["ZSTD"]), "{table}");
        }
        assert_eq!(t["pyarrow_rows"], t["duckdb_rows"], "{table}");
        assert_eq!(t["types"]["dossier"], "string", "{table}");
    }

    // Types: nested data as lists and structs, timestamps with their zone.
    let bbox = "struct<x0: float not null, y0: float not null, x1: float not null, y1: float not null>";
    assert_eq!(tables["citations"]["types"]["bbox"], bbox);
    assert_eq!(tables["citations"]["types"]["boxes"], format!("list<item: {bbox} not null>"));
    assert_eq!(tables["answers"]["types"]["exported_at"], "timestamp[us, tz=+00:00]");
    assert_eq!(tables["answers"]["types"]["versions"], "list<item: struct<value: string, text: string not null, citations: uint32 not null> not null>");
    assert!(tables["passages"]["types"]["spans"].as_str().unwrap().starts_with("list<item: struct<page: uint32 not null, start: uint32"));
    assert!(tables["offences"]["types"]["evidence"].as_str().unwrap().contains("quote: string not null"));
    assert_eq!(tables["pages"]["types"]["ocr_confidence"], "float");
    assert_eq!(tables["pages"]["duckdb_types"]["page"], "UINTEGER");
    assert_eq!(tables["pieces"]["duckdb_types"]["persons"], "STRUCT(nom VARCHAR, prenom VARCHAR)[]");

    // Joins: every citation joins an answer, a page and a passage; the rest holds together.
    let joins = &report["joins"];
    for key in [
        "citations_without_answer",
        "citations_without_page",
        "citations_without_passage",
        "answers_citation_count_mismatch",
        "pages_without_document",
        "document_page_count_mismatch",
        "passages_without_piece",
        "passage_spans_without_page",
        "offence_evidence_without_page",
    ] {
        assert_eq!(joins[key], 0, "{key}");
    }
    assert_eq!(joins["ocr_fixed_passages"], 1, "the OCR fix is marked on its passage");

    // Accented text intact, byte for byte, through both clients.
    let texts = &report["texts"];
    assert_eq!(texts["correction_new_values"], serde_json::json!([fixed_text, edited, "rejected"]));
    assert_eq!(texts["correction_old_values"][0], original.as_str(), "the text before the OCR fix of {fixed_passage}");
    let (answer, offence) = machine.unwrap();
    assert_eq!(texts["correction_old_values"][1], answer.text.as_str(), "the machine's sentence before the edit");
    assert_eq!(report["reviews"]["answer"], serde_json::json!([answer.question, "edited", "substitut.b", edited]));
    assert_eq!(report["reviews"]["offence"], serde_json::json!([offence, "rejected"]));
    assert!(joins["citations_joined"].as_u64().unwrap() > 0);
    let comments: Vec<&str> = comments.iter().map(|c| c.1).collect();
    assert_eq!(texts["annotation_comments_pyarrow"], serde_json::json!(comments));
    assert_eq!(texts["annotation_comments_duckdb"], serde_json::json!(comments));
    assert_eq!(texts["annotation_boxes"][1], serde_json::json!([[59.0, 101.0, 300.0, 112.0]]));
    let mut titles: Vec<String> = state.iter().flat_map(|(_, s)| s.pieces.values().map(|p| p.title.clone())).collect();
    titles.sort();
    assert_eq!(texts["piece_titles"], serde_json::json!(titles));
    let proces_verbal = count(&|s| s.pages.values().filter(|p| p.text.contains("PROCÈS-VERBAL")).count());
    assert!(proces_verbal > 0);
    assert_eq!(texts["pages_with_proces_verbal"], proces_verbal);

    // The scanned dossier's pages went through OCR and say so, with a confidence.
    let ocr_pages = count(&|s| s.pages.values().filter(|p| p.method == ExtractionMethod::Ocr && p.confidence.is_some()).count());
    assert_eq!(ocr_pages, 3);
    assert_eq!(report["ocr_pages_with_confidence"], ocr_pages);
}

#[test]
fn export_refuses_an_unknown_dossier_in_french() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = cli(&[
        "export",
        "--data-dir",
        tmp.path().to_str().unwrap(),
        "--dossier",
        "inexistant",
        "--out",
        tmp.path().join("out").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(stderr.contains("dossier inconnu ou vide : inexistant"), "{stderr}");
    assert!(!tmp.path().join("out").exists(), "nothing written for a refused export");
}

/// The committed corpus sample through `eval`: one row per gold question, and a summary whose
/// figures the test recomputes from those rows (DuckDB GROUP BY over items.parquet), not copies.
#[test]
fn eval_of_the_sample_matches_its_rows_and_compares_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    let sample = project_root().join("datasets/sample");
    let (ok, stdout, stderr) = cli(&["eval", "--corpus", sample.to_str().unwrap(), "--out", run.to_str().unwrap()]);
    assert!(ok, "eval: {stderr}");
    assert!(stdout.contains("par catégorie") && stdout.contains("natif / scanné"), "{stdout}");

    // Gold questions per dossier, from the gold files themselves.
    let mut gold_questions = serde_json::Map::new();
    for entry in std::fs::read_dir(&sample).unwrap() {
        let dir = entry.unwrap().path();
        if let Ok(bytes) = std::fs::read(dir.join("gold.json")) {
            let gold: Value = serde_json::from_slice(&bytes).unwrap();
            gold_questions.insert(gold["dossier"].as_str().unwrap().into(), gold["questions"].as_array().unwrap().len().into());
        }
    }
    let flipped = tmp.path().join("flipped");
    let rows = python("check_eval.py", &[&run, &flipped]);
    assert_eq!(rows["per_dossier"], Value::Object(gold_questions.clone()));
    assert_eq!(rows["dossiers"], gold_questions.len());
    assert_eq!(rows["types"]["correct"], "bool");
    assert_eq!(rows["types"]["latency_ms"], "double");

    let summary: Value = serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["dossiers"], gold_questions.len());
    let check = |name: &str, got: &Value, recomputed: &Value| {
        for key in ["items", "correct", "citations", "citations_overlapping"] {
            assert_eq!(got[key], recomputed[key], "{name} {key}");
        }
        let (items, correct) = (recomputed["items"].as_f64().unwrap(), recomputed["correct"].as_f64().unwrap());
        assert!((got["accuracy"].as_f64().unwrap() - correct / items).abs() < 1e-9, "{name} accuracy");
        let (c, o) = (recomputed["citations"].as_f64().unwrap(), recomputed["citations_overlapping"].as_f64().unwrap());
        if c > 0.0 {
            assert!((got["citation_overlap"].as_f64().unwrap() - o / c).abs() < 1e-9, "{name} overlap");
        } else {
            assert!(got["citation_overlap"].is_null(), "{name} overlap");
        }
    };
    check("overall", &summary["overall"], &rows["overall"]);
    for group in ["by_category", "by_question", "by_mode"] {
        let (got, recomputed) = (summary[group].as_object().unwrap(), rows[group].as_object().unwrap());
        assert_eq!(got.keys().collect::<Vec<_>>(), recomputed.keys().collect::<Vec<_>>(), "{group}");
        for (k, v) in recomputed {
            check(&format!("{group} {k}"), &got[k], v);
        }
    }
    // The sample has native and scanned dossiers: both modes are reported.
    assert!(summary["by_mode"]["native"]["items"].as_u64().unwrap() > 0);
    assert!(summary["by_mode"]["scanned"]["items"].as_u64().unwrap() > 0);

    // --compare: the same run with one item flipped shows exactly that item.
    let (ok, stdout, stderr) = cli(&["eval", "--out", run.to_str().unwrap(), "--compare", flipped.to_str().unwrap()]);
    assert!(ok, "compare: {stderr}");
    let first = &rows["first_item"];
    let (dossier, question, correct) = (first[0].as_str().unwrap(), first[1].as_str().unwrap(), first[2].as_bool().unwrap());
    let sign = if correct { "+" } else { "-" };
    assert!(stdout.contains(&format!("  {sign} {dossier} {question}\n")), "{stdout}");
    let counts = if correct { "devenus justes : 1, devenus faux : 0" } else { "devenus justes : 0, devenus faux : 1" };
    assert!(stdout.contains(counts), "{stdout}");
}

/// `GET /api/dossiers/{d}/export.zip`: members only; the archive holds the nine files of the
/// dossier, which pyarrow and DuckDB read like the command's output.
#[test]
fn export_zip_download_is_for_members_and_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    ingest(tmp.path(), "telechargement", "D000002");
    let server = ap_tests::Server::start_in(tmp, &[]).unwrap();
    let member = server.command(&["access", "grant", "--dossier", "telechargement", "--user", "alice", "--role", "lecteur"]).unwrap();
    let stranger = server.command(&["access", "grant", "--dossier", "autre", "--user", "eve", "--role", "redacteur"]).unwrap();
    let client = server.client();
    let url = format!("{}/api/dossiers/telechargement/export.zip", server.url);
    assert_eq!(client.get(&url).send().unwrap().status(), 401);
    let refused = client.get(&url).bearer_auth(stranger.trim()).send().unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().unwrap().contains("erreur"));

    let response = client.get(&url).bearer_auth(member.trim()).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let table = name.strip_prefix("telechargement/").expect("files under the dossier's folder").to_string();
        let mut target = std::fs::File::create(out.path().join(&table)).unwrap();
        std::io::copy(&mut file, &mut target).unwrap();
        names.push(table);
    }
    names.sort();
    let mut expected: Vec<String> = ap_export_tables().iter().map(|t| format!("{t}.parquet")).collect();
    expected.sort();
    assert_eq!(names, expected);

    let report = python("check_exports.py", &[out.path()]);
    let gold: Value = serde_json::from_slice(&std::fs::read(project_root().join("datasets/sample/D000002/gold.json")).unwrap()).unwrap();
    let pages: u64 = gold["documents"].as_array().unwrap().iter().map(|d| d["page_count"].as_u64().unwrap()).sum();
    assert_eq!(report["tables"]["pages"]["duckdb_rows"], pages);
    assert_eq!(report["tables"]["pages"]["pyarrow_rows"], pages);
    assert!(report["tables"]["answers"]["duckdb_rows"].as_u64().unwrap() > 0);
    assert_eq!(report["joins"]["citations_without_answer"], 0);
    assert_eq!(report["joins"]["citations_without_page"], 0);

    let unknown = client.get(format!("{}/api/dossiers/vide/export.zip", server.url)).bearer_auth(
        server.command(&["access", "grant", "--dossier", "vide", "--user", "alice", "--role", "lecteur"]).unwrap().trim(),
    );
    let unknown = unknown.send().unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().unwrap().contains("aucun document"));
}

/// The tables an export holds (the documented list).
fn ap_export_tables() -> [&'static str; 9] {
    ["documents", "pages", "passages", "pieces", "offences", "answers", "citations", "corrections", "annotations"]
}
