//! What the engine keeps on disk, in the data directory: the durable input log, the memo of
//! expensive results, and the uploaded files.
//!
//! * **Input log** (`engine.sqlite`, table `inputs`): every input update (a document's pages
//!   arriving or withdrawn, a correction) is appended and fsynced (`synchronous = FULL`) *before*
//!   the engine acknowledges it. On start the engine replays the log, so nothing acknowledged is
//!   ever lost.
//! * **Memo** (table `memo`): results of expensive operators (text extraction, OCR) keyed by
//!   operator name, operator version and content hash. A page retracted and re-inserted, or a
//!   process restart, finds its text here and never runs OCR again. Bumping an operator's
//!   version invalidates its entries.
//! * **Blobs** (`blobs/sha256/ab/abcdef…`): uploaded files, content-addressed, written to a
//!   temporary file, fsynced and renamed, so a crash never leaves a half-written blob under its
//!   final name.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Open (or create) an SQLite database for durable records: WAL journal, `synchronous = FULL`
/// (a committed transaction survives a crash or power loss), a busy timeout for concurrent
/// processes on the same data directory. Every store of the data directory opens this way.
pub fn open_durable(path: &Path) -> rusqlite::Result<Connection> {
    let db = Connection::open(path)?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(db)
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One logged input update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedInput {
    /// Position in the log (1, 2, …).
    pub seq: i64,
    /// JSON of the input record.
    pub record: String,
    /// +1 insertion, -1 retraction.
    pub diff: i64,
}

/// The engine's on-disk state.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    db: Mutex<Connection>,
}

impl Store {
    /// Open (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir.join("blobs/sha256")).map_err(|e| Error::io(dir, e))?;
        let db = open_durable(&dir.join("engine.sqlite"))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS inputs (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 record TEXT NOT NULL,
                 diff INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS memo (
                 operator TEXT NOT NULL,
                 version INTEGER NOT NULL,
                 key TEXT NOT NULL,
                 value BLOB NOT NULL,
                 PRIMARY KEY (operator, version, key)
             ) WITHOUT ROWID;",
        )?;
        Ok(Self { dir: dir.to_path_buf(), db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Append input updates in one durable transaction; returns their sequence numbers.
    pub fn append_inputs(&self, updates: &[(String, i64)]) -> Result<Vec<i64>> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let mut seqs = Vec::with_capacity(updates.len());
        {
            let mut stmt = tx.prepare_cached("INSERT INTO inputs (record, diff) VALUES (?1, ?2)")?;
            for (record, diff) in updates {
                stmt.execute(params![record, diff])?;
                seqs.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(seqs)
    }

    /// Every logged input, in order.
    pub fn inputs(&self) -> Result<Vec<LoggedInput>> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT seq, record, diff FROM inputs ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok(LoggedInput { seq: r.get(0)?, record: r.get(1)?, diff: r.get(2)? }))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// A memoized result, if any.
    pub fn memo_get(&self, operator: &str, version: u32, key: &str) -> Result<Option<Vec<u8>>> {
        let db = self.db();
        let mut stmt =
            db.prepare_cached("SELECT value FROM memo WHERE operator = ?1 AND version = ?2 AND key = ?3")?;
        Ok(stmt.query_row(params![operator, version, key], |r| r.get(0)).optional()?)
    }

    /// Record a result (idempotent).
    pub fn memo_put(&self, operator: &str, version: u32, key: &str, value: &[u8]) -> Result<()> {
        let db = self.db();
        db.prepare_cached("INSERT OR REPLACE INTO memo (operator, version, key, value) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![operator, version, key, value])?;
        Ok(())
    }

    /// Store `bytes` durably under their hash; returns the hash.
    pub fn put_blob(&self, bytes: &[u8]) -> Result<String> {
        let hash = sha256_hex(bytes);
        let path = self.blob_path(&hash);
        if path.is_file() {
            return Ok(hash);
        }
        let parent = path.parent().expect("blob path has a parent");
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::io(parent, e))?;
        tmp.write_all(bytes).map_err(|e| Error::io(&path, e))?;
        tmp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
        tmp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        if let Ok(dir) = std::fs::File::open(parent) {
            let _ = dir.sync_all();
        }
        Ok(hash)
    }

    /// The bytes of a stored blob.
    pub fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        let path = self.blob_path(hash);
        std::fs::read(&path).map_err(|e| Error::io(&path, e))
    }

    fn blob_path(&self, hash: &str) -> PathBuf {
        let prefix = hash.get(..2).unwrap_or("xx");
        self.dir.join("blobs/sha256").join(prefix).join(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_memo_and_blobs_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.append_inputs(&[("a".into(), 1), ("b".into(), -1)]).unwrap(), vec![1, 2]);
            store.memo_put("extract", 1, "k", b"value").unwrap();
            let h = store.put_blob("procès-verbal".as_bytes()).unwrap();
            assert_eq!(h, sha256_hex("procès-verbal".as_bytes()));
        }
        let store = Store::open(dir.path()).unwrap();
        let inputs = store.inputs().unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!((inputs[1].record.as_str(), inputs[1].diff), ("b", -1));
        assert_eq!(store.memo_get("extract", 1, "k").unwrap().as_deref(), Some(&b"value"[..]));
        assert_eq!(store.memo_get("extract", 2, "k").unwrap(), None, "another version is another entry");
        let h = sha256_hex("procès-verbal".as_bytes());
        assert_eq!(store.blob(&h).unwrap(), "procès-verbal".as_bytes());
        assert!(store.blob("00ff").is_err());
    }
}
