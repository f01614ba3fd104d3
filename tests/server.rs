//! The real `assistant-parquet` binary, over real HTTP, and the web application in Chromium.

use std::time::Duration;

use ap_tests::{Server, binary, node, run_with_timeout};

#[test]
fn healthz_answers_over_http() {
    let server = Server::start(&[]).unwrap();
    let resp = server.client().get(format!("{}/healthz", server.url)).send().unwrap();
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["pdfium"], true);
    assert_eq!(body["onnxruntime"], true);
}

#[test]
fn serves_the_web_application_with_spa_fallback() {
    let server = Server::start(&[]).unwrap();
    let client = server.client();
    let index = client.get(format!("{}/", server.url)).send().unwrap();
    assert_eq!(index.status(), 200);
    let html = index.text().unwrap();
    assert!(html.contains("<title>Mon assistant parquet</title>"), "{html}");
    // A client-side route (deep link) gets the application, not a 404.
    let deep = client.get(format!("{}/dossiers/exemple", server.url)).send().unwrap();
    assert_eq!(deep.status(), 200);
    assert_eq!(deep.text().unwrap(), html);
    // The design system's stylesheet is served.
    let css = client.get(format!("{}/dsfr/dsfr.min.css", server.url)).send().unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.text().unwrap().len() > 10_000);
}

#[test]
fn missing_native_library_fails_with_the_setup_command() {
    let empty = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(binary());
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .arg("--lib-dir")
        .arg(empty.path());
    let (status, _stdout, stderr) = run_with_timeout(&mut cmd, Duration::from_secs(30)).unwrap();
    assert!(!status.success(), "server exited successfully without its libraries: {stderr}");
    assert!(stderr.contains("make setup"), "{stderr}");
    assert!(stderr.contains("libpdfium.so"), "{stderr}");
    assert!(stderr.contains(&empty.path().display().to_string()), "{stderr}");
}

#[test]
fn the_home_page_loads_in_chromium() {
    let server = Server::start(&[]).unwrap();
    let shot = std::env::temp_dir().join("assistant-parquet-accueil.png");
    let out = node("browser.mjs", &["smoke", &server.url, shot.to_str().unwrap()]).unwrap();
    let page: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(page["status"], 200, "{page}");
    assert_eq!(page["title"], "Mon assistant parquet", "{page}");
    assert_eq!(page["h1"], "Mon assistant parquet", "{page}");
    assert_eq!(page["serviceStatus"], "Service opérationnel", "{page}");
    assert_eq!(page["dsfrLoaded"], true, "{page}");
    assert_eq!(page["errors"], serde_json::json!([]), "{page}");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

/// `ingest` reads a corpus dossier into a data directory; the server started on it shows the
/// documents and pieces to members only, and they match the gold pieces.
#[test]
fn dossier_api_shows_what_was_read_to_members_only() {
    let data = tempfile::tempdir().unwrap();
    let sample = ap_tests::project_root().join("datasets/sample/D000001");
    let mut pdfs: Vec<_> = std::fs::read_dir(&sample)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    pdfs.sort();
    let mut ingest = std::process::Command::new(binary());
    ingest.args(["ingest", "--dossier", "d000001", "--data-dir"]).arg(data.path()).args(&pdfs);
    let (status, stdout, stderr) = run_with_timeout(&mut ingest, Duration::from_secs(300)).unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("Dossier d000001"), "{stdout}");

    let server = Server::start_in(data, &[]).unwrap();
    let token = server.command(&["access", "grant", "--dossier", "d000001", "--user", "alice", "--role", "lecteur"]).unwrap();
    let stranger = server.command(&["access", "grant", "--dossier", "autre", "--user", "bob", "--role", "redacteur"]).unwrap();
    let client = server.client();
    let url = format!("{}/api/dossiers/d000001", server.url);

    assert_eq!(client.get(&url).send().unwrap().status(), 401);
    assert_eq!(client.get(&url).bearer_auth("faux").send().unwrap().status(), 401);
    let refused = client.get(&url).bearer_auth(stranger.trim()).send().unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().unwrap().contains("pas membre"));

    // The server replays its log at start; the view is consistent at every instant, complete
    // once nothing is pending.
    let view = loop {
        let view: serde_json::Value = client.get(&url).bearer_auth(token.trim()).send().unwrap().json().unwrap();
        if view["progress"]["documents"] == 2 && view["progress"]["documents_pending"] == 0 && view["progress"]["pages"] != 0 {
            break view;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let gold: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample.join("gold.json")).unwrap()).unwrap();
    let gold_pages: u64 = gold["documents"].as_array().unwrap().iter().map(|d| d["page_count"].as_u64().unwrap()).sum();
    assert_eq!(view["progress"]["pages"].as_u64().unwrap(), gold_pages, "{view}");
    assert_eq!(view["progress"]["documents_failed"], 0, "{view}");
    assert!(view["passages"].as_u64().unwrap() > 20, "{view}");
    // Pieces: same (kind, first page) as gold, document by document.
    let file_of = |doc: &str| -> String {
        gold["documents"].as_array().unwrap().iter().find(|d| d["id"] == doc).unwrap()["file"].as_str().unwrap().trim_end_matches(".pdf").to_string()
    };
    let want: std::collections::BTreeSet<(String, String, u64)> = gold["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (file_of(p["document"].as_str().unwrap()), p["kind"].as_str().unwrap().to_string(), p["first_page"].as_u64().unwrap()))
        .collect();
    let got: std::collections::BTreeSet<(String, String, u64)> = view["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["document"].as_str().unwrap().to_string(), p["kind"].as_str().unwrap().to_string(), p["first_page"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, want);

    // The searchable PDF of a document, for members only.
    let pdf_url = format!("{url}/documents/procedure_partie1/consultable.pdf");
    assert_eq!(client.get(&pdf_url).bearer_auth(stranger.trim()).send().unwrap().status(), 403);
    let pdf = client.get(&pdf_url).bearer_auth(token.trim()).send().unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().unwrap().starts_with(b"%PDF-"));
    let missing = client.get(format!("{url}/documents/inconnu/consultable.pdf")).bearer_auth(token.trim()).send().unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().unwrap().contains("document inconnu"));
}
