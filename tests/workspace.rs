//! The collaborative workspace with real Node clients (`yjs`, `y-websocket`, `ws`, unmodified)
//! against the real binary: convergence, late joiners, offline merges, corrections, refusals, and
//! a SIGKILL in the middle of a stream of edits.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ap_tests::{Server, node, project_root};
use serde_json::Value;

const DOSSIER: &str = "2024-PV-0042";

/// Make `user` a member of the dossier with `role`; returns their token.
fn grant(server: &Server, user: &str, role: &str) -> String {
    server.command(&["access", "grant", "--dossier", DOSSIER, "--user", user, "--role", role]).unwrap().trim().to_string()
}

fn run(mode: &str, server: &Server, args: &[&str]) -> Value {
    let mut all = vec![mode, server.url.as_str(), DOSSIER];
    all.extend_from_slice(args);
    let out = node("workspace.mjs", &all).unwrap();
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn three_clients_converge_with_the_server_and_a_late_joiner_gets_everything() {
    let server = Server::start(&[]).unwrap();
    let tokens: Vec<String> =
        ["a", "b", "c"].iter().map(|u| grant(&server, u, "redacteur")).chain([grant(&server, "d", "lecteur")]).collect();
    let args: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let out = run("converge", &server, &args);
    let contents = out["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 3);
    assert!(contents.iter().all(|c| c == &contents[0]), "{out}");
    assert_eq!(out["markers"], 90, "every edit of every client is there: {out}");
    // The late joiner gets what the server holds: the same document.
    assert_eq!(out["late"], contents[0], "{out}");
    let text = contents[0].as_str().unwrap();
    for i in 1..=3 {
        assert!(text.contains(&format!("<paragraph>Paragraphe du substitut {i}.</paragraph>")), "{text}");
    }
    assert_eq!(out["presence"], serde_json::json!(["Substitut 1", "Substitut 2", "Substitut 3"]), "{out}");
}

#[test]
fn a_client_offline_for_a_while_merges_its_edits_on_reconnect() {
    let server = Server::start(&[]).unwrap();
    let (a, b, late) = (grant(&server, "a", "redacteur"), grant(&server, "b", "redacteur"), grant(&server, "l", "lecteur"));
    let out = run("offline", &server, &[&a, &b, &late]);
    let while_offline = out["bWhileOffline"].as_str().unwrap();
    assert!(!while_offline.contains("horsligne"), "offline edits stayed local: {out}");
    let merged = out["merged"].as_str().unwrap();
    for n in 0..10 {
        assert!(merged.contains(&format!("horsligne{n} ")) && merged.contains(&format!("enligne{n} ")), "{out}");
    }
    assert_eq!(out["late"], out["merged"], "{out}");
}

#[test]
fn a_correction_becomes_an_engine_input_and_is_acknowledged_to_the_others() {
    let server = Server::start(&[]).unwrap();
    let (a, b) = (grant(&server, "a", "redacteur"), grant(&server, "b", "redacteur"));
    let out = run("correction", &server, &[&a, &b]);
    assert_eq!(out["good"]["statut"], "enregistrée", "{out}");
    assert_eq!(out["bad"]["statut"], "refusée", "{out}");
    assert!(out["bad"]["motif"].as_str().unwrap().contains("mal formée"), "{out}");
    // The correction is an input of the engine, logged once, with its content; the refused one
    // is not.
    let db = rusqlite::Connection::open(server.data_dir.path().join("engine/engine.sqlite")).unwrap();
    let mut stmt = db.prepare("SELECT record, diff FROM inputs").unwrap();
    let inputs: Vec<(Value, i64)> = stmt
        .query_map([], |r| Ok((serde_json::from_str(&r.get::<_, String>(0)?).unwrap(), r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|(record, _): &(Value, i64)| record["input"] == "correction")
        .collect();
    assert_eq!(inputs.len(), 1, "{inputs:?}");
    let (record, diff) = &inputs[0];
    assert_eq!(*diff, 1);
    assert_eq!(record["dossier"], DOSSIER);
    let c = &record["correction"];
    assert_eq!(c["id"], out["id"], "{c}");
    assert_eq!(c["author"], "substitut.a", "{c}");
    assert_eq!(c["change"]["kind"], "answer_edited", "{c}");
    assert_eq!(c["change"]["answer"], "q-itt", "{c}");
}

#[test]
fn refused_connections_and_messages_leave_the_document_intact() {
    let max = 262_144;
    let server = Server::start(&["--ws-max-message-bytes", &max.to_string()]).unwrap();
    let writer = grant(&server, "w", "redacteur");
    let reader = grant(&server, "r", "lecteur");
    let outsider = server
        .command(&["access", "grant", "--dossier", "un-autre-dossier", "--user", "x", "--role", "redacteur"])
        .unwrap()
        .trim()
        .to_string();
    let out = run("negative", &server, &[&writer, &reader, &outsider, &max.to_string()]);
    let baseline = out["baseline"].as_str().unwrap();
    assert_eq!(baseline, "<paragraph>Texte de référence.</paragraph>", "{out}");

    // Refused before the upgrade: an HTTP error, never a document byte.
    for (case, status) in [("noToken", 401), ("wrongToken", 401), ("nonMember", 403)] {
        assert_eq!(out[case]["status"], status, "{case}: {out}");
        assert_eq!(out[case]["opened"], false, "{case}: {out}");
        assert_eq!(out[case]["received"], 0, "{case}: {out}");
        assert!(out[case]["body"].as_str().unwrap().contains("erreur"), "{case}: {out}");
    }
    // A reader's edit is refused, and the reader is told so.
    let warnings = out["readOnly"]["warnings"].to_string();
    assert!(warnings.contains("Permission denied") && warnings.contains("lecture seule"), "{out}");
    assert_eq!(out["readOnly"]["after"], baseline, "{out}");
    // Oversized, random and truncated messages close the connection (1009 too big, 1003 invalid,
    // 1008 refused update) and change nothing.
    assert_eq!(out["oversized"]["closeCode"], 1009, "{out}");
    assert_eq!(out["afterOversized"], baseline, "{out}");
    assert!([1003, 1008].contains(&out["randomBytes"]["closeCode"].as_i64().unwrap()), "{out}");
    assert!([1003, 1008].contains(&out["randomUpdate"]["closeCode"].as_i64().unwrap()), "{out}");
    assert_eq!(out["afterRandom"], baseline, "{out}");
    assert!([1003, 1008].contains(&out["truncated"]["closeCode"].as_i64().unwrap()), "{out}");
    assert_eq!(out["afterTruncated"], baseline, "{out}");
}

/// Read the acknowledged ids the observer wrote so far.
fn acknowledged(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter(|l| *l != "READY").map(str::to_string).collect()
}

#[test]
fn after_a_sigkill_every_acknowledged_edit_is_there() {
    let server = Server::start(&[]).unwrap();
    let writer = grant(&server, "w", "redacteur");
    let observer = grant(&server, "o", "lecteur");
    let acks_dir = tempfile::tempdir().unwrap();
    let acks = acks_dir.path().join("acks.txt");
    let mut clients = Command::new("node")
        .arg(project_root().join("tests/js/workspace.mjs"))
        .args(["stream", &server.url, DOSSIER, &writer, &observer, acks.to_str().unwrap(), "4"])
        .current_dir(project_root().join("tests/js"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Let edits stream, then kill the server in the middle of them.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged(&acks).len() < 2000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let data_dir = server.kill().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let _ = clients.kill();
    let _ = clients.wait();
    let acked: HashSet<String> = acknowledged(&acks).into_iter().collect();
    assert!(acked.len() >= 2000, "the stream was running when the server died ({} acks)", acked.len());

    let server = Server::start_in(data_dir, &[]).unwrap();
    let out = run("dump", &server, &[&writer]);
    let present: HashSet<String> =
        out["annotations"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let lost: Vec<&String> = acked.difference(&present).collect();
    assert!(lost.is_empty(), "{} acknowledged edits lost, e.g. {:?}", lost.len(), lost.iter().take(5).collect::<Vec<_>>());
}

/// The engine's draft résumé des faits becomes the synthesis the first client receives: section
/// headings and paragraphs, each paragraph followed by its citations as ` (label)` runs carrying
/// the `citation` mark the editor and the DOCX export read; written once only.
#[test]
fn the_synthesis_starts_from_the_engines_cited_draft() {
    let dir = tempfile::tempdir().unwrap();
    let sample = project_root().join("datasets/sample/D000001");
    let out = Command::new(ap_tests::binary())
        .args(["ingest", "--dossier", DOSSIER, "--data-dir"])
        .arg(dir.path())
        .arg(sample.join("procedure_partie1.pdf"))
        .arg(sample.join("procedure_partie2.pdf"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let server = Server::start_in(dir, &[]).unwrap();
    let token = grant(&server, "substitut.a", "redacteur");
    let out = run("draft", &server, &[&token]);
    let blocks = out["blocks"].as_array().unwrap();
    assert!(blocks.iter().any(|b| b["node"] == "heading"), "{out}");
    let cited: Vec<&Value> = blocks.iter().filter(|b| b["node"] == "paragraph").collect();
    assert!(!cited.is_empty(), "{out}");
    for block in &cited {
        let citations = block["citations"].as_array().unwrap();
        assert!(!citations.is_empty(), "every draft paragraph is cited: {block}");
        for c in citations {
            let label = c["label"].as_str().unwrap();
            assert_eq!(c["run"].as_str().unwrap(), format!("({label})"));
            assert!(label.ends_with(&format!("p. {}", c["page"])), "{label}");
            assert!(c["document"] == "procedure_partie1" || c["document"] == "procedure_partie2", "{c}");
        }
    }
    // Written once: a second client sees the same content, not twice the draft.
    let again = run("draft", &server, &[&token]);
    assert_eq!(again["blocks"].as_array().unwrap().len(), blocks.len());
}
