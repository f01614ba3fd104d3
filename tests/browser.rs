//! The magistrate's web application in headless Chromium (`tests/js/app.mjs`, playwright-core)
//! against the real server: three accounts in separate browser contexts log in, upload a native
//! and a scanned PDF by drag and drop, follow the reading live, open the cited page from an
//! answer and check the highlight sits on the citation's boxes, ask a question, co-edit the
//! synthesis and annotate, and check that a reader cannot write and a logged-out user gets
//! nothing. Screenshots of every screen land in `target/screenshots/browser/`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use ap_tests::{Server, binary, node, project_root};
use serde_json::{Value, json};

/// Create a local account with `assistant-parquet account add` (password on stdin).
fn add_account(server: &Server, login: &str, nom: &str, password: &str) {
    let mut child = Command::new(binary())
        .args(["account", "add", "--password-stdin", "--login", login, "--nom", nom, "--data-dir"])
        .arg(server.data_dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn account add");
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write password");
    let out = child.wait_with_output().expect("account add");
    assert!(out.status.success(), "account add {login}: {}", String::from_utf8_lossy(&out.stderr));
}

fn screenshots_dir() -> PathBuf {
    let dir = project_root().join("target/screenshots/browser");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    let s = &report["steps"][name];
    assert!(s.is_object(), "step {name} did not run: {report}");
    s
}

fn ok<'a>(report: &'a Value, name: &str) -> &'a Value {
    let s = step(report, name);
    assert_eq!(s["ok"], true, "step {name} failed: {}", s["error"].as_str().unwrap_or_default());
    s
}

/// Each highlight box, read back from the page in PDF points, is the citation's box.
fn assert_boxes_match(reader: &Value, citation: &Value) {
    assert_eq!(reader["document"], citation["document"], "reader {reader} citation {citation}");
    assert_eq!(reader["page"], citation["page"], "reader {reader} citation {citation}");
    let want = citation["boxes"].as_array().expect("citation boxes");
    let got = reader["current"].as_array().expect("highlights");
    assert_eq!(got.len(), want.len(), "one highlight per citation box: {reader} {citation}");
    for (g, w) in got.iter().zip(want) {
        for k in ["x0", "y0", "x1", "y1"] {
            let (g, w) = (g[k].as_f64().unwrap(), w[k].as_f64().unwrap());
            assert!((g - w).abs() < 0.75, "highlight {k} = {g}, citation box {k} = {w}: {reader} {citation}");
        }
    }
    // The page is drawn under the highlight, and the text layer there holds the quote's words.
    assert!(reader["inked"].as_u64().unwrap() > 0, "blank page under the highlight: {reader}");
    let under = reader["under"].as_str().unwrap().to_lowercase();
    let quote = citation["quote"].as_str().unwrap().to_lowercase();
    let words: Vec<&str> = quote.split_whitespace().filter(|w| w.chars().count() > 3).collect();
    let hit = words.iter().filter(|w| under.contains(*w)).count();
    assert!(hit * 2 >= words.len(), "text under the highlight {under:?} does not hold the quote {quote:?}");
}

#[test]
fn the_web_application_end_to_end_in_chromium() {
    let server = Server::start(&[]).unwrap();
    let users = json!({
        "redacteur": { "login": "alice", "password": "mot-de-passe-alice-1" },
        "second": { "login": "bruno", "password": "mot-de-passe-bruno-2" },
        "lecteur": { "login": "carole", "password": "mot-de-passe-carole-3" },
    });
    add_account(&server, "alice", "Alice Martin", "mot-de-passe-alice-1");
    add_account(&server, "bruno", "Bruno Petit", "mot-de-passe-bruno-2");
    add_account(&server, "carole", "Carole Durand", "mot-de-passe-carole-3");

    // One native PDF and one scanned PDF of the committed sample (gold.json `mode`).
    let sample = project_root().join("datasets/sample");
    let native = sample.join("D000001/procedure_partie1.pdf");
    let scanned = sample.join("D000003/procedure.pdf");
    for (file, mode) in [(&native, "native"), (&scanned, "scanned")] {
        let gold: Value = serde_json::from_str(&std::fs::read_to_string(file.with_file_name("gold.json")).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_str().unwrap();
        let doc = gold["documents"].as_array().unwrap().iter().find(|d| d["file"] == name).unwrap();
        assert!(doc["pages"].as_array().unwrap().iter().all(|p| p["mode"] == mode), "{name} is not {mode}");
    }
    let config = json!({
        "users": users,
        "files": [native, scanned],
        "question": "Quelle est la durée de l'ITT ?",
    });
    let config_file = server.data_dir.path().join("browser-config.json");
    std::fs::write(&config_file, config.to_string()).unwrap();
    let shots = screenshots_dir();

    let out = node("app.mjs", &[&server.url, shots.to_str().unwrap(), config_file.to_str().unwrap()]).unwrap();
    let report: Value = serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap();
    eprintln!("{}", serde_json::to_string_pretty(&report).unwrap());

    let s = ok(&report, "logged_out");
    assert_eq!(s["apiStatus"], 401, "{s}");
    assert_eq!(s["loginForm"], 1, "{s}");
    assert_eq!(s["showsNoDossier"], true, "{s}");

    let s = ok(&report, "login");
    assert!(!s["refusal"].as_str().unwrap().is_empty(), "{s}");

    let s = ok(&report, "create_and_upload");
    let states = s["states"].as_array().unwrap();
    assert_eq!(states.len(), 2, "{s}");
    assert!(states.iter().all(|f| f["state"] == "reçu"), "{s}");
    assert_eq!(s["docs"].as_array().unwrap().len(), 2, "{s}");

    ok(&report, "members");

    let s = ok(&report, "overview");
    assert!(s["pieces"].as_u64().unwrap() >= 2, "{s}");
    let first_page: u64 = s["pieceCell"].as_str().unwrap().trim_start_matches("p. ").split(' ').next().unwrap().parse().unwrap();
    assert_eq!(s["readerPage"].as_u64().unwrap(), first_page, "a piece opens the reader at its first page: {s}");
    assert!(s["textSpans"].as_u64().unwrap() > 10, "the reader's text layer is empty: {s}");
    let offences = s["offencesApi"].as_u64().unwrap();
    assert!(offences > 0, "the sample dossier has offences: {s}");
    assert_eq!(s["offencesShown"], offences, "{s}");
    assert!(s["hover"].as_str().is_some_and(|t| t.len() > 20), "article text on hover: {s}");
    // Next citation: the reader moves to the second piece of evidence, highlighted.
    let evidence = &s["evidence"];
    assert!(evidence.is_object(), "an offence with two pieces of evidence: {s}");
    assert_boxes_match(&evidence["readers"][0], &evidence["citations"][0]);
    assert_boxes_match(&evidence["readers"][1], &evidence["citations"][1]);
    assert!(evidence["readers"][1]["counter"].as_str().unwrap().starts_with("Citation 2 /"), "{evidence}");

    let s = ok(&report, "quick_view_and_source");
    assert!(s["cards"].as_u64().unwrap() > 0, "{s}");
    assert!(s["cardText"].as_str().unwrap().contains("Voir la source"), "{s}");
    assert_boxes_match(&s["reader"], &s["citation"]);

    let s = ok(&report, "ask");
    if s["status"] == "found" {
        assert!(s["links"].as_u64().unwrap() > 0, "a found answer is cited: {s}");
        assert_boxes_match(&s["reader"], &s["citation"]);
    } else {
        assert!(s["answer"].as_str().unwrap().contains("Non trouvé"), "{s}");
    }

    let s = ok(&report, "coedit_synthesis");
    let presence: Vec<&str> = s["presence"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(presence.contains(&"Alice Martin") && presence.contains(&"Bruno Petit"), "{s}");
    assert!(s["cursors"].as_u64().unwrap() >= 1, "Bruno's cursor in Alice's editor: {s}");

    let s = ok(&report, "insert_cited_answer");
    assert!(s["label"].as_str().unwrap().contains(", p. "), "{s}");

    let s = ok(&report, "annotations");
    assert_eq!(s["seen"], s["comment"], "{s}");

    // Corrections made with the UI's buttons reach the other user and the API.
    let s = ok(&report, "review_in_the_ui");
    assert_eq!(s["apiAnswer"]["text"], s["corrected"], "{s}");
    assert_eq!(s["apiAnswer"]["review"]["kind"], "edited", "the edited answer is marked: {s}");
    assert!(s["apiAnswer"]["machine"]["text"].as_str().is_some_and(|t| !t.is_empty()), "the machine's answer is kept beside: {s}");
    assert_eq!(s["apiOffence"]["review"]["kind"], "rejected", "the dismissed offence is marked: {s}");

    let s = ok(&report, "read_only_member");
    assert_eq!(s["editable"], "false", "{s}");
    assert_eq!(s["unchanged"], true, "{s}");
    assert_eq!(s["aliceSeesCarol"], false, "{s}");
    assert_eq!(s["uploadZone"], 0, "{s}");
    assert_eq!(s["confirmButtons"], 0, "{s}");
    assert_eq!(s["refusedStatus"], 403, "{s}");

    let s = ok(&report, "logout");
    assert_eq!(s["dossierStatus"], 401, "{s}");
    assert_eq!(s["offencesStatus"], 401, "{s}");
    assert_eq!(s["websocket"], "refused", "{s}");

    // The synthesis they wrote together, as a PDF: both users' lines, and the inserted answer's
    // citation as a footnote instead of its inline form.
    let dossier = report["dossier"].as_str().unwrap();
    let client = server.client();
    let resp = client
        .post(format!("{}/api/session", server.url))
        .json(&json!({ "login": "alice", "password": "mot-de-passe-alice-1" }))
        .send()
        .unwrap();
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let resp = client.get(format!("{}/api/dossiers/{dossier}/synthesis.pdf", server.url)).header("Cookie", &cookie).send().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let bytes = resp.bytes().unwrap();
    let pdfium = ap_operators::native::NativeLibs::default().pdfium().expect("pdfium (make setup)");
    let pdf = pdfium.load_pdf_from_byte_slice(&bytes, None).expect("a readable PDF");
    let text: String = pdf.pages().iter().map(|p| p.text().unwrap().all()).collect::<Vec<_>>().join("\n");
    assert!(text.contains("Note d'Alice : audition à compléter.") && text.contains("Note de Bob : casier demandé."), "{text}");
    let label = report["steps"]["insert_cited_answer"]["label"].as_str().unwrap().trim().trim_start_matches('(').trim_end_matches(')');
    assert!(text.contains(label), "the citation {label:?} is a footnote: {text}");
    assert!(!text.contains(&format!("({label})")), "the inline citation was replaced by its note: {text}");

    for (user, errors) in report["errors"].as_object().unwrap() {
        assert_eq!(errors, &json!([]), "page errors for {user}");
    }
    for shot in ["04-vue-ensemble", "06-lecteur-source", "08-synthese-alice"] {
        let f = shots.join(format!("{shot}.png"));
        if shot != "06-lecteur-source" || report["steps"]["quick_view_and_source"]["ok"] == true {
            assert!(std::fs::metadata(&f).map(|m| m.len() > 10_000).unwrap_or(false), "{}", f.display());
        }
    }
}
