//! Workspace load, side by side: the `assistant-parquet` WebSocket rooms against the reference
//! y-websocket backend (`@y/websocket-server`, Node), same client workload, same machine.
//!
//! For 50 and 200 clients in one room, each sending small Yjs edits at a fixed rate
//! (`tests/js/workspace-load.mjs`), it prints throughput (edits delivered per second to each
//! observer), p50/p99 fan-out latency, server CPU (cores used over the run) and memory (peak RSS
//! and RSS growth), with the ratio reference / ours (above 1: ours is better). Durability differs:
//! our server fsyncs every batch before broadcasting it; the reference keeps rooms in memory only.
//! So our fan-out latency can never be below the disk's fsync latency: before each size the bench
//! measures it (`fdatasync` of small appends, in the temporary directory the server's data goes
//! to) and prints it with the load average, to read the latencies against.
//!
//! `cargo bench -p ap-benches --bench workspace` (needs `make setup` for tests/js/node_modules and a
//! built binary: `cargo build -p ap-web`, or `--release`, or ASSISTANT_PARQUET_BIN).
//! Knobs: WORKSPACE_BENCH_SECONDS (10), WORKSPACE_BENCH_RATE (edits per client per second, 5),
//! WORKSPACE_BENCH_CLIENTS ("50,200"), WORKSPACE_BENCH_DATA_DIR (where our server's data directory
//! is made, the system's temporary directory by default: on a tmpfs such as /dev/shm, fsync costs
//! nothing, which shows what our server costs apart from the disk).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("ASSISTANT_PARQUET_BIN") {
        return p.into();
    }
    let release = root().join("target/release/assistant-parquet");
    if release.is_file() { release } else { root().join("target/debug/assistant-parquet") }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// CPU seconds (user + system) a process used so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// (VmRSS, VmHWM) in MiB.
fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// p50 and p99 of `fdatasync` after a small append, in ms, on the disk of the temporary directory.
fn fsync_latency_ms() -> (f64, f64) {
    use std::io::Write;
    let dir = data_tempdir();
    let mut file = std::fs::File::create(dir.path().join("probe")).unwrap();
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            file.write_all(&[7u8; 100]).unwrap();
            let t = std::time::Instant::now();
            file.sync_data().unwrap();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

/// A temporary directory under WORKSPACE_BENCH_DATA_DIR, or the system's temporary directory.
fn data_tempdir() -> tempfile::TempDir {
    match std::env::var_os("WORKSPACE_BENCH_DATA_DIR") {
        Some(parent) => tempfile::tempdir_in(parent).unwrap(),
        None => tempfile::tempdir().unwrap(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_port(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server on port {port} did not start");
}

struct Running {
    child: Child,
    url: String,
    token: Option<String>,
    _data: Option<tempfile::TempDir>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_ours() -> Running {
    let data = data_tempdir();
    let out = Command::new(binary())
        .args(["access", "grant", "--dossier", "bench", "--user", "bench", "--role", "redacteur", "--data-dir"])
        .arg(data.path())
        .output()
        .expect("run assistant-parquet (cargo build -p ap-web first)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let port = free_port();
    let child = Command::new(binary())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data.path())
        .args(["--ws-max-messages-per-second", "1000"])
        .env("ASSISTANT_PARQUET_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running { child, url: format!("ws://127.0.0.1:{port}/ws/bench"), token: Some(token), _data: Some(data) };
    let stdout = running.child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("écoute sur") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    running
}

fn start_reference() -> Running {
    let port = free_port();
    let child = Command::new("node")
        .arg(root().join("tests/js/node_modules/@y/websocket-server/src/server.js"))
        .current_dir(root().join("tests/js"))
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node");
    wait_port(port);
    Running { child, url: format!("ws://127.0.0.1:{port}/bench"), token: None, _data: None }
}

#[derive(Debug)]
struct Figures {
    delivered_per_s: f64,
    delivered_ratio: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_cores: f64,
    peak_rss_mib: f64,
    rss_growth_mib: f64,
}

fn measure(server: Running, clients: usize, seconds: u64, rate: f64) -> Figures {
    let pid = server.child.id();
    std::thread::sleep(Duration::from_millis(300));
    let (rss_before, _) = memory_mib(pid);
    let cpu_before = cpu_seconds(pid);
    let t0 = std::time::Instant::now();
    let mut cmd = Command::new("node");
    cmd.arg(root().join("tests/js/workspace-load.mjs"))
        .args([&server.url, &clients.to_string(), &seconds.to_string(), &rate.to_string()])
        .current_dir(root().join("tests/js"));
    if let Some(t) = &server.token {
        cmd.arg(t);
    }
    let out = cmd.output().expect("node");
    assert!(out.status.success(), "load failed: {}", String::from_utf8_lossy(&out.stderr));
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu_before;
    let (_, peak) = memory_mib(pid);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    Figures {
        delivered_per_s: f("deliveredPerSecond"),
        delivered_ratio: f("deliveredRatio"),
        p50_ms: f("p50ms"),
        p99_ms: f("p99ms"),
        cpu_cores: cpu / wall,
        peak_rss_mib: peak,
        rss_growth_mib: peak - rss_before,
    }
}

fn main() {
    if !root().join("tests/js/node_modules/@y/websocket-server").is_dir() {
        eprintln!("workspace bench skipped: run `make setup` (tests/js/node_modules)");
        return;
    }
    let seconds: u64 = env_or("WORKSPACE_BENCH_SECONDS", 10);
    let rate: f64 = env_or("WORKSPACE_BENCH_RATE", 5.0);
    let sizes: Vec<usize> = std::env::var("WORKSPACE_BENCH_CLIENTS")
        .unwrap_or_else(|_| "50,200".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!("workspace load: {seconds} s, {rate} edits/client/s, server binary {}", binary().display());
    println!(
        "{:>7} {:<10} {:>12} {:>9} {:>8} {:>8} {:>9} {:>10} {:>11}",
        "clients", "server", "delivered/s", "ratio", "p50 ms", "p99 ms", "cpu cores", "peak MiB", "growth MiB"
    );
    for clients in sizes {
        let (fsync_p50, fsync_p99) = fsync_latency_ms();
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        println!(
            "fdatasync where our log goes: p50 {fsync_p50:.2} ms, p99 {fsync_p99:.2} ms; load average {}",
            load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
        let ours = measure(start_ours(), clients, seconds, rate);
        let reference = measure(start_reference(), clients, seconds, rate);
        for (name, x) in [("ours", &ours), ("reference", &reference)] {
            println!(
                "{:>7} {:<10} {:>12.1} {:>9.4} {:>8.2} {:>8.2} {:>9.3} {:>10.1} {:>11.1}",
                clients, name, x.delivered_per_s, x.delivered_ratio, x.p50_ms, x.p99_ms, x.cpu_cores, x.peak_rss_mib, x.rss_growth_mib
            );
        }
        println!(
            "{:>7} {:<10} {:>12.2} {:>9} {:>8.2} {:>8.2} {:>9.2} {:>10.2} {:>11.2}   (reference / ours; throughput ours / reference)",
            clients,
            "ratio",
            ours.delivered_per_s / reference.delivered_per_s,
            "",
            reference.p50_ms / ours.p50_ms,
            reference.p99_ms / ours.p99_ms,
            reference.cpu_cores / ours.cpu_cores,
            reference.peak_rss_mib / ours.peak_rss_mib,
            reference.rss_growth_mib / ours.rss_growth_mib,
        );
    }
}
