//! Local accounts, sessions, the dossier register and the audit log (`data_dir/accounts.sqlite3`).
//!
//! Why here: the API needs to know who is calling before it shows a dossier. A magistrate logs in
//! with a local account (password hashed with argon2id, never stored in clear); a session is a
//! random cookie value of which only the SHA-256 is stored, with an expiry and a CSRF token bound
//! to it. Memberships stay in [`ap_workspace::Access`] (a member is an account login), so the
//! WebSocket and the HTTP API share one answer to "may this person open this dossier". Every
//! opening, download, upload, correction and deletion is written to the `audit` table, read back
//! with `assistant-parquet audit`. The `[auth]` section of the configuration says `mode = "local"`;
//! an OpenID Connect mode would add a second way to create a session, the rest stays.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ap_session";
/// Header carrying the CSRF token on every non-GET request.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts, in seconds (a working day and a half).
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// A logged-in session.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Session {
    pub login: String,
    pub nom: String,
    pub csrf: String,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    /// Unix time, seconds.
    pub time: i64,
    pub login: String,
    /// `connexion`, `ouverture`, `téléchargement`, `dépôt`, `correction`, `suppression`, …
    pub action: String,
    pub dossier: Option<String>,
    /// What was acted on (a document id, a correction, an export…).
    pub object: Option<String>,
}

/// The accounts database.
#[derive(Debug)]
pub struct Accounts {
    db: Connection,
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A password of 16 letters and digits that reads without ambiguity (no 0/O, 1/l).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// Check a login: 1 to 64 characters among lowercase letters, digits, `.`, `-`, `_`.
pub fn check_login(login: &str) -> Result<()> {
    let ok = !login.is_empty()
        && login.len() <= 64
        && login.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if !ok {
        bail!("identifiant invalide « {login} » : lettres minuscules, chiffres, « . », « - » ou « _ », 64 caractères au plus");
    }
    Ok(())
}

fn hash_password(password: &str) -> Result<String> {
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    let salt = SaltString::encode_b64(&raw).map_err(|e| anyhow::anyhow!("sel du mot de passe : {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hachage du mot de passe impossible : {e}"))?
        .to_string())
}

impl Accounts {
    /// Open (or create) the accounts database of a data directory.
    pub fn open_in(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("création du dossier de données {}", data_dir.display()))?;
        Self::open(&data_dir.join("accounts.sqlite3"))
    }

    /// Open (or create) the accounts database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = ap_engine::store::open_durable(path).context("ouverture de la base des comptes")?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS accounts (
                 login      TEXT PRIMARY KEY,
                 nom        TEXT NOT NULL,
                 hash       TEXT NOT NULL,
                 created_at INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS sessions (
                 hash       TEXT PRIMARY KEY,
                 login      TEXT NOT NULL REFERENCES accounts (login) ON DELETE CASCADE,
                 csrf       TEXT NOT NULL,
                 expires_at INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS dossiers (
                 id         TEXT PRIMARY KEY,
                 nom        TEXT NOT NULL,
                 created_by TEXT NOT NULL,
                 created_at INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS audit (
                 seq     INTEGER PRIMARY KEY AUTOINCREMENT,
                 time    INTEGER NOT NULL,
                 login   TEXT NOT NULL,
                 action  TEXT NOT NULL,
                 dossier TEXT,
                 object  TEXT
             );
             CREATE INDEX IF NOT EXISTS audit_by_dossier ON audit (dossier, seq);",
        )?;
        Ok(Self { db })
    }

    /// Create an account, or change the name and password of an existing one.
    pub fn upsert_account(&self, login: &str, nom: &str, password: &str) -> Result<()> {
        check_login(login)?;
        if password.chars().count() < 12 {
            bail!("mot de passe trop court : 12 caractères au moins");
        }
        let hash = hash_password(password)?;
        self.db.execute(
            "INSERT INTO accounts (login, nom, hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (login) DO UPDATE SET nom = excluded.nom, hash = excluded.hash",
            params![login, nom.trim(), hash, now()],
        )?;
        // A new password ends the account's sessions.
        self.db.execute("DELETE FROM sessions WHERE login = ?1", [login])?;
        Ok(())
    }

    /// Name of an account.
    pub fn account_name(&self, login: &str) -> Result<Option<String>> {
        Ok(self.db.query_row("SELECT nom FROM accounts WHERE login = ?1", [login], |r| r.get(0)).optional()?)
    }

    /// Check a password; `Some(nom)` when it is right. Unknown logins cost the same time as
    /// known ones (a hash is verified either way), so timing does not tell which logins exist.
    pub fn verify(&self, login: &str, password: &str) -> Result<Option<String>> {
        let row: Option<(String, String)> = self
            .db
            .query_row("SELECT nom, hash FROM accounts WHERE login = ?1", [login], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2Wd9l8bbjvOh4HLzKQ4EBQ1kAFwHk7ZQ5KEd2PUjVpM";
        let stored = row.as_ref().map_or(DUMMY, |(_, h)| h.as_str());
        let parsed = PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("empreinte de mot de passe illisible : {e}"))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(row.filter(|_| ok).map(|(nom, _)| nom))
    }

    /// Open a session for `login`; returns the cookie value (shown once) and the session.
    pub fn create_session(&self, login: &str) -> Result<(String, Session)> {
        let nom = self.account_name(login)?.context("compte inconnu")?;
        let token = random_token();
        let csrf = random_token();
        self.db.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])?;
        self.db.execute(
            "INSERT INTO sessions (hash, login, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![sha256_hex(&token), login, csrf, now() + SESSION_SECONDS],
        )?;
        Ok((token, Session { login: login.to_string(), nom, csrf }))
    }

    /// The live session of a cookie value.
    pub fn session(&self, token: &str) -> Result<Option<Session>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .db
            .query_row(
                "SELECT s.login, a.nom, s.csrf FROM sessions s JOIN accounts a ON a.login = s.login
                 WHERE s.hash = ?1 AND s.expires_at >= ?2",
                params![sha256_hex(token), now()],
                |r| Ok(Session { login: r.get(0)?, nom: r.get(1)?, csrf: r.get(2)? }),
            )
            .optional()?)
    }

    /// End a session.
    pub fn delete_session(&self, token: &str) -> Result<()> {
        self.db.execute("DELETE FROM sessions WHERE hash = ?1", [sha256_hex(token)])?;
        Ok(())
    }

    /// Record a dossier's display name (created through the API or loaded as a demonstration).
    pub fn register_dossier(&self, id: &str, nom: &str, created_by: &str) -> Result<()> {
        self.db.execute(
            "INSERT INTO dossiers (id, nom, created_by, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO NOTHING",
            params![id, nom, created_by, now()],
        )?;
        Ok(())
    }

    /// Display name of a dossier (its id when it was never registered, e.g. made by `ingest`).
    pub fn dossier_name(&self, id: &str) -> Result<String> {
        Ok(self
            .db
            .query_row("SELECT nom FROM dossiers WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| id.to_string()))
    }

    /// Forget a dossier's register entry (its audit lines stay: they record the deletion).
    pub fn unregister_dossier(&self, id: &str) -> Result<()> {
        self.db.execute("DELETE FROM dossiers WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Append a line to the audit log.
    pub fn audit(&self, login: &str, action: &str, dossier: Option<&str>, object: Option<&str>) -> Result<()> {
        self.db.execute(
            "INSERT INTO audit (time, login, action, dossier, object) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![now(), login, action, dossier, object],
        )?;
        Ok(())
    }

    /// The last `limit` audit lines, oldest first, optionally of one dossier or one login.
    pub fn audit_entries(&self, dossier: Option<&str>, login: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.db.prepare(
            "SELECT time, login, action, dossier, object FROM audit
             WHERE (?1 IS NULL OR dossier = ?1) AND (?2 IS NULL OR login = ?2)
             ORDER BY seq DESC LIMIT ?3",
        )?;
        let mut rows = stmt
            .query_map(params![dossier, login, limit as i64], |r| {
                Ok(AuditEntry { time: r.get(0)?, login: r.get(1)?, action: r.get(2)?, dossier: r.get(3)?, object: r.get(4)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.reverse();
        Ok(rows)
    }
}

/// A Unix time as RFC 3339 UTC (`2024-03-12T14:30:00Z`), for corrections and the audit listing.
pub fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_and_sessions_expire_with_the_account() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open_in(dir.path()).unwrap();
        assert!(accounts.upsert_account("alice", "Alice", "court").is_err());
        assert!(accounts.upsert_account("Alice Martin", "Alice", "assez-long-mot-de-passe").is_err());
        accounts.upsert_account("alice", "Alice Martin", "assez-long-mot-de-passe").unwrap();
        assert_eq!(accounts.verify("alice", "assez-long-mot-de-passe").unwrap().as_deref(), Some("Alice Martin"));
        assert_eq!(accounts.verify("alice", "faux-mot-de-passe!").unwrap(), None);
        assert_eq!(accounts.verify("bob", "assez-long-mot-de-passe").unwrap(), None);

        let (token, session) = accounts.create_session("alice").unwrap();
        assert_eq!(accounts.session(&token).unwrap(), Some(session.clone()));
        assert_eq!(session.csrf.len(), 64);
        assert_eq!(accounts.session("inconnu").unwrap(), None);
        // A new password ends the sessions.
        accounts.upsert_account("alice", "Alice Martin", "un-autre-mot-de-passe").unwrap();
        assert_eq!(accounts.session(&token).unwrap(), None);
        let (token, _) = accounts.create_session("alice").unwrap();
        accounts.delete_session(&token).unwrap();
        assert_eq!(accounts.session(&token).unwrap(), None);

        // Neither the password nor the cookie value is in the database files.
        drop(accounts);
        let mut raw = std::fs::read(dir.path().join("accounts.sqlite3")).unwrap();
        raw.extend(std::fs::read(dir.path().join("accounts.sqlite3-wal")).unwrap_or_default());
        for needle in ["un-autre-mot-de-passe", token.as_str()] {
            assert!(!raw.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} stored in clear");
        }
    }

    #[test]
    fn audit_lines_are_filtered_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let accounts = Accounts::open_in(dir.path()).unwrap();
        accounts.audit("alice", "ouverture", Some("d1"), None).unwrap();
        accounts.audit("bob", "dépôt", Some("d2"), Some("pv.pdf")).unwrap();
        accounts.audit("alice", "téléchargement", Some("d1"), Some("pv.pdf")).unwrap();
        let d1 = accounts.audit_entries(Some("d1"), None, 10).unwrap();
        assert_eq!(d1.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["ouverture", "téléchargement"]);
        let bob = accounts.audit_entries(None, Some("bob"), 10).unwrap();
        assert_eq!(bob.len(), 1);
        assert_eq!(bob[0].object.as_deref(), Some("pv.pdf"));
        assert_eq!(accounts.audit_entries(None, None, 2).unwrap().len(), 2);
        assert!(rfc3339(0).starts_with("1970-01-01T00:00:00"));
    }
}
