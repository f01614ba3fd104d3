//! Timely's cluster mode: the same dossier ingested by one process and by two processes on
//! loopback (two runs of the real binary, a hosts file of two free ports) gives the same
//! documents, page texts, pieces, offences, answers and citations, and both processes read
//! some of its scanned pages.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(300);

/// Run the binary with `args`; returns (stdout, stderr), failing on a non-zero exit.
fn run(args: &[&str]) -> (String, String) {
    let mut cmd = Command::new(ap_tests::binary());
    cmd.args(args).env("OMP_THREAD_LIMIT", "1");
    let (status, stdout, stderr) = ap_tests::run_with_timeout(&mut cmd, LIMIT).unwrap();
    assert!(status.success(), "{args:?}: {stderr}");
    (stdout, stderr)
}

/// The JSON object printed by `show --json` (timely prints a line of its own before it while
/// the processes connect).
fn json_of(stdout: &str) -> Value {
    let start = stdout.find("\n{").map_or(0, |i| i + 1);
    serde_json::from_str(&stdout[start..]).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// What must not depend on how many processes computed it (per-process work counters do).
fn result(mut show: Value) -> Value {
    let object = show.as_object_mut().unwrap();
    object.remove("extractions_run");
    object.remove("pages_ocr_run");
    show
}

/// Two distinct free ports (both listeners held until both are chosen).
fn free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let b = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    (a.local_addr().unwrap().port(), b.local_addr().unwrap().port())
}

/// Run `args` (with the cluster flags of process `i`) on both processes at once; returns
/// process 0's stdout.
fn on_two_processes(hosts: &Path, data: [&Path; 2], stats: [&Path; 2], args: &[&str]) -> String {
    let cluster = |i: usize| -> Vec<String> {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.extend([
            "--data-dir".into(),
            data[i].display().to_string(),
            "--processes".into(),
            "2".into(),
            "--process-id".into(),
            i.to_string(),
            "--hosts".into(),
            hosts.display().to_string(),
            "--stats".into(),
            stats[i].display().to_string(),
        ]);
        a
    };
    let second = cluster(1);
    let node = std::thread::spawn(move || {
        let args: Vec<&str> = second.iter().map(String::as_str).collect();
        run(&args)
    });
    let first = cluster(0);
    let (stdout, _) = run(&first.iter().map(String::as_str).collect::<Vec<_>>());
    let (_, node_stderr) = node.join().unwrap();
    assert!(node_stderr.contains("processus 1 :"), "{node_stderr}");
    stdout
}

fn stats(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn one_process_and_two_processes_give_the_same_dossier() {
    let file: PathBuf = ap_tests::project_root().join("datasets/sample/D000003/procedure.pdf");
    let file = file.to_str().unwrap();
    let gold: Value =
        serde_json::from_str(&std::fs::read_to_string(ap_tests::project_root().join("datasets/sample/D000003/gold.json")).unwrap())
            .unwrap();
    let scanned = gold["documents"][0]["pages"].as_array().unwrap().iter().filter(|p| p["mode"] == "scanned").count();
    assert!(scanned >= 2, "the dossier must have scanned pages to spread");

    // One process.
    let alone = tempfile::tempdir().unwrap();
    let alone_dir = alone.path().to_str().unwrap();
    run(&["ingest", "--dossier", "x", "--data-dir", alone_dir, file]);
    let (stdout, _) = run(&["show", "--dossier", "x", "--json", "--pages", "--data-dir", alone_dir]);
    let one = json_of(&stdout);
    assert_eq!(one["progress"]["pages_ocr"].as_u64().unwrap() as usize, scanned, "{one}");
    assert!(!one["answers"].as_array().unwrap().is_empty() && !one["offences"].as_array().unwrap().is_empty(), "{one}");

    // Two processes on loopback, each with its own data directory (its own memo).
    let work = tempfile::tempdir().unwrap();
    let hosts = work.path().join("hosts");
    let (port0, port1) = free_ports();
    std::fs::write(&hosts, format!("127.0.0.1:{port0}\n127.0.0.1:{port1}\n")).unwrap();
    let data = [work.path().join("p0"), work.path().join("p1")];
    let ingest_stats = [work.path().join("ingest0.json"), work.path().join("ingest1.json")];
    on_two_processes(&hosts, [&data[0], &data[1]], [&ingest_stats[0], &ingest_stats[1]], &["ingest", "--dossier", "x", file]);
    let (first, second) = (stats(&ingest_stats[0]), stats(&ingest_stats[1]));
    let (read0, read1) = (first["pages_ocr_run"].as_u64().unwrap(), second["pages_ocr_run"].as_u64().unwrap());
    assert!(read0 > 0 && read1 > 0, "both processes read pages: {first} {second}");
    assert_eq!((read0 + read1) as usize, scanned, "each scanned page read once: {first} {second}");

    // `show` in cluster mode: the same result, nothing read again anywhere.
    let show_stats = [work.path().join("show0.json"), work.path().join("show1.json")];
    let stdout = on_two_processes(&hosts, [&data[0], &data[1]], [&show_stats[0], &show_stats[1]], &["show", "--dossier", "x", "--json", "--pages"]);
    let two = json_of(&stdout);
    assert_eq!(result(two.clone()), result(one.clone()), "two processes, same dossier");
    assert_eq!(two["extractions_run"], 0, "{two}");
    assert_eq!(stats(&show_stats[0])["pages_ocr_run"], 0);
    assert_eq!(stats(&show_stats[1])["pages_ocr_run"], 0);

    // Process 0's memo kept the pages process 1 read: alone, it reads nothing either.
    let (stdout, _) = run(&["show", "--dossier", "x", "--json", "--pages", "--data-dir", data[0].to_str().unwrap()]);
    let again = json_of(&stdout);
    assert_eq!(again["pages_ocr_run"], 0, "{again}");
    assert_eq!(result(again), result(one));
}
