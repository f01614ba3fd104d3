//! The one error type of the workspace crate: storage, protocol and access failures.
//!
//! Messages are in French: some reach the user (a refused connection, an invalid dossier id).

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in a room, its durable log or the access checks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQLite database (update log, access tables) failed.
    #[error("base de données de l'espace de travail : {0}")]
    Storage(#[from] rusqlite::Error),
    /// The log writer failed to commit, or has stopped.
    #[error("journal de l'espace de travail : {0}")]
    Log(String),
    /// A stored snapshot or update could not be read back.
    #[error("journal du dossier {dossier} illisible : {reason}")]
    CorruptLog { dossier: String, reason: String },
    /// A message from a client is not a valid y-sync message or update.
    #[error("message invalide : {0}")]
    Malformed(String),
    /// A read-only member tried to change the document, or a client wrote a server-only type.
    #[error("modification refusée : {0}")]
    Forbidden(String),
    /// The dossier id is not acceptable (empty, too long, odd characters).
    #[error("identifiant de dossier invalide : « {0} »")]
    InvalidDossier(String),
    /// A role name that is neither `lecteur` nor `redacteur`.
    #[error("rôle inconnu : « {0} » (attendu : lecteur ou redacteur)")]
    UnknownRole(String),
    /// The correction sink refused or failed to record a correction.
    #[error("enregistrement de la correction impossible : {0}")]
    CorrectionSink(String),
}
