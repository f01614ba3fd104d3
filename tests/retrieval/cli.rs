//! `assistant-parquet ask` end to end on the committed sample dossier D000002: the extractive
//! answer with citations, and the optional generative backend against a local
//! OpenAI-compatible HTTP server (`openai_replay.py`, a recorded exchange: see its doc for why
//! not a real model), whose invented citations must be rejected; without configuration no
//! request is made.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ap_tests::{binary, project_root, run_with_timeout};
use serde_json::Value;

struct Replay(Child);

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_replay(dir: &Path) -> (Replay, u16) {
    let port_file = dir.join("port");
    let child = Command::new("python3")
        .arg(project_root().join("tests/retrieval/openai_replay.py"))
        .arg(&port_file)
        .arg(dir.join("requests.jsonl"))
        .stdout(Stdio::null())
        .spawn()
        .expect("python3");
    let replay = Replay(child);
    let start = Instant::now();
    while !port_file.is_file() {
        assert!(start.elapsed() < Duration::from_secs(20), "replay server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (replay, std::fs::read_to_string(&port_file).unwrap().trim().parse().unwrap())
}

fn run(args: &[&str]) -> (bool, String, String) {
    let (status, out, err) = run_with_timeout(Command::new(binary()).args(args), Duration::from_secs(300)).expect("binary runs");
    (status.success(), out, err)
}

#[test]
fn ask_cli_answers_with_citations_and_verifies_generated_citations() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data = data.to_str().unwrap();
    let pdf = project_root().join("datasets/sample/D000002/procedure.pdf");
    let (ok, _, err) = run(&["ingest", "--data-dir", data, "--dossier", "d2", pdf.to_str().unwrap()]);
    assert!(ok, "ingest: {err}");

    let (replay, port) = start_replay(tmp.path());
    let log = tmp.path().join("requests.jsonl");
    let question = "Quel est le taux d'alcool dans le sang ?";

    // Not configured: extractive answer only, and no request reaches the server.
    let (ok, out, err) = run(&["ask", "--bm25", "--json", "--data-dir", data, "--dossier", "d2", question]);
    assert!(ok, "ask: {err}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["status"], "found", "{answer}");
    assert!(answer["text"].as_str().unwrap().contains("1,61"), "{answer}");
    let citation = &answer["sentences"][0]["citations"][0];
    assert_eq!(citation["document"], "procedure");
    assert!(citation["page"].as_u64().unwrap() >= 1 && !citation["boxes"].as_array().unwrap().is_empty());
    assert!(answer["generated"].is_null());
    assert!(!log.exists(), "a request left without configuration");

    // Configured: the prompt holds the retrieved passages with ids; invented citations are rejected.
    let url = format!("http://127.0.0.1:{port}/v1");
    let (ok, out, err) = run(&[
        "ask", "--bm25", "--json", "--data-dir", data, "--dossier", "d2", "--llm-url", &url, "--llm-model", "gemma-3-270m",
        "--llm-key", "clef-de-test", question,
    ]);
    assert!(ok, "ask with backend: {err}");
    let answer: Value = serde_json::from_str(&out).unwrap();
    let generated = &answer["generated"];
    let sentences = generated["sentences"].as_array().unwrap();
    assert_eq!(sentences.len(), 3, "{generated}");
    assert!(sentences[0]["rejected"].is_null(), "{generated}");
    assert!(!sentences[0]["citations"].as_array().unwrap().is_empty());
    assert!(sentences[0]["citations"][0]["quote"].as_str().unwrap().contains("1,61"));
    assert!(sentences[1]["rejected"].as_str().unwrap().contains("introuvable"), "{generated}");
    assert!(sentences[2]["rejected"].as_str().unwrap().contains("inexistante"), "{generated}");
    let shown = generated["text"].as_str().unwrap();
    assert!(shown.contains("1,61") && !shown.contains("dix bières") && !shown.contains("2019"), "{shown}");

    let requests: Vec<Value> = std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["path"], "/v1/chat/completions");
    assert_eq!(requests[0]["authorization"], "Bearer clef-de-test");
    assert_eq!(requests[0]["body"]["model"], "gemma-3-270m");
    let user = requests[0]["body"]["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("[P1]") && user.contains(question), "{user}");
    // Only the retrieved passages: at most 5 ids.
    assert!(!user.contains("[P6]"), "{user}");
    drop(replay);
}
