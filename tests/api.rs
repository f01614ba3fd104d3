//! The HTTP API's security and behaviour, over real HTTP against the real binary: every route
//! of the OpenAPI document refuses logged-out users and non-members, CSRF is enforced, a
//! `lecteur` cannot write, uploads are limited and typed, corrections reach the room and the
//! engine, deletion removes what was derived, and the audit log records it all.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use ap_tests::{Server, project_root};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A logged-in browser: its session cookie and CSRF token.
#[derive(Debug, Clone)]
struct User {
    cookie: String,
    csrf: String,
}

/// Create an account with a generated password (printed by the CLI) and log in.
fn user(server: &Server, login: &str) -> User {
    let password = server.command(&["account", "add", "--login", login, "--nom", &format!("Substitut {login}")]).unwrap();
    let password = password.trim();
    assert!(password.len() >= 12, "{password}");
    let resp = server.client().post(format!("{}/api/session", server.url)).json(&json!({ "login": login, "password": password })).send().unwrap();
    assert_eq!(resp.status(), 200);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attr), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("ap_session="), "{cookie}");
    let body: Value = resp.json().unwrap();
    assert_eq!(body["login"], login);
    User { cookie, csrf: body["csrf"].as_str().unwrap().to_string() }
}

/// A request as `user` would send it from the web application (cookie + CSRF header).
fn call(client: &Client, method: Method, url: &str, user: Option<&User>) -> RequestBuilder {
    let mut r = client.request(method.clone(), url);
    if let Some(u) = user {
        r = r.header("cookie", &u.cookie);
        if method != Method::GET {
            r = r.header("x-csrf-token", &u.csrf);
        }
    }
    r
}

fn create_dossier(server: &Server, owner: &User, nom: &str) -> String {
    let resp = call(&server.client(), Method::POST, &format!("{}/api/dossiers", server.url), Some(owner)).json(&json!({ "nom": nom })).send().unwrap();
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().unwrap();
    assert_eq!(body["nom"], nom);
    body["id"].as_str().unwrap().to_string()
}

/// The documented routes: (method, path template, audience tag).
fn routes(server: &Server) -> Vec<(Method, String, String)> {
    let doc: Value = server.client().get(format!("{}/api/openapi.json", server.url)).send().unwrap().json().unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let tag = op["tags"][0].as_str().unwrap().to_string();
            out.push((method.to_uppercase().parse().unwrap(), path.clone(), tag));
        }
    }
    out
}

/// A route's path with its parameters filled in for `dossier`.
fn concrete(path: &str, dossier: &str) -> String {
    path.replace("{dossier}", dossier)
        .replace("{document}", "procedure")
        .replace("{page}", "1")
        .replace("{category}", "violences_volontaires")
        .replace("{question}", "q1")
        .replace("{action}", "confirm")
}

/// A WebSocket upgrade request by hand; returns the HTTP status line's code.
fn ws_status(server: &Server, dossier: &str, cookie: Option<&str>, origin: Option<&str>) -> u16 {
    let addr = server.url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "GET /ws/{dossier} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    );
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    if let Some(o) = origin {
        req.push_str(&format!("Origin: {o}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A multipart body with one part per file.
fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----apboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichiers\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(server: &Server, u: &User, dossier: &str, files: &[(&str, &[u8])]) -> reqwest::blocking::Response {
    let (content_type, body) = multipart(files);
    call(&server.client(), Method::POST, &format!("{}/api/dossiers/{dossier}/documents", server.url), Some(u))
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap()
}

fn sample_pdf() -> Vec<u8> {
    std::fs::read(project_root().join("datasets/sample/D000002/procedure.pdf")).unwrap()
}

/// Poll the dossier view until `done` holds (or fail after a minute).
fn wait_view(server: &Server, u: &User, dossier: &str, done: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let v: Value = call(&server.client(), Method::GET, &format!("{}/api/dossiers/{dossier}", server.url), Some(u)).send().unwrap().json().unwrap();
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < end, "timeout: {v}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_api_route_and_the_websocket_refuse_logged_out_users_and_non_members() {
    let server = Server::start(&[]).unwrap();
    let alice = user(&server, "alice");
    let bob = user(&server, "bob");
    let dossier = create_dossier(&server, &alice, "Affaire Martin");
    let client = server.client();

    let routes = routes(&server);
    assert!(routes.len() >= 20, "{routes:?}");
    let mut checked = 0;
    for (method, path, tag) in &routes {
        let url = format!("{}{}", server.url, concrete(path, &dossier));
        if tag == "public" {
            continue;
        }
        // Logged out: nothing but a 401 with a French message.
        let resp = call(&client, method.clone(), &url, None).json(&json!({})).send().unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path} logged out");
        let body: Value = resp.json().unwrap();
        assert!(body["erreur"].as_str().unwrap().contains("connexion"), "{method} {path}: {body}");
        // A forged or expired cookie is no better.
        let forged = User { cookie: "ap_session=0123456789abcdef".into(), ..bob.clone() };
        let resp = call(&client, method.clone(), &url, Some(&forged)).json(&json!({})).send().unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path} forged cookie");
        if tag == "membre" || tag == "redacteur" {
            // Logged in, not a member: 403 before anything else is looked at.
            let resp = call(&client, method.clone(), &url, Some(&bob)).json(&json!({})).send().unwrap();
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path} non-member");
            let body: Value = resp.json().unwrap();
            assert!(body["erreur"].as_str().unwrap().contains("pas membre"), "{method} {path}: {body}");
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked} member routes checked");

    // The WebSocket: no cookie → 401, non-member → 403, member → upgraded; a page from another
    // site cannot use the member's cookie.
    assert_eq!(ws_status(&server, &dossier, None, None), 401);
    assert_eq!(ws_status(&server, &dossier, Some(&bob.cookie), None), 403);
    let addr = server.url.trim_start_matches("http://");
    assert_eq!(ws_status(&server, &dossier, Some(&alice.cookie), Some(&format!("http://{addr}"))), 101);
    assert_eq!(ws_status(&server, &dossier, Some(&alice.cookie), Some("https://malveillant.example")), 403);

    // Bob sees no dossier; Alice sees hers with its name and her role.
    let list: Value = call(&client, Method::GET, &format!("{}/api/dossiers", server.url), Some(&bob)).send().unwrap().json().unwrap();
    assert_eq!(list, json!([]));
    let list: Value = call(&client, Method::GET, &format!("{}/api/dossiers", server.url), Some(&alice)).send().unwrap().json().unwrap();
    assert_eq!(list[0]["id"], dossier.as_str());
    assert_eq!(list[0]["nom"], "Affaire Martin");
    assert_eq!(list[0]["role"], "redacteur");

    // After logout the cookie is worth nothing.
    let resp = call(&client, Method::DELETE, &format!("{}/api/session", server.url), Some(&alice)).send().unwrap();
    assert_eq!(resp.status(), 204);
    let resp = call(&client, Method::GET, &format!("{}/api/dossiers/{dossier}", server.url), Some(&alice)).send().unwrap();
    assert_eq!(resp.status(), 401);
    // Wrong passwords are refused.
    let resp = client.post(format!("{}/api/session", server.url)).json(&json!({ "login": "alice", "password": "pas-le-bon-mot-de-passe" })).send().unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.text().unwrap().contains("incorrect"));
}

#[test]
fn repeated_failed_logins_make_the_login_wait_even_with_the_right_password() {
    let server = Server::start(&[]).unwrap();
    let password = server.command(&["account", "add", "--login", "claire", "--nom", "Claire Durand"]).unwrap();
    let password = password.trim().to_string();
    server.command(&["account", "add", "--login", "denis", "--nom", "Denis Petit"]).unwrap();
    let client = server.client();
    let attempt = |login: &str, password: &str| client.post(format!("{}/api/session", server.url)).json(&json!({ "login": login, "password": password })).send().unwrap();
    // Five free failures, then each failure imposes a wait (1 s for the sixth).
    for _ in 0..6 {
        assert_eq!(attempt("claire", "devine-devine-devine").status(), 401);
    }
    let resp = attempt("Claire", &password);
    assert_eq!(resp.status(), 429, "the right password is not even checked while waiting");
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let body: Value = resp.json().unwrap();
    assert!(body["erreur"].as_str().unwrap().contains("trop de tentatives de connexion"), "{body}");
    // Another login is not held back, and an unknown login counts the same way (no account probing).
    assert_eq!(attempt("denis", "devine-devine-devine").status(), 401);
    for _ in 0..6 {
        assert_eq!(attempt("inconnu", "devine-devine-devine").status(), 401);
    }
    assert_eq!(attempt("inconnu", "devine-devine-devine").status(), 429);
    // Once the wait is over, the right password opens a session and clears the count.
    std::thread::sleep(std::time::Duration::from_millis(retry * 1000 + 200));
    assert_eq!(attempt("claire", &password).status(), 200);
    assert_eq!(attempt("claire", "devine-devine-devine").status(), 401);
    assert_eq!(attempt("claire", &password).status(), 200, "the count started again after the success");
}

#[test]
fn csrf_is_required_on_every_write_and_a_lecteur_cannot_write() {
    let server = Server::start(&[]).unwrap();
    let alice = user(&server, "alice");
    let carol = user(&server, "carol");
    let dossier = create_dossier(&server, &alice, "Affaire Durand");
    let client = server.client();

    // Every non-GET route, with Alice's cookie but no or a wrong token: 403, nothing done.
    for (method, path, tag) in routes(&server) {
        if method == Method::GET || tag == "public" {
            continue;
        }
        let url = format!("{}{}", server.url, concrete(&path, &dossier));
        let resp = client.request(method.clone(), &url).header("cookie", &alice.cookie).json(&json!({})).send().unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path} without CSRF token");
        assert!(resp.text().unwrap().contains("CSRF"), "{method} {path}");
        let resp = client
            .request(method.clone(), &url)
            .header("cookie", &alice.cookie)
            .header("x-csrf-token", "0".repeat(64))
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path} with a wrong CSRF token");
    }
    // The dossier is still there (the DELETE above was refused); the session still works.
    let resp = call(&client, Method::GET, &format!("{}/api/dossiers/{dossier}", server.url), Some(&alice)).send().unwrap();
    assert_eq!(resp.status(), 200);
    // Another session's token is not this session's token.
    let mut mixed = alice.clone();
    mixed.csrf = carol.csrf.clone();
    let resp = call(&client, Method::POST, &format!("{}/api/dossiers", server.url), Some(&mixed)).json(&json!({ "nom": "x" })).send().unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Carol becomes lecteur: she reads, she cannot write.
    let resp = call(&client, Method::POST, &format!("{}/api/dossiers/{dossier}/members", server.url), Some(&alice))
        .json(&json!({ "login": "carol", "role": "lecteur" }))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let unknown = call(&client, Method::POST, &format!("{}/api/dossiers/{dossier}/members", server.url), Some(&alice))
        .json(&json!({ "login": "inconnu", "role": "lecteur" }))
        .send()
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let members: Value = call(&client, Method::GET, &format!("{}/api/dossiers/{dossier}/members", server.url), Some(&carol)).send().unwrap().json().unwrap();
    assert_eq!(members, json!([
        { "login": "alice", "nom": "Substitut alice", "role": "redacteur" },
        { "login": "carol", "nom": "Substitut carol", "role": "lecteur" },
    ]));
    let view = call(&client, Method::GET, &format!("{}/api/dossiers/{dossier}", server.url), Some(&carol)).send().unwrap();
    assert_eq!(view.status(), 200);
    let mut writes = 0;
    for (method, path, tag) in routes(&server) {
        if tag != "redacteur" {
            continue;
        }
        let url = format!("{}{}", server.url, concrete(&path, &dossier));
        let resp = call(&client, method.clone(), &url, Some(&carol)).json(&json!({ "nom": "x", "category": "vol", "login": "carol", "role": "redacteur" })).send().unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path} as lecteur");
        assert!(resp.text().unwrap().contains("lecture seule"), "{method} {path}");
        writes += 1;
    }
    assert!(writes >= 6, "{writes}");
    // She is still lecteur (she could not promote herself) and the dossier still exists.
    let list: Value = call(&client, Method::GET, &format!("{}/api/dossiers", server.url), Some(&carol)).send().unwrap().json().unwrap();
    assert_eq!(list[0]["role"], "lecteur");
}

#[test]
fn uploads_are_limited_and_typed_and_results_come_back_through_the_api() {
    let server = Server::start(&["--upload-max-file-bytes", "300000", "--upload-max-request-bytes", "1000000"]).unwrap();
    let alice = user(&server, "alice");
    let dossier = create_dossier(&server, &alice, "Affaire Petit");
    let client = server.client();
    let pdf = sample_pdf();
    assert!(pdf.len() < 300_000);

    // The event stream opens with a progress event.
    let mut events = call(&client, Method::GET, &format!("{}/api/dossiers/{dossier}/events", server.url), Some(&alice)).send().unwrap();
    assert_eq!(events.status(), 200);
    assert!(events.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut first = [0u8; 256];
    let n = events.read(&mut first).unwrap();
    let first = String::from_utf8_lossy(&first[..n]);
    assert!(first.contains("event: progress"), "{first}");
    drop(events);

    // One good PDF, a Word file, an oversized "PDF", an empty file: one result each.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(400_000, b'0');
    let docx = b"PK\x03\x04\x14\x00\x06\x00 word/document.xml".to_vec();
    let resp = upload(&server, &alice, &dossier, &[("procédure pénale.pdf", &pdf), ("notes.docx", &docx), ("scan énorme.pdf", &big), ("vide.pdf", b"")]);
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().unwrap();
    let files = body["fichiers"].as_array().unwrap();
    assert_eq!(files.len(), 4, "{body}");
    assert_eq!(files[0]["accepte"], true, "{body}");
    assert_eq!(files[0]["document"], "proc_dure_p_nale");
    assert_eq!(files[1]["accepte"], false);
    assert!(files[1]["erreur"].as_str().unwrap().contains("ni un PDF ni une image numérisée"), "{body}");
    assert!(files[1]["erreur"].as_str().unwrap().contains("notes.docx"), "{body}");
    assert_eq!(files[2]["accepte"], false);
    assert!(files[2]["erreur"].as_str().unwrap().contains("taille maximale"), "{body}");
    assert!(files[3]["erreur"].as_str().unwrap().contains("vide"), "{body}");

    // Only bad files: 422 and the reasons.
    let resp = upload(&server, &alice, &dossier, &[("photo.gif", b"GIF89a...........")]);
    assert_eq!(resp.status(), 422);
    assert!(resp.text().unwrap().contains("ni un PDF"));
    // More than the request allows: 413, in French.
    let chunk = vec![b'1'; 290_000];
    let mut parts: Vec<(&str, &[u8])> = Vec::new();
    let names = ["a.pdf", "b.pdf", "c.pdf", "d.pdf"];
    let mut pdfs = Vec::new();
    for _ in &names {
        let mut p = b"%PDF-1.4\n".to_vec();
        p.extend_from_slice(&chunk);
        pdfs.push(p);
    }
    for (n, p) in names.iter().zip(&pdfs) {
        parts.push((n, p));
    }
    let resp = upload(&server, &alice, &dossier, &parts);
    assert_eq!(resp.status(), 413);
    assert!(resp.text().unwrap().contains("trop volumineux"));

    // The accepted file is read; its original bytes, pages, words and passages are served.
    let view = wait_view(&server, &alice, &dossier, |v| v["progress"]["documents_pending"] == 0 && v["progress"]["pages"].as_u64() > Some(0));
    assert_eq!(view["documents"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(view["progress"]["pages"], 10);
    assert_eq!(view["nom"], "Affaire Petit");
    let url = format!("{}/api/dossiers/{dossier}/documents/proc_dure_p_nale", server.url);
    let original = call(&client, Method::GET, &format!("{url}/original.pdf"), Some(&alice)).send().unwrap();
    assert_eq!(original.headers()["content-type"], "application/pdf");
    assert_eq!(original.bytes().unwrap().as_ref(), pdf.as_slice());
    let page: Value = call(&client, Method::GET, &format!("{url}/pages/1/text"), Some(&alice)).send().unwrap().json().unwrap();
    let words = page["words"].as_array().unwrap();
    assert!(words.len() > 20, "{page}");
    let (w, h) = (page["width"].as_f64().unwrap(), page["height"].as_f64().unwrap());
    for word in words {
        let (x0, y0, x1, y1) = (word["x0"].as_f64().unwrap(), word["y0"].as_f64().unwrap(), word["x1"].as_f64().unwrap(), word["y1"].as_f64().unwrap());
        assert!(0.0 <= x0 && x0 < x1 && x1 <= w + 1.0 && 0.0 <= y0 && y0 < y1 && y1 <= h + 1.0, "{word}");
        assert!(page["text"].as_str().unwrap().contains(word["text"].as_str().unwrap()));
    }
    assert!(!page["passages"].as_array().unwrap().is_empty(), "{page}");
    let missing = call(&client, Method::GET, &format!("{url}/pages/99/text"), Some(&alice)).send().unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().unwrap().contains("page 99"));
    // The page as a picture: a PNG of the page's proportions at the asked resolution.
    let png = call(&client, Method::GET, &format!("{url}/pages/1/image.png?dpi=72"), Some(&alice)).send().unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let png = png.bytes().unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (pw, ph) = (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert!((f64::from(pw) - w).abs() <= 2.0 && (f64::from(ph) - h).abs() <= 2.0, "{pw}×{ph} for a {w}×{h} pt page at 72 dpi");
    let missing = call(&client, Method::GET, &format!("{url}/pages/99/image.png"), Some(&alice)).send().unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().unwrap().contains("page(s)"));
}

#[test]
fn corrections_go_through_the_room_and_deletion_removes_every_trace() {
    let server = Server::start(&[]).unwrap();
    let alice = user(&server, "alice");
    let dossier = create_dossier(&server, &alice, "Affaire Leroy");
    let client = server.client();
    assert_eq!(upload(&server, &alice, &dossier, &[("pv.pdf", &sample_pdf())]).status(), 200);
    wait_view(&server, &alice, &dossier, |v| v["progress"]["pages"] == 10 && v["progress"]["documents_pending"] == 0);

    // Corrections: recorded by the engine through the dossier's room.
    let base = format!("{}/api/dossiers/{dossier}", server.url);
    let ok = |resp: reqwest::blocking::Response| {
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().unwrap();
        assert_eq!(body["statut"], "enregistrée", "{body}");
    };
    ok(call(&client, Method::POST, &format!("{base}/offences/violences_volontaires/reject"), Some(&alice)).json(&json!({ "reason": "ITT de 10 jours" })).send().unwrap());
    ok(call(&client, Method::POST, &format!("{base}/offences"), Some(&alice)).json(&json!({ "category": "vol" })).send().unwrap());
    ok(call(&client, Method::POST, &format!("{base}/answers/q1/edit"), Some(&alice)).json(&json!({ "text": "Le 3 mars 2024." })).send().unwrap());
    let resp = call(&client, Method::POST, &format!("{base}/answers/q1/edit"), Some(&alice)).json(&json!({})).send().unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().unwrap().contains("texte"));
    let resp = call(&client, Method::POST, &format!("{base}/answers/q1/effacer"), Some(&alice)).send().unwrap();
    assert_eq!(resp.status(), 404);

    // The synthesis export answers a Word document even when nothing was written yet.
    let docx = call(&client, Method::GET, &format!("{base}/synthesis.docx"), Some(&alice)).send().unwrap();
    assert_eq!(docx.status(), 200);
    assert!(docx.bytes().unwrap().starts_with(b"PK"));
    let pdf = call(&client, Method::GET, &format!("{base}/synthesis.pdf"), Some(&alice)).send().unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().unwrap().starts_with(b"%PDF-"));

    // Delete: gone from the list, the room refuses, the engine forgot the documents.
    let resp = call(&client, Method::DELETE, &base, Some(&alice)).send().unwrap();
    assert_eq!(resp.status(), 204);
    let list: Value = call(&client, Method::GET, &format!("{}/api/dossiers", server.url), Some(&alice)).send().unwrap().json().unwrap();
    assert_eq!(list, json!([]));
    assert_eq!(call(&client, Method::GET, &base, Some(&alice)).send().unwrap().status(), 403);
    assert_eq!(ws_status(&server, &dossier, Some(&alice.cookie), None), 403);
    // Granted again by hand, the dossier is empty: no document, page, passage or correction.
    server.command(&["access", "grant", "--dossier", &dossier, "--user", "alice", "--role", "redacteur"]).unwrap();
    let view = wait_view(&server, &alice, &dossier, |v| v["progress"]["documents"] == 0);
    assert_eq!(view["passages"], 0, "{view}");
    assert_eq!(view["progress"]["pages"], 0, "{view}");

    // The audit log has it all, in order.
    let audit = server.command(&["audit", "--dossier", &dossier, "--json"]).unwrap();
    let actions: Vec<String> = audit.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["action"].as_str().unwrap().to_string()).collect();
    for want in ["création", "dépôt", "ouverture", "correction", "téléchargement", "suppression"] {
        assert!(actions.iter().any(|a| a == want), "{want} missing from {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| *a == "correction").count(), 3, "{actions:?}");
    assert!(actions.iter().position(|a| a == "création") < actions.iter().position(|a| a == "suppression"));
    let all = server.command(&["audit", "--login", "alice"]).unwrap();
    assert!(all.lines().any(|l| l.contains("\tconnexion\t")), "{all}");
}

#[test]
fn the_demonstration_account_is_printed_and_sees_the_demonstration_dossiers() {
    let server = Server::start(&["--demo"]).unwrap();
    let line = server.banner.iter().find(|l| l.contains("Compte de démonstration")).unwrap_or_else(|| panic!("{:?}", server.banner));
    let password = line.rsplit('«').next().unwrap().trim().trim_end_matches('»').trim();
    let resp = server.client().post(format!("{}/api/session", server.url)).json(&json!({ "login": "demo", "password": password })).send().unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let list: Value = server.client().get(format!("{}/api/dossiers", server.url)).header("cookie", cookie).send().unwrap().json().unwrap();
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 6, "{list}");
    assert!(ids.contains(&"demo-d000001"), "{list}");
    assert_eq!(list[0]["nom"], "Démonstration D000001");
}

/// Issue 8: a correction made by one client (a real `yjs` + `y-websocket` client appending to the
/// room's `corrections` array) changes what another client receives on the events channel: the
/// rejected offence comes back rejected, and the answers no longer ask its questions.
#[test]
fn a_correction_in_the_room_reaches_another_client_through_the_events_channel() {
    let server = Server::start(&[]).unwrap();
    let alice = user(&server, "alice");
    let dossier = create_dossier(&server, &alice, "Affaire Blanc");
    assert_eq!(upload(&server, &alice, &dossier, &[("procedure.pdf", &sample_pdf())]).status(), 200);
    let writer = server.command(&["access", "grant", "--dossier", &dossier, "--user", "alice", "--role", "redacteur"]).unwrap();
    let reader = server.command(&["access", "grant", "--dossier", &dossier, "--user", "bob", "--role", "lecteur"]).unwrap();
    let client = server.client();

    // Wait for the machine's offences and answers.
    let end = Instant::now() + Duration::from_secs(120);
    let (offences, answers) = loop {
        let o: Value = client.get(format!("{}/api/dossiers/{dossier}/offences", server.url)).bearer_auth(reader.trim()).send().unwrap().json().unwrap();
        let a: Value = client.get(format!("{}/api/dossiers/{dossier}/answers", server.url)).bearer_auth(reader.trim()).send().unwrap().json().unwrap();
        if !o.as_array().unwrap().is_empty() && !a.as_array().unwrap().is_empty() {
            break (o, a);
        }
        assert!(Instant::now() < end, "no offences or answers: {o} {a}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let category = offences[0]["category"].as_str().unwrap().to_string();
    assert!(offences[0]["review"].is_null(), "{offences}");
    let asked = |answers: &Value| answers.as_array().unwrap().iter().filter(|a| a["category"] == category.as_str()).count();
    assert!(asked(&answers) > 0, "no question for {category}: {answers}");

    let out = ap_tests::node("correction-events.mjs", &[&server.url, &dossier, writer.trim(), reader.trim(), &category]).unwrap();
    let got: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(got["status"]["statut"], "enregistrée", "{got}");
    assert_eq!(got["offence"]["review"]["kind"], "rejected", "{got}");
    assert_eq!(got["offence"]["review"]["reason"], "Faits non caractérisés", "{got}");
    let categories = got["answerCategories"].as_array().unwrap_or_else(|| panic!("no answers event: {got}"));
    assert!(!categories.is_empty(), "{got}");
    assert!(categories.iter().all(|c| c != category.as_str()), "questions of the rejected offence still asked: {got}");
    // The GET routes agree with what was pushed.
    let a: Value = client.get(format!("{}/api/dossiers/{dossier}/answers", server.url)).bearer_auth(reader.trim()).send().unwrap().json().unwrap();
    assert_eq!(asked(&a), 0);
}
