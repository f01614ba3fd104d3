//! `assistant-parquet account …` and `assistant-parquet audit`: manage local accounts and read
//! the audit log from the command line (court IT runs these on the server).

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::auth::{Accounts, rfc3339};

/// Subcommands of `account`.
#[derive(Debug, clap::Subcommand)]
pub enum AccountCommand {
    /// Create an account (or change its name and password). The password is read from stdin
    /// with `--password-stdin`, otherwise generated and printed once.
    Add {
        #[arg(long, env = "ASSISTANT_PARQUET_DATA_DIR", default_value = "data")]
        data_dir: PathBuf,
        /// Login (lowercase letters, digits, `.`, `-`, `_`).
        #[arg(long)]
        login: String,
        /// Full name shown to the other members.
        #[arg(long)]
        nom: String,
        /// Read the password from standard input (first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Flags of `audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[arg(long, env = "ASSISTANT_PARQUET_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Only this dossier.
    #[arg(long)]
    dossier: Option<String>,
    /// Only this login.
    #[arg(long)]
    login: Option<String>,
    /// The last N lines.
    #[arg(long, default_value_t = 100)]
    limit: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

/// Run an `account` subcommand.
pub fn account(command: AccountCommand) -> Result<()> {
    match command {
        AccountCommand::Add { data_dir, login, nom, password_stdin } => {
            let accounts = Accounts::open_in(&data_dir)?;
            let (password, generated) = if password_stdin {
                let mut input = String::new();
                std::io::stdin().read_to_string(&mut input).context("lecture du mot de passe sur l'entrée standard")?;
                (input.lines().next().unwrap_or_default().to_string(), false)
            } else {
                (crate::auth::generate_password(), true)
            };
            accounts.upsert_account(&login, &nom, &password)?;
            if generated {
                println!("{password}");
                eprintln!("Compte « {login} » ({nom}) enregistré ; mot de passe ci-dessus (affiché une seule fois).");
            } else {
                eprintln!("Compte « {login} » ({nom}) enregistré.");
            }
        }
    }
    Ok(())
}

/// `audit`: print the audit log.
pub fn audit(args: AuditArgs) -> Result<()> {
    let accounts = Accounts::open_in(&args.data_dir)?;
    for e in accounts.audit_entries(args.dossier.as_deref(), args.login.as_deref(), args.limit)? {
        if args.json {
            let mut value = serde_json::to_value(&e)?;
            value["time"] = serde_json::Value::String(rfc3339(e.time));
            println!("{value}");
        } else {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                rfc3339(e.time),
                e.login,
                e.action,
                e.dossier.as_deref().unwrap_or("-"),
                e.object.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(())
}
