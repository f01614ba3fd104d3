//! The one error type of the operators crate.
//!
//! Messages are in French: they reach magistrates and court IT staff through the UI and the CLI.

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside an operator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A native library the project installs itself could not be found or loaded.
    #[error(
        "bibliothèque native « {name} » introuvable ou inutilisable (cherchée dans : {searched}) : {reason}. \
         Lancez `make setup` à la racine du projet pour l'installer, ou indiquez son dossier avec \
         ASSISTANT_PARQUET_LIB_DIR."
    )]
    NativeLibrary {
        /// File name of the library, e.g. `libpdfium.so`.
        name: &'static str,
        /// Folders that were searched, joined for display.
        searched: String,
        /// What went wrong when the library was found but did not load.
        reason: String,
    },
    /// A model file installed by the setup step is missing.
    #[error("fichier de modèle introuvable : {0}. Lancez `make setup` pour l'installer.")]
    ModelMissing(PathBuf),
    /// pdfium reported an error.
    #[error("erreur PDF : {0}")]
    Pdf(#[from] pdfium_render::prelude::PdfiumError),
    /// tesseract reported an error.
    #[error("erreur OCR (tesseract) : {0}")]
    Ocr(String),
    /// onnxruntime reported an error.
    #[error("erreur du moteur de modèles (onnxruntime) : {0}")]
    Onnx(String),
    /// The embedded domain definition (taxonomy, question bank, pieces, articles) is inconsistent.
    #[error("définition du domaine invalide : {0}")]
    Domain(String),
}

impl From<ort::Error> for Error {
    fn from(e: ort::Error) -> Self {
        Error::Onnx(e.to_string())
    }
}
