//! `assistant-parquet export` and the `export.zip` download: dossiers as Parquet files.
//!
//! Analysts evaluate answers on exports; this module gathers what the engine holds about each
//! dossier (documents, pages, passages, pieces, corrections), its offences and answers, and its
//! workspace annotations, and hands them to `ap_export::Exporter` one dossier at a time, so an
//! `--all` export holds one dossier's state at most. Schemas: `docs/exports.md`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ap_engine::{Engine, InputRecord};
use ap_export::{DossierExport, ExportSummary, Exporter};

use crate::dossier_cmd::EngineArgs;

/// Flags of `export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Dossier to export.
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    pub dossier: Option<String>,
    /// Export every dossier of the data directory into the same files.
    #[arg(long)]
    pub all: bool,
    /// Folder receiving the Parquet files (created if needed).
    #[arg(long)]
    pub out: PathBuf,
}

/// `export`: write the files, print one line per table.
pub fn export(args: ExportArgs) -> Result<()> {
    let engine = args.engine.open()?;
    engine.sync()?;
    let data_dir = &args.engine.data_dir;
    let dossiers = match &args.dossier {
        Some(d) => {
            if engine.with_dossier(d, |s| s.documents.is_empty()).unwrap_or(true) {
                bail!("dossier inconnu ou vide : {d}");
            }
            vec![d.clone()]
        }
        None => dossiers_of(data_dir)?,
    };
    let summary = export_dossiers(&engine, data_dir, &dossiers, &args.out)?;
    println!("{} dossier(s) exporté(s) dans {}", summary.dossiers, args.out.display());
    for (table, path, rows) in &summary.tables {
        println!("{table:<12} {rows:>9} lignes  {}", path.display());
    }
    Ok(())
}

/// Every dossier holding at least one document, from the engine's input log.
pub fn dossiers_of(data_dir: &Path) -> Result<Vec<String>> {
    let store = ap_engine::store::Store::open(&data_dir.join("engine")).context("lecture du journal du moteur")?;
    let mut documents: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for logged in store.inputs()? {
        if let Ok(InputRecord::Document { key, .. }) = serde_json::from_str::<InputRecord>(&logged.record) {
            *documents.entry((key.dossier, key.document)).or_default() += logged.diff;
        }
    }
    let mut dossiers: Vec<String> = documents.into_iter().filter(|(_, n)| *n > 0).map(|((d, _), _)| d).collect();
    dossiers.dedup();
    Ok(dossiers)
}

/// Export `dossiers` into `out`, one dossier's state in memory at a time.
pub fn export_dossiers(engine: &Engine, data_dir: &Path, dossiers: &[String], out: &Path) -> Result<ExportSummary> {
    let mut exporter = Exporter::create(out).with_context(|| format!("création de l'export dans {}", out.display()))?;
    let log = data_dir.join("workspace.sqlite3");
    for dossier in dossiers {
        let state = engine.dossier(dossier);
        let (offences, answers) = ap_export::engine_outputs(&state);
        let annotations = ap_export::annotations::read(&log, dossier)
            .with_context(|| format!("lecture des annotations du dossier {dossier}"))?;
        exporter
            .add(&DossierExport { dossier, state: &state, offences: &offences, answers: &answers, annotations: &annotations })
            .with_context(|| format!("export du dossier {dossier}"))?;
    }
    Ok(exporter.finish()?)
}

/// One dossier's export as a ZIP archive (the Parquet files, stored: they are compressed already).
pub fn export_zip(engine: &Engine, data_dir: &Path, dossier: &str) -> Result<Vec<u8>> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("assistant-parquet-export-{}-{n}", std::process::id()));
    let result = (|| {
        let summary = export_dossiers(engine, data_dir, &[dossier.to_string()], &dir)?;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (table, path, _) in &summary.tables {
            zip.start_file(format!("{dossier}/{table}.parquet"), options)?;
            zip.write_all(&std::fs::read(path)?)?;
        }
        Ok(zip.finish()?.into_inner())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `GET /api/dossiers/{dossier}/export.zip` (members only): the dossier's Parquet files.
pub async fn download(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<crate::server::AppState>>,
    member: crate::api::Member,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse as _;
    let (engine, data_dir, dossier) = (state.engine.clone(), state.settings.data_dir.clone(), member.dossier.clone());
    let zip = crate::api::blocking(move || {
        let empty = || engine.with_dossier(&dossier, |s| s.documents.is_empty()).unwrap_or(true);
        // Right after a start, the engine may still be replaying its log.
        if empty() && (engine.sync().is_err() || empty()) {
            return Ok(None);
        }
        export_zip(&engine, &data_dir, &dossier).map(Some)
    })
    .await;
    match zip {
        Ok(Ok(Some(bytes))) => {
            crate::api::audit(&state, &member.login, "téléchargement", Some(&member.dossier), Some("export Parquet")).await;
            let disposition = format!("attachment; filename=\"{}-export.zip\"", member.dossier);
            ([(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Ok(Ok(None)) => crate::error::AppError { status: StatusCode::NOT_FOUND, message: "ce dossier ne contient aucun document".into() }
            .into_response(),
        Ok(Err(e)) => crate::error::AppError::unavailable(e).into_response(),
        Err(refusal) => refusal,
    }
}
