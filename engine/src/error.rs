//! The one error type of the engine crate. Messages are in French: they reach users through
//! the server and the CLI.

use std::path::{Path, PathBuf};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The embedded database failed.
    #[error("base de données du moteur : {0}")]
    Database(#[from] rusqlite::Error),
    /// A file of the data directory could not be read or written.
    #[error("fichier {path} : {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// A logged record or memoized value could not be decoded.
    #[error("enregistrement illisible dans le journal du moteur : {0}")]
    Decode(#[from] serde_json::Error),
    /// An operator failed on an input.
    #[error(transparent)]
    Operator(#[from] ap_operators::Error),
    /// A document is unknown to the dossier.
    #[error("document inconnu : {0}")]
    UnknownDocument(String),
    /// Timely's cluster mode could not start (addresses, connections) or a worker failed.
    #[error("mode grappe du moteur : {0}")]
    Cluster(String),
    /// The dataflow thread stopped (a bug, reported rather than hidden).
    #[error("le moteur s'est arrêté")]
    Stopped,
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.to_path_buf(), source }
    }
}
