//! The log writer: one thread per server owns the update log and commits the updates of every
//! room in groups, one fsync for all that arrived while the previous fsync ran.
//!
//! Why a thread of its own rather than a blocking task per commit: a room no longer waits for
//! its commit before it handles the next messages (it hands the batch over and goes on, see
//! `web/src/collab.rs`), appends of all rooms that queue up during an fsync share the next one
//! (group commit), and no commit pays a hop through a thread pool and a lock. Durability is
//! unchanged: the callback of an append runs only once its transaction is committed (SQLite WAL,
//! `synchronous = FULL`), and the edge sends no frame of a batch before that callback.
//!
//! WAL checkpoints (copying committed pages back into the database file, with an fsync of that
//! file) would otherwise run inside whichever commit crosses SQLite's threshold and stall every
//! room waiting on it: a second thread with its own connection runs them (`PASSIVE`, which never
//! blocks the writer) every [`CHECKPOINT_EVERY`] groups. SQLite's own automatic checkpoint stays
//! on, with a higher threshold, as a backstop should that thread fall behind.
//!
//! Other operations on the log (load, compact, delete) run on the same thread, in order with the
//! appends ([`LogWriter::run`]): a room loaded after an append sees it.

use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::log::UpdateLog;

/// Groups committed between two background checkpoints. A checkpoint costs fsyncs of its own
/// (the WAL, then the database file), competing with the commits for the disk: about as rare as
/// SQLite's default (1,000 WAL pages, some 300 small commits), a WAL of a few MiB at most.
pub const CHECKPOINT_EVERY: usize = 384;

/// WAL pages after which SQLite checkpoints inside a commit (its default is 1000): only reached
/// when the checkpoint thread falls behind.
const AUTOCHECKPOINT_BACKSTOP: i64 = 16_000;

/// What runs once an append is committed (or failed): the last sequence number it was given.
pub type Done = Box<dyn FnOnce(Result<i64>) + Send>;

enum Job {
    Append { dossier: String, updates: Vec<Vec<u8>>, done: Done },
    Run(Box<dyn FnOnce(&mut UpdateLog) + Send>),
}

/// Handle on the writer thread. Dropping it lets the thread finish the queued jobs and stop.
pub struct LogWriter {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter").finish_non_exhaustive()
    }
}

impl LogWriter {
    /// Start the writer thread (and its checkpoint thread) over `log`.
    pub fn start(log: UpdateLog) -> Result<Self> {
        log.set_autocheckpoint(AUTOCHECKPOINT_BACKSTOP)?;
        let checkpointer = match UpdateLog::open(log.path()) {
            Ok(second) => Some(spawn_checkpointer(second)?),
            // A log without a file (in memory) has nothing to checkpoint.
            Err(e) => {
                tracing::warn!(error = %e, "no checkpoint connection; SQLite checkpoints inside commits");
                None
            }
        };
        let (jobs, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("workspace-log".into())
            .spawn(move || writer_loop(log, &rx, checkpointer))
            .map_err(|e| Error::Log(format!("démarrage du fil d'écriture : {e}")))?;
        Ok(Self { jobs: Some(jobs), thread: Some(thread) })
    }

    /// Append `updates` of `dossier`; `done` runs on the writer thread once they are committed
    /// (with the last sequence number) or could not be (the error). Appends are committed in
    /// the order they were handed over.
    pub fn append(&self, dossier: &str, updates: Vec<Vec<u8>>, done: impl FnOnce(Result<i64>) + Send + 'static) {
        let job = Job::Append { dossier: dossier.to_string(), updates, done: Box::new(done) };
        if let Err(mpsc::SendError(job)) = self.send(job)
            && let Job::Append { done, .. } = job
        {
            done(Err(Error::Log("le fil d'écriture du journal est arrêté".into())));
        }
    }

    /// Run `f` on the log, after every append handed over before. When the writer has stopped,
    /// `f` is dropped without running (a reply channel it holds closes).
    pub fn run(&self, f: impl FnOnce(&mut UpdateLog) + Send + 'static) {
        let _ = self.send(Job::Run(Box::new(f)));
    }

    fn send(&self, job: Job) -> std::result::Result<(), mpsc::SendError<Job>> {
        match &self.jobs {
            Some(jobs) => jobs.send(job),
            None => Err(mpsc::SendError(job)),
        }
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn spawn_checkpointer(log: UpdateLog) -> Result<mpsc::SyncSender<()>> {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("workspace-checkpoint".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                if let Err(e) = log.checkpoint() {
                    tracing::warn!(error = %e, "background WAL checkpoint failed");
                }
            }
        })
        .map_err(|e| Error::Log(format!("démarrage du fil de checkpoint : {e}")))?;
    Ok(tx)
}

fn writer_loop(mut log: UpdateLog, rx: &mpsc::Receiver<Job>, checkpointer: Option<mpsc::SyncSender<()>>) {
    let mut groups = 0usize;
    // Everything queued while the previous commit ran is taken at once.
    while let Ok(first) = rx.recv() {
        let mut queued = vec![first];
        queued.extend(rx.try_iter());
        let mut appends: Vec<(String, Vec<Vec<u8>>, Done)> = Vec::new();
        for job in queued {
            match job {
                Job::Append { dossier, updates, done } => appends.push((dossier, updates, done)),
                Job::Run(f) => {
                    // Keep the order: what was appended before runs first.
                    commit_group(&mut log, std::mem::take(&mut appends));
                    f(&mut log);
                }
            }
        }
        if !appends.is_empty() {
            commit_group(&mut log, appends);
            groups += 1;
            if groups.is_multiple_of(CHECKPOINT_EVERY)
                && let Some(c) = &checkpointer
            {
                // Full channel: a checkpoint is pending anyway.
                let _ = c.try_send(());
            }
        }
    }
}

/// Commit `appends` in one transaction, then tell each of them.
fn commit_group(log: &mut UpdateLog, appends: Vec<(String, Vec<Vec<u8>>, Done)>) {
    if appends.is_empty() {
        return;
    }
    let groups: Vec<(&str, &[Vec<u8>])> = appends.iter().map(|(d, u, _)| (d.as_str(), u.as_slice())).collect();
    match log.append_groups(&groups) {
        Ok(seqs) => {
            for ((_, _, done), seq) in appends.into_iter().zip(seqs) {
                done(Ok(seq));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "update log commit failed");
            let reason = e.to_string();
            for (_, _, done) in appends {
                done(Err(Error::Log(reason.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn appends_are_committed_in_order_before_their_callback_and_before_later_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sqlite3");
        let writer = LogWriter::start(UpdateLog::open(&path).unwrap()).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for i in 0..300u32 {
            let dossier = if i % 3 == 0 { "b" } else { "a" };
            let seen = seen.clone();
            let reader = path.clone();
            let dossier_name = dossier.to_string();
            writer.append(dossier, vec![i.to_le_bytes().to_vec()], move |seq| {
                // Committed: another connection already reads it.
                let stored = UpdateLog::open(&reader).unwrap().load(&dossier_name).unwrap();
                assert!(stored.updates.iter().any(|(_, u)| u == &i.to_le_bytes()), "update {i} not durable in its callback");
                seen.lock().unwrap().push((i, seq.unwrap()));
            });
        }
        let (tx, rx) = mpsc::channel();
        writer.run(move |log| tx.send(log.load("a").unwrap().updates.len()).unwrap());
        assert_eq!(rx.recv().unwrap(), 200, "a read sees every append handed over before it");
        drop(writer);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 300);
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "callbacks in order, sequence numbers increasing");

        let log = UpdateLog::open(&path).unwrap();
        let a: Vec<u32> = log.load("a").unwrap().updates.iter().map(|(_, u)| u32::from_le_bytes(u[..4].try_into().unwrap())).collect();
        assert_eq!(a, (0..300).filter(|i| i % 3 != 0).collect::<Vec<_>>());
    }

    #[test]
    fn the_checkpoint_thread_copies_the_wal_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sqlite3");
        let writer = LogWriter::start(UpdateLog::open(&path).unwrap()).unwrap();
        let initial = std::fs::metadata(&path).unwrap().len();
        // One group per append (each waits for the previous one): 2 checkpoints' worth.
        for i in 0..2 * CHECKPOINT_EVERY {
            let (tx, rx) = mpsc::channel();
            writer.append("d", vec![vec![(i % 251) as u8; 200]], move |r| tx.send(r.is_ok()).unwrap());
            assert!(rx.recv().unwrap());
        }
        // Far below SQLite's own threshold here: only the checkpoint thread writes the file.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() <= initial && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(std::fs::metadata(&path).unwrap().len() > initial, "pages were checkpointed into the database file");
        drop(writer);
        assert_eq!(UpdateLog::open(&path).unwrap().load("d").unwrap().updates.len(), 2 * CHECKPOINT_EVERY);
    }

    #[test]
    fn a_failed_commit_reports_an_error_to_every_append_of_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sqlite3");
        let writer = LogWriter::start(UpdateLog::open(&path).unwrap()).unwrap();
        // Break the table under the writer: the next commit fails.
        writer.run(|log| log.break_for_test());
        let (tx, rx) = mpsc::channel();
        for _ in 0..3 {
            let tx = tx.clone();
            writer.append("d", vec![vec![1]], move |r| tx.send(r.is_err()).unwrap());
        }
        drop(tx);
        let failed: Vec<bool> = rx.iter().collect();
        assert_eq!(failed, vec![true, true, true]);
    }
}
