//! `assistant-parquet`: the one binary of Mon assistant parquet.
//!
//! Subcommands share one configuration (file + environment + flags, see [`config`]). `serve` runs
//! the HTTP API and the magistrate's web application.

mod access_cmd;
mod ask_cmd;
mod ask_http;
mod api;
mod auth;
mod auth_cmd;
mod collab;
mod config;
mod corpus;
mod corrections;
mod dossier_cmd;
mod error;
mod eval_cmd;
mod export_cmd;
mod server;
mod text_cmd;
mod throttle;

use anyhow::Result;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// Mon assistant parquet : lit les procédures pénales pour les magistrats du parquet.
#[derive(Debug, Parser)]
#[command(name = "assistant-parquet", version, about)]
struct Cli {
    /// Configuration file (TOML). Flags and environment variables override it.
    #[arg(long, global = true, env = "ASSISTANT_PARQUET_CONFIG")]
    config: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTP server and the web application.
    Serve(config::ServeArgs),
    /// Synthetic corpus of procédures with gold annotations.
    #[command(subcommand)]
    Corpus(corpus::CorpusCommand),
    /// Add files (PDF, scans) to a dossier and wait until they are read.
    Ingest(dossier_cmd::IngestArgs),
    /// Show what was read from a dossier: documents, pages, pieces.
    Show(dossier_cmd::ShowArgs),
    /// Print a dossier's text page by page (text layer or OCR), OCR fixes applied.
    Text(text_cmd::TextArgs),
    /// Write a document as a searchable PDF (invisible OCR text layer on scanned pages).
    Pdf(text_cmd::PdfArgs),
    /// Ask a free question about a dossier: the sentences that answer it, with citations.
    Ask(ask_cmd::AskArgs),
    /// Who may open which dossier in the collaborative workspace (memberships, tokens).
    #[command(subcommand)]
    Access(access_cmd::AccessCommand),
    /// Export dossiers as Parquet files (documents, pages, passages, pieces, offences, answers, citations, corrections, annotations).
    Export(export_cmd::ExportArgs),
    /// Run the whole pipeline over a corpus with gold files and judge every answer (Parquet + summary).
    Eval(eval_cmd::EvalArgs),
    /// Local accounts of the web application.
    #[command(subcommand)]
    Account(auth_cmd::AccountCommand),
    /// Read the audit log: who opened, downloaded, uploaded, corrected or deleted what, when.
    Audit(auth_cmd::AuditArgs),
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ASSISTANT_PARQUET_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let cli = Cli::parse();
    let file = config::ConfigFile::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => {
            let settings = config::Settings::resolve(&file, &args)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(server::serve(settings))
        }
        Command::Corpus(command) => corpus::run(command),
        Command::Access(command) => access_cmd::run(command),
        Command::Export(args) => export_cmd::export(args),
        Command::Eval(args) => eval_cmd::eval(args),
        Command::Account(command) => auth_cmd::account(command),
        Command::Audit(args) => auth_cmd::audit(args),
        Command::Ingest(args) => dossier_cmd::ingest(args),
        Command::Show(args) => dossier_cmd::show(args),
        Command::Text(args) => text_cmd::text(args),
        Command::Pdf(args) => text_cmd::pdf(args),
        Command::Ask(args) => ask_cmd::ask(args),
    }
}
