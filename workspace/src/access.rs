//! Who may open which dossier: memberships with a role, and opaque access tokens.
//!
//! A token is 32 random bytes shown once (hex) to whoever creates it; only its SHA-256 is stored,
//! so a copy of the database does not let anyone connect. A membership gives a user a role on a
//! dossier: `lecteur` (may read and show presence, may not change the document) or `redacteur`.
//! The WebSocket edge checks both before it upgrades a connection, so a refused client never
//! receives a byte of the document.

use std::path::Path;

use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// What a member may do in a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Reads the dossier and shows presence; document updates are refused.
    Lecteur,
    /// Reads and writes.
    Redacteur,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lecteur => "lecteur",
            Role::Redacteur => "redacteur",
        }
    }

    /// Whether the role may change the document.
    pub fn can_write(self) -> bool {
        self == Role::Redacteur
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "lecteur" => Ok(Role::Lecteur),
            "redacteur" | "rédacteur" => Ok(Role::Redacteur),
            other => Err(Error::UnknownRole(other.to_string())),
        }
    }
}

/// Check a dossier id: 1 to 128 characters among letters, digits, `-`, `_` and `.`.
pub fn check_dossier_id(dossier: &str) -> Result<()> {
    let ok = !dossier.is_empty()
        && dossier.len() <= 128
        && dossier.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !dossier.starts_with('.');
    if ok { Ok(()) } else { Err(Error::InvalidDossier(dossier.chars().take(140).collect())) }
}

/// The access tables (memberships, token hashes) in SQLite.
#[derive(Debug)]
pub struct Access {
    db: Connection,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Access {
    /// Open (or create) the access database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = ap_engine::store::open_durable(path)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS memberships (
                 dossier TEXT NOT NULL,
                 user    TEXT NOT NULL,
                 role    TEXT NOT NULL CHECK (role IN ('lecteur', 'redacteur')),
                 PRIMARY KEY (dossier, user)
             );
             CREATE TABLE IF NOT EXISTS tokens (
                 hash       TEXT PRIMARY KEY,
                 user       TEXT NOT NULL,
                 created_at INTEGER NOT NULL DEFAULT (unixepoch())
             );",
        )?;
        Ok(Self { db })
    }

    /// Make `user` a member of `dossier` with `role` (replacing a previous role).
    pub fn grant(&self, dossier: &str, user: &str, role: Role) -> Result<()> {
        check_dossier_id(dossier)?;
        self.db.execute(
            "INSERT INTO memberships (dossier, user, role) VALUES (?1, ?2, ?3)
             ON CONFLICT (dossier, user) DO UPDATE SET role = excluded.role",
            params![dossier, user, role.as_str()],
        )?;
        Ok(())
    }

    /// Remove `user` from `dossier`.
    pub fn revoke(&self, dossier: &str, user: &str) -> Result<()> {
        self.db.execute("DELETE FROM memberships WHERE dossier = ?1 AND user = ?2", params![dossier, user])?;
        Ok(())
    }

    /// Members of `dossier` with their role, by user id.
    pub fn members(&self, dossier: &str) -> Result<Vec<(String, Role)>> {
        let mut stmt = self.db.prepare_cached("SELECT user, role FROM memberships WHERE dossier = ?1 ORDER BY user")?;
        let rows = stmt
            .query_map([dossier], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|(user, role)| Ok((user, role.parse()?))).collect()
    }

    /// Dossiers `user` is a member of, with their role, by dossier id.
    pub fn dossiers_of(&self, user: &str) -> Result<Vec<(String, Role)>> {
        let mut stmt = self.db.prepare_cached("SELECT dossier, role FROM memberships WHERE user = ?1 ORDER BY dossier")?;
        let rows = stmt
            .query_map([user], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|(dossier, role)| Ok((dossier, role.parse()?))).collect()
    }

    /// Remove every membership of `dossier` (the dossier is deleted).
    pub fn revoke_all(&self, dossier: &str) -> Result<()> {
        self.db.execute("DELETE FROM memberships WHERE dossier = ?1", [dossier])?;
        Ok(())
    }

    /// Create a fresh token for `user`; the token itself is returned once and never stored.
    pub fn issue_token(&self, user: &str) -> Result<String> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        self.db.execute("INSERT INTO tokens (hash, user) VALUES (?1, ?2)", params![hash_token(&token), user])?;
        Ok(token)
    }

    /// The user a token belongs to, if it is known.
    pub fn authenticate(&self, token: &str) -> Result<Option<String>> {
        if token.is_empty() || token.len() > 256 {
            return Ok(None);
        }
        Ok(self
            .db
            .query_row("SELECT user FROM tokens WHERE hash = ?1", [hash_token(token)], |r| r.get(0))
            .optional()?)
    }

    /// The role of `user` in `dossier`, if a member.
    pub fn role(&self, dossier: &str, user: &str) -> Result<Option<Role>> {
        let role: Option<String> = self
            .db
            .query_row("SELECT role FROM memberships WHERE dossier = ?1 AND user = ?2", params![dossier, user], |r| {
                r.get(0)
            })
            .optional()?;
        role.map(|r| r.parse()).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hashed_and_memberships_give_roles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.sqlite3");
        let access = Access::open(&path).unwrap();
        access.grant("dossier-1", "alice", Role::Redacteur).unwrap();
        access.grant("dossier-1", "bob", Role::Lecteur).unwrap();
        let t = access.issue_token("alice").unwrap();
        assert_eq!(t.len(), 64);
        assert_eq!(access.authenticate(&t).unwrap().as_deref(), Some("alice"));
        assert_eq!(access.authenticate("0000").unwrap(), None);
        assert_eq!(access.authenticate("").unwrap(), None);
        assert_eq!(access.role("dossier-1", "alice").unwrap(), Some(Role::Redacteur));
        assert_eq!(access.role("dossier-1", "bob").unwrap(), Some(Role::Lecteur));
        assert_eq!(access.role("dossier-2", "alice").unwrap(), None);
        // The token itself is nowhere in the database file.
        drop(access);
        let raw = std::fs::read(&path).unwrap();
        let wal = std::fs::read(dir.path().join("access.sqlite3-wal")).unwrap_or_default();
        let needle = t.as_bytes();
        let contains = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(!contains(&raw) && !contains(&wal));
        let access = Access::open(&path).unwrap();
        access.revoke("dossier-1", "bob").unwrap();
        assert_eq!(access.role("dossier-1", "bob").unwrap(), None);
        access.grant("dossier-2", "alice", Role::Lecteur).unwrap();
        assert_eq!(access.members("dossier-1").unwrap(), vec![("alice".to_string(), Role::Redacteur)]);
        assert_eq!(
            access.dossiers_of("alice").unwrap(),
            vec![("dossier-1".to_string(), Role::Redacteur), ("dossier-2".to_string(), Role::Lecteur)]
        );
        access.revoke_all("dossier-1").unwrap();
        assert!(access.members("dossier-1").unwrap().is_empty());
        assert_eq!(access.role("dossier-2", "alice").unwrap(), Some(Role::Lecteur));
    }

    #[test]
    fn bad_roles_and_dossier_ids_are_refused() {
        assert!("admin".parse::<Role>().unwrap_err().to_string().contains("lecteur ou redacteur"));
        assert_eq!("rédacteur".parse::<Role>().unwrap(), Role::Redacteur);
        assert!(check_dossier_id("../etc").is_err());
        assert!(check_dossier_id("").is_err());
        assert!(check_dossier_id(&"a".repeat(200)).is_err());
        assert!(check_dossier_id("2024-PV_0042.a").is_ok());
    }
}
