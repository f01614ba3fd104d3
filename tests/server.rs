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
