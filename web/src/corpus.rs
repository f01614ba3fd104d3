//! `assistant-parquet corpus generate`: writes a synthetic corpus of procédures with their gold
//! files (see `datasets/README.md`). The work is done by [`ap_datasets::generate`]; this module
//! only reads the flags and reports progress on stderr.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

/// Corpus commands.
#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Generate synthetic procédures (PDF) with their gold annotations.
    Generate(GenerateArgs),
    /// Write the fixed sample committed under datasets/sample (a few short dossiers, native,
    /// scanned and mixed).
    Sample(SampleArgs),
}

/// Flags of `corpus sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Output folder, e.g. datasets/sample.
    #[arg(long)]
    out: PathBuf,
}

/// Flags of `corpus generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output folder (created if needed): one sub-folder per dossier and a manifest.json.
    #[arg(long)]
    out: PathBuf,
    /// Number of dossiers.
    #[arg(long, default_value_t = 10)]
    count: u64,
    /// Seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Page count of a dossier, MIN..MAX (or a single number).
    #[arg(long, default_value = "5..40")]
    pages: String,
    /// Expected share of scanned (image-only) pages, between 0 and 1.
    #[arg(long, default_value_t = 0.25)]
    scanned: f64,
    /// Worker threads (default: the number of CPUs).
    #[arg(long)]
    threads: Option<usize>,
}

/// Run a corpus command.
pub fn run(command: CorpusCommand) -> Result<()> {
    match command {
        CorpusCommand::Generate(args) => generate(args),
        CorpusCommand::Sample(args) => {
            let ids = ap_datasets::sample::write(&args.out)
                .with_context(|| format!("écriture de l'échantillon dans {}", args.out.display()))?;
            eprintln!("{} dossiers écrits dans {} : {}", ids.len(), args.out.display(), ids.join(", "));
            Ok(())
        }
    }
}

fn generate(args: GenerateArgs) -> Result<()> {
    let pages = ap_datasets::generate::parse_pages(&args.pages)?;
    let params = ap_datasets::generate::Params { seed: args.seed, count: args.count, pages, scanned: args.scanned, forced_scans: None };
    params.check()?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let start = Instant::now();
    let done = AtomicUsize::new(0);
    let total = args.count;
    let manifest = ap_datasets::generate::corpus_with_progress(&params, &args.out, threads, &|entry| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        eprintln!(
            "[{n}/{total}] {} : {} pages ({} numérisées), {}",
            entry.dossier,
            entry.pages,
            entry.scanned_pages,
            entry.categories.join(", ")
        );
    })
    .with_context(|| format!("génération du corpus dans {}", args.out.display()))?;
    let pages: usize = manifest.dossiers.iter().map(|d| d.pages).sum();
    eprintln!(
        "{} dossiers, {pages} pages écrits dans {} en {:.1} s",
        manifest.dossiers.len(),
        args.out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
