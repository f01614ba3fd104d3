//! `POST /api/dossiers/{d}/ask` against the real server: the engine-held index answers the first
//! question at once (BM25, with the number of sentences still being embedded), then the
//! embeddings computed in the background join (pending count down to zero).

use std::time::{Duration, Instant};

use ap_tests::{Server, project_root};
use serde_json::{Value, json};

/// Log in as a new account: (cookie, csrf).
fn login(server: &Server, login: &str) -> (String, String) {
    let password = server.command(&["account", "add", "--login", login, "--nom", "Substitut"]).unwrap();
    let resp = server
        .client()
        .post(format!("{}/api/session", server.url))
        .json(&json!({ "login": login, "password": password.trim() }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body: Value = resp.json().unwrap();
    (cookie, body["csrf"].as_str().unwrap().to_string())
}

/// The NDJSON lines of an ask.
fn ask(server: &Server, auth: &(String, String), dossier: &str, question: &str) -> Vec<Value> {
    let resp = server
        .client()
        .post(format!("{}/api/dossiers/{dossier}/ask", server.url))
        .header("cookie", &auth.0)
        .header("x-csrf-token", &auth.1)
        .json(&json!({ "question": question }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn ask_over_http_uses_the_held_index_and_dense_joins_in_the_background() {
    let server = Server::start(&[]).unwrap();
    let auth = login(&server, "alice");
    let client = server.client();
    let resp = client
        .post(format!("{}/api/dossiers", server.url))
        .header("cookie", &auth.0)
        .header("x-csrf-token", &auth.1)
        .json(&json!({ "nom": "Affaire Martin" }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201);
    let dossier = resp.json::<Value>().unwrap()["id"].as_str().unwrap().to_string();
    let pdf = std::fs::read(project_root().join("datasets/sample/D000001/procedure_partie1.pdf")).unwrap();
    let boundary = "----ap-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"procedure.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&pdf);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = client
        .post(format!("{}/api/dossiers/{dossier}/documents", server.url))
        .header("cookie", &auth.0)
        .header("x-csrf-token", &auth.1)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let view: Value = client
            .get(format!("{}/api/dossiers/{dossier}", server.url))
            .header("cookie", &auth.0)
            .send()
            .unwrap()
            .json()
            .unwrap();
        if view["progress"]["documents_pending"] == 0 && view["progress"]["pages"].as_u64() > Some(0) {
            break;
        }
        assert!(Instant::now() < end, "the document was never read: {view}");
        std::thread::sleep(Duration::from_millis(200));
    }

    let question = "Qui a frappé la victime ?";
    let lines = ask(&server, &auth, &dossier, question);
    assert_eq!(lines[0]["type"], "hits", "{lines:?}");
    assert!(lines[0]["embeddings_pending"].is_u64(), "{}", lines[0]);
    let hits = lines[0]["hits"].as_array().unwrap();
    assert!(hits.iter().any(|h| h["text"].as_str().unwrap().contains("frapp")), "{hits:?}");
    assert!(lines.iter().any(|l| l["type"] == "answer"), "{lines:?}");

    // The follower embeds in the background: later questions see the count fall to zero.
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let lines = ask(&server, &auth, &dossier, question);
        if lines[0]["embeddings_pending"] == 0 {
            assert!(lines[0]["hits"].as_array().unwrap().iter().any(|h| h["cosine"].is_number()), "{}", lines[0]);
            break;
        }
        assert!(Instant::now() < end, "embeddings never completed: {}", lines[0]);
        std::thread::sleep(Duration::from_millis(300));
    }
}
