//! Shared helpers of the end-to-end tests: where the project is, how to start the real
//! `assistant-parquet` binary on a free port, how to run the Node clients in `tests/js`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Root of the source tree.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The `assistant-parquet` binary built beside this test binary (`make test` builds it first),
/// or the one named by `ASSISTANT_PARQUET_BIN`.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("ASSISTANT_PARQUET_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/tests-<hash> → target/<profile>/assistant-parquet
    let bin = exe.parent().and_then(Path::parent).expect("target dir").join("assistant-parquet");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p ap-web` (make test does)",
        bin.display()
    );
    bin
}

/// A running server, killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// Its data directory, removed when dropped.
    pub data_dir: tempfile::TempDir,
    /// Lines it printed on stdout before the listening line (e.g. the demonstration account).
    pub banner: Vec<String>,
}

impl Server {
    /// Start `assistant-parquet serve` on a free port with a fresh data directory and `extra` args.
    pub fn start(extra: &[&str]) -> Result<Self> {
        Self::start_in(tempfile::tempdir()?, extra)
    }

    /// Start the server on an existing data directory (e.g. the one of a killed server).
    pub fn start_in(data_dir: tempfile::TempDir, extra: &[&str]) -> Result<Self> {
        let mut child = Command::new(binary())
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path())
            .args(extra)
            .env_remove("ASSISTANT_PARQUET_ADDR")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("spawn assistant-parquet")?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut banner = Vec::new();
        let url = loop {
            match lines.next() {
                Some(line) => {
                    let line = line?;
                    if let Some(rest) = line.split("écoute sur ").nth(1) {
                        break rest.trim().to_string();
                    }
                    banner.push(line);
                }
                None => {
                    let status = child.wait()?;
                    bail!("server exited before listening: {status}");
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Self { child, url, data_dir, banner })
    }

    /// Kill the server with SIGKILL (no shutdown code runs) and hand back its data directory.
    pub fn kill(mut self) -> Result<tempfile::TempDir> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(std::mem::replace(&mut self.data_dir, tempfile::tempdir()?))
    }

    /// Run `assistant-parquet args…` against this server's data directory (e.g. `access grant`)
    /// and return its stdout.
    pub fn command(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(binary()).args(args).arg("--data-dir").arg(self.data_dir.path()).output()?;
        if !out.status.success() {
            bail!("assistant-parquet {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    /// A blocking HTTP client with a sane timeout.
    pub fn client(&self) -> reqwest::blocking::Client {
        reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().expect("client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run `node tests/js/<script> args…` and return its stdout; fails with stderr on a non-zero exit.
pub fn node(script: &str, args: &[&str]) -> Result<String> {
    let dir = project_root().join("tests/js");
    let out = Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .current_dir(&dir)
        .output()
        .context("run node (is Node.js installed? `make setup` installs the test clients)")?;
    if !out.status.success() {
        bail!(
            "node {script} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Run `cmd` to completion, killing it after `limit`; returns (exit status, stdout, stderr).
/// Guards tests whose failure mode is "the program keeps running" (e.g. a server that should
/// have refused to start).
pub fn run_with_timeout(
    cmd: &mut Command,
    limit: Duration,
) -> Result<(std::process::ExitStatus, String, String)> {
    use std::io::Read;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    // Drain both pipes while waiting: a child writing more than a pipe holds would otherwise
    // block forever.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = err.join().unwrap_or_default();
            bail!("still running after {limit:?}, killed; stderr:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok((status, out.join().unwrap_or_default(), err.join().unwrap_or_default()))
}

/// A TrueType font with the French repertoire (accents, œ, « »), installed by `make setup`.
pub const DEJAVU_SANS: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Character error rate: edit distance from `hypothesis` to `reference`, over the reference
/// length.
pub fn cer(reference: &str, hypothesis: &str) -> f32 {
    let r: Vec<char> = reference.chars().collect();
    let h: Vec<char> = hypothesis.chars().collect();
    let mut prev: Vec<usize> = (0..=h.len()).collect();
    for i in 1..=r.len() {
        let mut cur = vec![i; h.len() + 1];
        for j in 1..=h.len() {
            let cost = usize::from(r[i - 1] != h[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[h.len()] as f32 / r.len().max(1) as f32
}

/// `text`'s words in lines of at most `width` characters (a longer word stands alone).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// Run `assistant-parquet corpus generate --out OUT ARGS…` (five minutes at most).
pub fn corpus_generate(out: &Path, args: &[&str]) {
    let (status, _, stderr) = run_with_timeout(
        Command::new(binary()).args(["corpus", "generate", "--out"]).arg(out).args(args),
        Duration::from_secs(300),
    )
    .expect("corpus generate runs");
    assert!(status.success(), "corpus generate failed: {stderr}");
}

/// The dossier folders (those with a `gold.json`) of a corpus, sorted.
pub fn dossier_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("gold.json").is_file()).collect();
    v.sort();
    v
}
