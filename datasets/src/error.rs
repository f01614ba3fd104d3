//! The one error type of the datasets crate.
//!
//! Messages are in French: the corpus command of the binary shows them to whoever runs it.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading the domain data or generating a corpus.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A data file shipped with the crate does not parse or is inconsistent.
    #[error("données du domaine invalides ({file}) : {reason}")]
    Data { file: &'static str, reason: String },
    /// A generator parameter is out of range.
    #[error("paramètre invalide : {0}")]
    Parameter(String),
    /// Writing the corpus failed.
    #[error("écriture impossible de {path} : {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Rendering a page to make its scanned variant failed.
    #[error(transparent)]
    Operators(#[from] ap_operators::Error),
    /// pdfium reported an error while rendering a page.
    #[error("erreur PDF lors de la numérisation simulée : {0}")]
    Pdf(#[from] pdfium_render::prelude::PdfiumError),
    /// Encoding a scanned page failed.
    #[error("encodage JPEG impossible : {0}")]
    Image(#[from] image::ImageError),
    /// A font file could not be read.
    #[error("police illisible : {0}")]
    Font(String),
    /// The text layer pdfium reads back does not match what was written.
    #[error("couche texte relue incohérente : {0}")]
    TextLayer(String),
    /// Serialising a gold file failed.
    #[error("sérialisation JSON impossible : {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }
}
