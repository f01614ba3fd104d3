//! `assistant-parquet access …`: manage who may open which dossier until accounts exist.
//!
//! `access grant` makes a user a member of a dossier with a role and prints a fresh token for
//! them (the only time it is shown; the data directory keeps its hash).

use std::path::PathBuf;

use anyhow::{Context, Result};
use ap_workspace::{Access, Role};

/// Subcommands of `access`.
#[derive(Debug, clap::Subcommand)]
pub enum AccessCommand {
    /// Make a user a member of a dossier and print a new access token for them.
    Grant {
        /// Data directory of the server.
        #[arg(long, env = "ASSISTANT_PARQUET_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Dossier id.
        #[arg(long)]
        dossier: String,
        /// User id.
        #[arg(long)]
        user: String,
        /// `lecteur` (read-only) or `redacteur`.
        #[arg(long)]
        role: String,
    },
    /// Remove a user from a dossier.
    Revoke {
        #[arg(long, env = "ASSISTANT_PARQUET_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        #[arg(long)]
        dossier: String,
        #[arg(long)]
        user: String,
    },
}

/// The access database inside a data directory.
pub fn access_db(data_dir: &std::path::Path) -> Result<Access> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("création du dossier de données {}", data_dir.display()))?;
    Access::open(&data_dir.join("access.sqlite3")).context("ouverture de la base des accès")
}

/// Run an `access` subcommand.
pub fn run(command: AccessCommand) -> Result<()> {
    match command {
        AccessCommand::Grant { data_dir, dossier, user, role } => {
            let role: Role = role.parse()?;
            let access = access_db(&data_dir)?;
            access.grant(&dossier, &user, role)?;
            let token = access.issue_token(&user)?;
            println!("{token}");
            eprintln!("{user} est {} du dossier {dossier} ; jeton ci-dessus (affiché une seule fois).", role.as_str());
        }
        AccessCommand::Revoke { data_dir, dossier, user } => {
            access_db(&data_dir)?.revoke(&dossier, &user)?;
            eprintln!("{user} n'a plus accès au dossier {dossier}.");
        }
    }
    Ok(())
}
