//! The error type of the export crate (messages in French: the user of the CLI reads them).

use std::path::{Path, PathBuf};

/// What can go wrong while exporting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("fichier {path} : {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("écriture Parquet : {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("conversion Arrow : {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("table {0} : ligne invalide ({1})")]
    Row(&'static str, String),
    #[error("table inconnue : {0}")]
    UnknownTable(String),
    #[error("espace de travail : {0}")]
    Workspace(#[from] ap_workspace::Error),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.to_path_buf(), source }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
