//! Where the workspace's corrections go until the engine consumes them: an SQLite table in the
//! data directory, the engine's future input log.
//!
//! One row per (dossier, correction id), inserted once (a correction handed over again after a
//! restart is ignored), fsynced before the room tells the clients it is "enregistrée".

use std::path::Path;
use std::sync::Mutex;

use ap_engine::Correction;
use ap_workspace::CorrectionSink;
use rusqlite::{Connection, params};

/// The `corrections` table of `engine_inputs.sqlite3`.
#[derive(Debug)]
pub struct SqliteCorrections {
    db: Mutex<Connection>,
}

impl SqliteCorrections {
    /// Open (or create) the table in the database at `path`.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS corrections (
                 seq         INTEGER PRIMARY KEY AUTOINCREMENT,
                 dossier     TEXT NOT NULL,
                 id          TEXT NOT NULL,
                 author      TEXT NOT NULL,
                 time        TEXT NOT NULL,
                 body        TEXT NOT NULL,
                 recorded_at INTEGER NOT NULL DEFAULT (unixepoch()),
                 UNIQUE (dossier, id)
             );",
        )?;
        Ok(Self { db: Mutex::new(db) })
    }

    /// Corrections recorded for `dossier`, in order.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn list(&self, dossier: &str) -> rusqlite::Result<Vec<Correction>> {
        let db = self.db.lock().expect("corrections lock");
        let mut stmt = db.prepare("SELECT body FROM corrections WHERE dossier = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([dossier], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            if let Ok(c) = serde_json::from_str(&body?) {
                out.push(c);
            }
        }
        Ok(out)
    }
}

impl CorrectionSink for SqliteCorrections {
    fn record(&self, dossier: &str, correction: &Correction) -> ap_workspace::Result<()> {
        let body = serde_json::to_string(correction).map_err(|e| ap_workspace::Error::CorrectionSink(e.to_string()))?;
        let db = self.db.lock().expect("corrections lock");
        db.execute(
            "INSERT OR IGNORE INTO corrections (dossier, id, author, time, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![dossier, correction.id, correction.author, correction.time, body],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ap_engine::Change;

    #[test]
    fn records_once_per_id_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("engine_inputs.sqlite3");
        let sink = SqliteCorrections::open(&path).unwrap();
        let c = Correction {
            id: "c1".into(),
            author: "substitut.a".into(),
            time: "2024-03-12T14:30:00Z".into(),
            change: Change::OcrFix { passage: "p-12-3".into(), text: "ITT de 8 jours".into() },
        };
        sink.record("d", &c).unwrap();
        sink.record("d", &c).unwrap();
        drop(sink);
        let sink = SqliteCorrections::open(&path).unwrap();
        assert_eq!(sink.list("d").unwrap(), vec![c]);
        assert!(sink.list("autre").unwrap().is_empty());
    }
}
