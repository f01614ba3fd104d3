//! The durable update log of the rooms: every accepted update is in SQLite before anyone sees it.
//!
//! One database file holds every dossier: `updates` is the append-only log (one row per update,
//! in the order the room applied them), `snapshots` the compacted state of each dossier. A room
//! restarts from its snapshot plus the updates logged after it. The database runs in WAL mode with
//! `synchronous = FULL`, so a committed transaction has been fsynced: the server's log writer
//! (`crate::writer`) commits the updates the rooms hand it, in groups, and a room sends no frame
//! before the updates produced before it are committed, which is what makes an acknowledged edit
//! survive a crash (`kill -9`, power loss after the fsync).
//!
//! Compaction writes the room's full state as a snapshot and deletes the updates it covers, in one
//! transaction, so a crash in the middle leaves either the old or the new pair.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// What a room is restored from.
#[derive(Debug, Default, Clone)]
pub struct StoredRoom {
    /// The last snapshot (a Yjs v1 update holding the whole document), if any.
    pub snapshot: Option<Vec<u8>>,
    /// Sequence number the snapshot covers (0 without snapshot).
    pub snapshot_seq: i64,
    /// Updates logged after the snapshot, in order, with their sequence numbers.
    pub updates: Vec<(i64, Vec<u8>)>,
}

impl StoredRoom {
    /// Sequence number of the last stored update (or of the snapshot).
    pub fn last_seq(&self) -> i64 {
        self.updates.last().map_or(self.snapshot_seq, |(s, _)| *s)
    }
}

/// The SQLite update log.
#[derive(Debug)]
pub struct UpdateLog {
    db: Connection,
    path: PathBuf,
}

impl UpdateLog {
    /// Open (or create) the log at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = ap_engine::store::open_durable(path)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS updates (
                 seq     INTEGER PRIMARY KEY AUTOINCREMENT,
                 dossier TEXT NOT NULL,
                 data    BLOB NOT NULL
             );
             CREATE INDEX IF NOT EXISTS updates_by_dossier ON updates (dossier, seq);
             CREATE TABLE IF NOT EXISTS snapshots (
                 dossier TEXT PRIMARY KEY,
                 seq     INTEGER NOT NULL,
                 state   BLOB NOT NULL
             );",
        )?;
        Ok(Self { db, path: path.to_path_buf() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append `updates` of `dossier` in one fsynced transaction; returns the last sequence number.
    pub fn append(&mut self, dossier: &str, updates: &[Vec<u8>]) -> Result<i64> {
        Ok(self.append_groups(&[(dossier, updates)])?.pop().unwrap_or(0))
    }

    /// Append several groups of updates (of one dossier each) in one fsynced transaction (group
    /// commit: one fsync for all of them); returns the last sequence number of each group (0 for
    /// an empty group).
    pub fn append_groups(&mut self, groups: &[(&str, &[Vec<u8>])]) -> Result<Vec<i64>> {
        let tx = self.db.transaction()?;
        let mut lasts = Vec::with_capacity(groups.len());
        {
            let mut insert = tx.prepare_cached("INSERT INTO updates (dossier, data) VALUES (?1, ?2)")?;
            for (dossier, updates) in groups {
                let mut last = 0;
                for update in *updates {
                    insert.execute(params![dossier, update])?;
                    last = tx.last_insert_rowid();
                }
                lasts.push(last);
            }
        }
        tx.commit()?;
        Ok(lasts)
    }

    /// WAL pages after which a commit of this connection checkpoints (SQLite's default: 1000).
    pub fn set_autocheckpoint(&self, pages: i64) -> Result<()> {
        self.db.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// Copy committed WAL pages into the database file without blocking writers (`PASSIVE`).
    pub fn checkpoint(&self) -> Result<()> {
        self.db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Make every later append fail (tests of the failure paths).
    #[cfg(test)]
    pub(crate) fn break_for_test(&mut self) {
        self.db.execute_batch("DROP TABLE updates").unwrap();
    }

    /// Everything stored for `dossier` (empty for a new dossier).
    pub fn load(&self, dossier: &str) -> Result<StoredRoom> {
        let snap: Option<(i64, Vec<u8>)> = self
            .db
            .query_row("SELECT seq, state FROM snapshots WHERE dossier = ?1", [dossier], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (snapshot_seq, snapshot) = match snap {
            Some((seq, state)) => (seq, Some(state)),
            None => (0, None),
        };
        let mut stmt =
            self.db.prepare_cached("SELECT seq, data FROM updates WHERE dossier = ?1 AND seq > ?2 ORDER BY seq")?;
        let updates = stmt
            .query_map(params![dossier, snapshot_seq], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(StoredRoom { snapshot, snapshot_seq, updates })
    }

    /// Replace everything up to `upto_seq` by `state` (the full document as a v1 update).
    pub fn compact(&mut self, dossier: &str, state: &[u8], upto_seq: i64) -> Result<()> {
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT INTO snapshots (dossier, seq, state) VALUES (?1, ?2, ?3)
             ON CONFLICT (dossier) DO UPDATE SET seq = excluded.seq, state = excluded.state",
            params![dossier, upto_seq, state],
        )?;
        tx.execute("DELETE FROM updates WHERE dossier = ?1 AND seq <= ?2", params![dossier, upto_seq])?;
        tx.commit()?;
        Ok(())
    }

    /// Forget everything stored for `dossier` (the dossier is deleted), in one transaction.
    pub fn delete(&mut self, dossier: &str) -> Result<()> {
        let tx = self.db.transaction()?;
        tx.execute("DELETE FROM updates WHERE dossier = ?1", [dossier])?;
        tx.execute("DELETE FROM snapshots WHERE dossier = ?1", [dossier])?;
        tx.commit()?;
        Ok(())
    }

    /// Number of updates logged for `dossier` since its snapshot.
    pub fn pending_count(&self, dossier: &str) -> Result<i64> {
        let snapshot_seq: i64 = self
            .db
            .query_row("SELECT seq FROM snapshots WHERE dossier = ?1", [dossier], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        Ok(self.db.query_row(
            "SELECT count(*) FROM updates WHERE dossier = ?1 AND seq > ?2",
            params![dossier, snapshot_seq],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_load_compact_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sqlite3");
        let mut log = UpdateLog::open(&path).unwrap();
        let s1 = log.append("d1", &[vec![1], vec![2]]).unwrap();
        log.append("d2", &[vec![9]]).unwrap();
        let s3 = log.append("d1", &[vec![3]]).unwrap();
        assert!(s3 > s1);
        drop(log);

        let mut log = UpdateLog::open(&path).unwrap();
        let room = log.load("d1").unwrap();
        assert_eq!(room.snapshot, None);
        assert_eq!(room.updates.iter().map(|(_, u)| u.clone()).collect::<Vec<_>>(), vec![vec![1], vec![2], vec![3]]);
        assert_eq!(room.last_seq(), s3);

        log.compact("d1", &[7, 7], s1).unwrap();
        let room = log.load("d1").unwrap();
        assert_eq!(room.snapshot.as_deref(), Some(&[7u8, 7][..]));
        assert_eq!(room.updates.iter().map(|(_, u)| u.clone()).collect::<Vec<_>>(), vec![vec![3]]);
        assert_eq!(log.pending_count("d1").unwrap(), 1);
        // Other dossiers are untouched.
        assert_eq!(log.load("d2").unwrap().updates.len(), 1);
        assert!(log.load("nouveau").unwrap().updates.is_empty());
        log.delete("d1").unwrap();
        let room = log.load("d1").unwrap();
        assert!(room.snapshot.is_none() && room.updates.is_empty());
        assert_eq!(log.load("d2").unwrap().updates.len(), 1);
    }
}
