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
    /// The embedding model failed on a text.
    #[error("erreur du modèle d'embeddings : {0}")]
    Embedding(String),
    /// The full-text index failed.
    #[error("erreur de l'index de recherche : {0}")]
    Retrieval(String),
    /// The embedded domain definition (taxonomy, question bank, pieces, articles) is inconsistent.
    #[error("définition du domaine invalide : {0}")]
    Domain(String),
    /// The PDF is protected by a password or encrypted.
    #[error("{file} : PDF chiffré ou protégé par un mot de passe ; fournissez une version sans protection")]
    Encrypted {
        /// File name.
        file: String,
    },
    /// pdfium could not open the PDF at all.
    #[error("{file} : PDF illisible ({reason})")]
    UnreadablePdf {
        /// File name.
        file: String,
        /// What pdfium reported, in French.
        reason: String,
    },
    /// The document has no page.
    #[error("{file} : le document ne contient aucune page")]
    EmptyDocument {
        /// File name.
        file: String,
    },
    /// No page of the file could be read.
    #[error("{file} : aucune page lisible ({detail})")]
    NoReadablePage {
        /// File name.
        file: String,
        /// The page problems, joined.
        detail: String,
    },
    /// One page could not be read.
    #[error("page illisible ({0})")]
    PageUnreadable(String),
    /// A page's size breaks the limits.
    #[error("page de {width:.0}×{height:.0} points, taille absurde ou au-delà de la limite ({limit:.0} points carrés)")]
    PageTooLarge {
        /// Width in points.
        width: f32,
        /// Height in points.
        height: f32,
        /// Largest accepted area in square points.
        limit: f32,
    },
    /// The file is larger than accepted.
    #[error("{file} : fichier de {bytes} octets, au-delà de la limite de {limit} octets")]
    FileTooLarge {
        /// File name.
        file: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not a document the project reads.
    #[error("{file} : format non pris en charge ({detail})")]
    UnsupportedFormat {
        /// File name.
        file: String,
        /// What it is not, in French.
        detail: String,
    },
    /// A ZIP archive could not be read or breaks the limits.
    #[error("{file} : archive refusée : {reason}")]
    Archive {
        /// File name.
        file: String,
        /// Why, in French.
        reason: String,
    },
    /// An image file could not be decoded or breaks the limits.
    #[error("{file} : {reason}")]
    Image {
        /// File name.
        file: String,
        /// Why, in French.
        reason: String,
    },
}

impl From<ort::Error> for Error {
    fn from(e: ort::Error) -> Self {
        Error::Onnx(e.to_string())
    }
}
